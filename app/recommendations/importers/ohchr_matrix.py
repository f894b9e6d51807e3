"""OHCHR "thematic list of recommendations" matrices (.docx), one per UPR review.

A matrix is one table, or one table per theme, with a header row (`Recommendation`, `Position`,
`Full list of themes`, ...) and theme heading rows ("Theme: A12 ...") between data rows. A data
row reads `186.28. Continue its efforts ... (Mongolia);` then `Source of position: A/HRC/25/5/
Add.1 - Para. 186.28.`; its themes cell lists "A12 Acceptance of international norms" lines,
then "Affected persons:" (or "Groups of persons:") with "- general" lines, and in later cycles
SDG lines ("S16 SDG 16 - ...", or an "SDGs:" section, or an SDG column).

The same paragraph listed under several themes is yielded once, at its first row. Row numbers
count data rows (heading rows excluded) in document order, repeats included.

The State under review, the cycle and the session come from the page header or the first
paragraphs ("UPR of China (2nd Cycle - 17th session)", with an en dash), else the State from
the caller; the report symbol from "Source of position" (A/HRC/25/5/Add.1 is the addendum to
A/HRC/25/5) or the document text. When neither names the report, the key falls back to
`doc:{State}:upr{cycle}:{paragraph}`.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # python-docx is imported by the first matrix opened, not by every worker
    from docx.document import Document
    from docx.table import Table, _Row


from app.recommendations.importers.base import (
    Container,
    ParsedRecommendation,
    ParsedRow,
    Resolver,
    RowProblem,
    RowRejection,
    ThemeTerm,
    UnreadableFile,
    cell_lines,
    clean_text,
    cycle_of_session,
    list_pieces,
    names_sdg,
    resolve_name,
    resolve_state_list,
    sdg_code,
    sniff_container,
    stated_position,
    theme_term,
    unknown_state_reason,
)
from app.states.names import UnknownStateName


@dataclass(frozen=True)
class _Review:
    state_code: str
    cycle: int | None
    session: int | None
    report: str | None


@dataclass(frozen=True)
class _Columns:
    width: int
    text: int
    position: int
    themes: int | None
    affected: int | None
    sdgs: int | None


def read(path: Path, *, state: str | None, resolver: Resolver) -> Iterator[ParsedRow]:
    document = _open(path)
    tables = list(_recommendation_tables(document.tables))
    if not tables:
        raise UnreadableFile(
            "the Word document has no table of recommendations "
            "(no table with 'Recommendation' and 'Position' columns)"
        )
    review = _review(document, state, resolver)
    return _rows(tables, review, resolver)


def _open(path: Path) -> Document:
    try:
        container = sniff_container(path)
    except UnreadableFile as error:
        raise UnreadableFile(f"not a Word document: {error}") from None
    if container is not Container.docx:
        raise UnreadableFile(f"not a Word document: the file is {container}")
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        return docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, SyntaxError) as error:
        # lxml's XMLSyntaxError is a SyntaxError
        raise UnreadableFile(f"a damaged Word document ({error})") from None


# --- the review the document is about --------------------------------------------------------

_UPR_OF = re.compile(r"(?:UPR|Universal Periodic Review)\s+(?:of|for)\s+(?P<rest>[^\t\n]+)", re.I)
_CYCLE = re.compile(r"\b(?:(?P<n>\d+)\s*(?:st|nd|rd|th)?\s+cycle|cycle\s+(?P<m>\d+))\b", re.I)
_SESSION = re.compile(r"\b(?:(?P<n>\d+)\s*(?:st|nd|rd|th)?\s+session|session\s+(?P<m>\d+))\b", re.I)
_NAME_END = re.compile(r"\s[-\u2013\u2014]\s|[,:;(\[]")
_REPORT = re.compile(r"(?P<report>A/HRC/\d+/\d+)(?P<addendum>/Add\.\s*\d+)?")


def _review(document: Document, state: str | None, resolver: Resolver) -> _Review:
    lines = [line for text in _front_texts(document) for line in text.split("\n")]
    upr_lines = [line for line in lines if _UPR_OF.search(line)]
    named = next(filter(None, (_named_state(line, resolver) for line in upr_lines)), None)
    state_code = _state_code(named, state)
    cycle, session = _number(_CYCLE, upr_lines), _number(_SESSION, upr_lines)
    if cycle is None and session is not None:
        cycle = cycle_of_session(session)
    report = next((m["report"] for line in lines if (m := _REPORT.search(line))), None)
    return _Review(state_code, cycle, session, report)


def _front_texts(document: Document) -> Iterator[str]:
    """Where a matrix says what it is about: title, page headers and footers, first lines."""
    properties = document.core_properties
    yield from (properties.title, properties.subject)
    for section in document.sections:
        for part in (section.header, section.first_page_header, section.footer):
            yield from (paragraph.text for paragraph in part.paragraphs)
            yield from (
                cell.text for table in part.tables for row in table.rows for cell in row.cells
            )
    yield from (paragraph.text for paragraph in document.paragraphs[:20])


def _named_state(line: str, resolver: Resolver) -> str | None:
    match = _UPR_OF.search(line)
    if match is None:
        return None
    rest = match["rest"].strip()
    ends = [m.start() for m in _NAME_END.finditer(rest)]
    # The whole rest first: a name may hold a qualifier ("Bolivia (Plurinational State of)").
    for end in [len(rest), *reversed(ends)]:
        if code := resolve_name(rest[:end], resolver, codes=False):
            return code
    return None


def _state_code(named: str | None, given: str | None) -> str:
    if named and given and named != given:
        raise UnreadableFile(f"the document is about {named}, not the given state {given}")
    if code := named or given:
        return code
    raise UnreadableFile("the document does not name the State under review: give state")


def _number(pattern: re.Pattern[str], lines: Iterable[str]) -> int | None:
    for line in lines:
        if match := pattern.search(line):
            return int(match["n"] or match["m"])
    return None


# --- tables ----------------------------------------------------------------------------------


def _recommendation_tables(tables: Iterable[Table]) -> Iterator[tuple[Table, _Columns]]:
    """Each table of recommendations with its columns; a table per theme may have no header
    row of its own, and then has the columns of the table before it."""
    columns: _Columns | None = None
    for table in tables:
        found = next(filter(None, (_columns(_texts(row)) for row in table.rows[:3])), None)
        if found is None and columns is not None and len(table.columns) == columns.width:
            found = columns
        if found is not None:
            columns = found
            yield table, found


def _texts(row: _Row) -> list[str]:
    return [cell.text for cell in row.cells]


def _columns(header: list[str]) -> _Columns | None:
    keys = [" ".join(text.casefold().split()) for text in header]

    def first(*words: str) -> int | None:
        return next((i for i, key in enumerate(keys) if any(w in key for w in words)), None)

    text = next((i for i, key in enumerate(keys) if key.startswith("recommendation")), None)
    position = next((i for i, key in enumerate(keys) if key.startswith("position")), None)
    if text is None or position is None:
        return None
    affected = first("affected persons", "groups of persons", "persons affected")
    sdgs = first("sdg", "sustainable development")
    return _Columns(len(header), text, position, first("theme"), affected, sdgs)


def _data_rows(tables: list[tuple[Table, _Columns]]) -> Iterator[tuple[list[str], _Columns]]:
    for table, columns in tables:
        for row in table.rows:
            cells = _texts(row)
            if any(text.strip() for text in cells) and not _is_heading(cells):
                yield cells, columns


_THEME_HEADING = re.compile(r"^\s*Theme\s*:", re.I)


def _is_heading(cells: list[str]) -> bool:
    """A header row, or a theme heading (a row merged across the table repeats its text)."""
    merged = len(cells) > 1 and len(set(cells)) == 1
    return merged or bool(_THEME_HEADING.match(cells[0])) or _columns(cells) is not None


# --- rows ------------------------------------------------------------------------------------


def _rows(
    tables: list[tuple[Table, _Columns]], review: _Review, resolver: Resolver
) -> Iterator[ParsedRow]:
    seen: set[str] = set()
    for number, (cells, columns) in enumerate(_data_rows(tables), start=1):
        try:
            paragraph, body, source = _recommendation_cell(cells[columns.text])
            if paragraph in seen:
                continue
            seen.add(paragraph)
            yield _recommendation(number, paragraph, body, source, cells, columns, review, resolver)
        except RowProblem as problem:
            yield RowRejection(number, str(problem))


_PARAGRAPH = re.compile(r"^\s*(?P<number>\d+(?:\.\d+)+)\s*\.?\s*")
_SOURCE = re.compile(r"\s*Source of position\s*:?\s*", re.I)


def _recommendation_cell(cell: str) -> tuple[str, str, str | None]:
    """(paragraph, text, source-of-position symbol) of a recommendation cell."""
    body, *source = _SOURCE.split(clean_text(cell), maxsplit=1)
    match = _PARAGRAPH.match(body)
    if match is None:
        raise RowProblem("the recommendation does not start with its paragraph number")
    text = body[match.end() :].strip()
    if not text:
        raise RowProblem("the recommendation has no text")
    symbol = _REPORT.search(source[0]) if source else None
    position_source = re.sub(r"\s+", "", symbol.group()) if symbol else None
    return match["number"], text, position_source


def _recommendation(
    number: int,
    paragraph: str,
    body: str,
    source: str | None,
    cells: list[str],
    columns: _Columns,
    review: _Review,
    resolver: Resolver,
) -> ParsedRecommendation:
    text, recommending = split_recommending_states(body, resolver)
    themes, affected, sdgs = _annotations(cells, columns)
    symbol = _REPORT.match(source or "")
    report = symbol["report"] if symbol else review.report
    return ParsedRecommendation(
        row=number,
        source_key=_source_key(report, paragraph, review),
        state_code=review.state_code,
        mechanism="upr",
        body="UPR",
        text=text,
        position=stated_position(cells[columns.position]),
        cycle=review.cycle,
        session=review.session,
        document_symbol=report,
        paragraph=paragraph,
        date=None,
        recommending_states=recommending,
        themes=themes,
        affected_persons=affected,
        sdg_targets=sdgs,
        position_source=source,
    )


def _source_key(report: str | None, paragraph: str, review: _Review) -> str:
    if report:
        return f"doc:{report}:{paragraph}"
    if review.cycle:
        return f"doc:{review.state_code}:upr{review.cycle}:{paragraph}"
    raise RowProblem("neither the row nor the document names the report (A/HRC/...) or cycle")


# --- themes, affected persons, SDGs ---------------------------------------------------------

_SECTION = re.compile(
    r"^(?P<name>affected persons|groups? of persons|persons affected|sustainable development "
    r"goals?|sdgs?|(?:full list of )?themes?)\s*:\s*(?P<rest>.*)$",
    re.I,
)


def _annotations(
    cells: list[str], columns: _Columns
) -> tuple[tuple[ThemeTerm, ...], tuple[str, ...], tuple[str, ...]]:
    themes: dict[ThemeTerm, None] = {}
    affected: dict[str, None] = {}
    sdgs: dict[str, None] = {}
    for index, section in ((columns.themes, "themes"), (columns.sdgs, "sdgs")):
        if index is not None and index < len(cells):
            _read_annotations(cells[index], section, themes, affected, sdgs)
    if columns.affected is not None and columns.affected < len(cells):
        affected.update(dict.fromkeys(cell_lines(cells[columns.affected])))
    return tuple(themes), tuple(affected), tuple(sdgs)


def _read_annotations(
    cell: str,
    section: str,
    themes: dict[ThemeTerm, None],
    affected: dict[str, None],
    sdgs: dict[str, None],
) -> None:
    for line in clean_text(cell).split("\n"):
        if header := _SECTION.match(line.strip()):
            section = _section_of(header["name"])
            line = header["rest"]
        for value in cell_lines(line):
            if section == "affected":
                affected[value] = None
            elif section == "sdgs" or names_sdg(value):
                if code := sdg_code(value):
                    sdgs[code] = None
            else:
                themes[theme_term(value)] = None


def _section_of(name: str) -> str:
    name = name.casefold()
    if "person" in name:
        return "affected"
    return "sdgs" if "sdg" in name or "sustainable" in name else "themes"


# --- recommending States ---------------------------------------------------------------------

_CONNECTORS = frozenset({"of", "the", "and", "de", "da", "du", "del", "la", "le", "des"})


def split_recommending_states(text: str, resolver: Resolver) -> tuple[str, tuple[str, ...]]:
    """(text without the trailing States, their codes) of `... (Mongolia, Cuba and Viet Nam);`.

    Only a trailing parenthesis is a list of recommending States, and only when every name in
    it resolves: "(No. 29)", "(ICCPR)" or "(2011)" stay part of the text. A clustered row
    ("... (Argentina); Ratify ... (France);") also counts each inner parenthesis that closes a
    recommendation (followed by ";"). A parenthesis where some names resolve and others do not,
    or that reads as names ("(Atlantis)": capitalised words, no digits, no acronym), is a
    RowProblem naming the unknown name: never a guess.
    """
    trimmed = text.rstrip(" \t\n;.,")
    groups = _groups(trimmed)
    if not groups or groups[-1][1] != len(trimmed):
        return text, ()
    start, end = groups[-1]
    trailing = _states_in(trimmed[start + 1 : end - 1], resolver)
    if trailing is None:
        return text, ()
    inner = [
        _states_in(trimmed[s + 1 : e - 1], resolver) or ()
        for s, e in groups[:-1]
        if re.match(r"\s*;", trimmed[e:])
    ]
    codes = sorted({code for found in [trailing, *inner] for code in found})
    return trimmed[:start].rstrip(), tuple(codes)


def _groups(text: str) -> list[tuple[int, int]]:
    """Spans of the outermost balanced parentheses, in order."""
    spans: list[tuple[int, int]] = []
    depth = start = 0
    for position, char in enumerate(text):
        if char == "(":
            start = position if depth == 0 else start
            depth += 1
        elif char == ")" and depth:
            depth -= 1
            if depth == 0:
                spans.append((start, position + 1))
    return spans


def _states_in(content: str, resolver: Resolver) -> tuple[str, ...] | None:
    """The States a parenthesis lists, or None when it is part of the text."""
    try:
        return resolve_state_list(content, resolver, codes=False)
    except UnknownStateName as error:
        pieces = [content[start:end] for start, end in list_pieces(content)]
        some_resolve = any(resolve_name(p, resolver, codes=False) for p in pieces)
        if some_resolve or all(_reads_as_name(piece) for piece in pieces):
            raise RowProblem(unknown_state_reason(error, "recommending State")) from None
        return None


def _reads_as_name(piece: str) -> bool:
    words = re.findall(r"[^\s()]+", piece)
    if not words or any(char.isdigit() for char in piece):
        return False
    if not re.match(r"[A-Z][a-z]", words[0]):
        return False
    return all(word[0].isupper() or word.casefold() in _CONNECTORS for word in words)
