"""The Word (DOCX) writing the analytics documents share: A4 landscape pages, core properties,
tables with a header row Word repeats on each page, and paragraphs that hold any text.

Table rows are written by copying elements (see `_Rows`): a State's report draft of 3,000
recommendations, tens of thousands of lines, builds in about a second.
"""

import copy
import re
from collections.abc import Iterable, Sequence
from typing import Any

from docx.document import Document
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls
from docx.shared import Cm, Length
from docx.styles.style import ParagraphStyle
from docx.table import Table, _Row
from docx.text.paragraph import Paragraph

from app.core.models import utcnow

PLATFORM = "Item 10 Voluntary Platform"
"""The documents' author, and where their figures come from."""
# A4 landscape, the page of the OHCHR matrices.
PAGE_WIDTH, PAGE_HEIGHT = Cm(29.7), Cm(21.0)
TABLE_STYLE = "Table Grid"
# What XML 1.0 cannot hold (control characters of pasted text); lxml refuses it.
NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
LINE = parse_xml(f'<w:p {nsdecls("w")}><w:r><w:t xml:space="preserve"/></w:r></w:p>')
RIGHT_LINE = parse_xml(
    f'<w:p {nsdecls("w")}><w:pPr><w:jc w:val="right"/></w:pPr>'
    '<w:r><w:t xml:space="preserve"/></w:r></w:p>'
)

Cell = str | Sequence[str]
"""A table cell's text: one line, or lines; each line is a paragraph of its own."""


def landscape(document: Document, margin: Length) -> None:
    """Every section of `document` on A4 landscape pages with `margin` on all four sides."""
    for section in document.sections:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
        section.left_margin = section.right_margin = margin
        section.top_margin = section.bottom_margin = margin


def properties(document: Document, *, title: str, subject: str, keywords: str) -> None:
    """The core properties of a document the platform has just written: first revision,
    created and modified now (UTC, to the second), by the platform."""
    now = utcnow().replace(microsecond=0, tzinfo=None)
    core = document.core_properties
    core.title = title
    core.subject = subject
    core.author = core.last_modified_by = PLATFORM
    core.keywords = keywords
    core.created = core.modified = now
    core.revision = 1


def paragraph(
    document: Document, text: str, style: str | ParagraphStyle | None = None
) -> Paragraph:
    """A paragraph of `text` at the end of `document`, without what XML cannot hold."""
    return document.add_paragraph(NOT_XML.sub("", text), style)


def table(
    document: Document,
    headers: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    widths: Sequence[Length] | None = None,
    right_from: int | None = None,
) -> None:
    """A "Table Grid" table at the end of `document`: a bold header row of `headers` that Word
    repeats on every page, then one row a member of `rows`, one cell a column. With `widths`
    the columns have those widths and Word does not fit them to their content; the lines of
    the columns from `right_from` on (figures) align right."""
    written: Table = document.add_table(rows=1, cols=len(headers), style=TABLE_STYLE)
    header = written.rows[0]
    if widths is not None:
        written.autofit = False
        for column, width in zip(written.columns, widths, strict=True):
            column.width = width
        for cell, width in zip(header.cells, widths, strict=True):
            cell.width = width
    for cell, name in zip(header.cells, headers, strict=True):
        cell.paragraphs[0].add_run(name).bold = True
    header._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    appended = _Rows(written, right_from)
    for row in rows:
        appended.add(row)


class _Rows:
    """Appends rows to a table as copies of a blank row python-docx made, each line of a cell a
    paragraph copied from a one-run template. python-docx's own `add_row`, `add_paragraph` and
    `add_run` build every element one by one and read each run's text a character at a time:
    some fifteen times slower, and the largest State's draft holds tens of thousands of lines."""

    def __init__(self, written: Table, right_from: int | None) -> None:
        self._tbl = written._tbl
        blank: _Row = written.add_row()  # type: ignore[no-untyped-call]
        self._blank = blank._tr
        self._tbl.remove(self._blank)
        for tc in self._blank.tc_lst:
            for p in tc.p_lst:
                tc.remove(p)
        self._templates = [
            LINE if right_from is None or index < right_from else RIGHT_LINE
            for index in range(len(self._blank.tc_lst))
        ]

    def add(self, cells: Sequence[Cell]) -> None:
        """One cell a column, one paragraph a line: Word edits them as the reader's own."""
        tr = copy.copy(self._blank)
        for tc, cell, template in zip(tr.tc_lst, cells, self._templates, strict=True):
            for line in [cell] if isinstance(cell, str) else cell:
                for piece in line.splitlines() or [""]:
                    tc.append(_line(template, piece))
        self._tbl.append(tr)


def _line(template: Any, text: str) -> Any:
    line = copy.copy(template)  # lxml copies the whole element, without deepcopy's memo
    line[-1][0].text = NOT_XML.sub("", text)
    return line
