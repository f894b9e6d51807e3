"""The officer console: server-rendered pages at `/console` for OHCHR officers and
administrators, on the same services, visibility rules, audit and `If-Match` checks as the API."""
