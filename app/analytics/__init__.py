"""Analytics: demand for technical assistance, OHCHR's response and the gap between them;
implementation and the barriers behind it; charts, spreadsheets and report drafts. Read-only,
under the one visibility rule, with small cells suppressed for everyone but OHCHR."""
