"""Universal Human Rights Index exports (.xlsx, .csv), one annotation per row.

Columns are found by name, case and spacing aside, under their misspelt export names
(`Reccomending Body`, `UPR Reccomending States`) or corrected ones. Cells may carry a leading
"- " even when single-valued; multi-valued cells hold one "- value" a line.

Rules a row must pass, else it is a RowRejection:
- Type, when given, is a recommendation (not "Concerns/Observations" nor "Positive aspects");
- exactly one country concerned resolves to a State; with several, the row is taken only when
  the caller's `state` is one of them (the import is for that State), else rejected: the
  recommendation would otherwise be claimed by several States under one annotation id;
- the recommending body is UPR, a treaty body or a special procedure mandate;
- every UPR recommending State resolves; the date is a date cell, an Excel serial or ISO text.
SDG lines naming no existing goal or target ("18.2") are left out and the row kept: SDG links
annotate a recommendation, and OHCHR can add them later; the recommendation stays importable.
A text opening with its paragraph number ("186.28 ...") gives the paragraph; a trailing
parenthesis naming exactly the UPR recommending States is dropped from the text, as in matrices.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from app.recommendations.importers.base import (
    Cell,
    ParsedRecommendation,
    ParsedRow,
    Resolver,
    RowProblem,
    RowRejection,
    Table,
    UnreadableFile,
    cell_lines,
    cell_text,
    clean_text,
    column_positions,
    cycle_of_session,
    date_of,
    names_sdg,
    open_table,
    resolve_state_list,
    sdg_code,
    session_of,
    stated_position,
    theme_term,
    unknown_state_reason,
)
from app.recommendations.importers.ohchr_matrix import split_recommending_states
from app.states.names import UnknownStateName

COLUMNS = {
    "id": ("OHCHR Annotation Id", "Annotation Id"),
    "text": ("Text",),
    "type": ("Type", "Annotation Type"),
    "body": ("Reccomending Body", "Recommending Body"),
    "symbol": ("Document Symbol",),
    "countries": ("Countries Concerned",),
    "themes": ("Themes",),
    "affected": ("Affected Persons",),
    "sdgs": ("Sdgs",),
    "recommending": ("UPR Reccomending States", "UPR Recommending States"),
    "position": ("UPR Position",),
    "session": ("UPR Session",),
    "date": ("Document Publication Date",),
}
REQUIRED = ("id", "text", "body", "countries")


def matches(header: list[str]) -> bool:
    return set(REQUIRED) <= column_positions(header, COLUMNS).keys()


def read(path: Path, *, state: str | None, resolver: Resolver) -> Iterator[ParsedRow]:
    table = open_table(path)
    if not matches(table.header):
        missing = set(REQUIRED) - column_positions(table.header, COLUMNS).keys()
        raise UnreadableFile(
            f"not a UHRI export: row {table.header_row} has no column "
            + ", ".join(repr(COLUMNS[field][0]) for field in sorted(missing))
        )
    return _rows(table, state, resolver)


def _rows(table: Table, state: str | None, resolver: Resolver) -> Iterator[ParsedRow]:
    positions = column_positions(table.header, COLUMNS)
    for number, cells in table.rows():
        row = {field: _cell(cells, position) for field, position in positions.items()}
        try:
            yield _recommendation(number, row, state, resolver)
        except RowProblem as problem:
            yield RowRejection(number, str(problem))


def _cell(cells: list[Cell], position: int) -> Cell:
    return cells[position] if position < len(cells) else ""


def _text(row: dict[str, Cell], field: str) -> str:
    """A single-valued cell, without the "- " the export puts before values."""
    return " ".join(cell_lines(cell_text(row.get(field, ""))))


def _recommendation(
    number: int, row: dict[str, Cell], state: str | None, resolver: Resolver
) -> ParsedRecommendation:
    annotation = _text(row, "id")
    if not annotation:
        raise RowProblem("no OHCHR Annotation Id")
    _check_type(_text(row, "type"))
    mechanism, body = mechanism_of(cell_text(row["body"]))
    recommending = _recommending(cell_text(row.get("recommending", "")), resolver)
    paragraph, text = _paragraph(clean_text(cell_text(row["text"])))
    if not text:
        raise RowProblem("the recommendation has no text")
    if recommending:
        text = _without_states(text, recommending, resolver)
    session = session_of(_text(row, "session")) if mechanism == "upr" else None
    themes = _lines(row, "themes")
    sdgs = _lines(row, "sdgs") + [line for line in themes if names_sdg(line)]
    return ParsedRecommendation(
        row=number,
        source_key=f"uhri:{annotation}",
        state_code=_country(cell_text(row["countries"]), state, resolver),
        mechanism=mechanism,
        body=body,
        text=text,
        position=stated_position(_text(row, "position")),
        cycle=cycle_of_session(session) if session else None,
        session=session,
        document_symbol=_text(row, "symbol") or None,
        paragraph=paragraph,
        date=date_of(row.get("date", "")),
        recommending_states=recommending,
        themes=tuple(dict.fromkeys(theme_term(line) for line in themes if not names_sdg(line))),
        affected_persons=tuple(_lines(row, "affected")),
        sdg_targets=tuple(dict.fromkeys(filter(None, map(sdg_code, sdgs)))),
        uhri_id=annotation,
    )


def _lines(row: dict[str, Cell], field: str) -> list[str]:
    return cell_lines(cell_text(row.get(field, "")))


def _check_type(kind: str) -> None:
    if kind and not kind.casefold().startswith("recommendation"):
        raise RowProblem(f"not a recommendation: the annotation is of type {kind!r}")


def _country(cell: str, state: str | None, resolver: Resolver) -> str:
    names = cell_lines(cell)
    if not names:
        if state is None:
            raise RowProblem("no country concerned")
        return state
    codes: list[str] = []
    for name in names:
        try:
            codes.append(resolver.require(name))
        except UnknownStateName as error:
            raise RowProblem(unknown_state_reason(error, "country concerned")) from None
    if len(set(codes)) == 1:
        return codes[0]
    if state in codes:
        return state
    raise RowProblem(
        f"several countries concerned ({', '.join(names)}): give state to import it for one"
    )


def _recommending(cell: str, resolver: Resolver) -> tuple[str, ...]:
    codes: set[str] = set()
    for name in cell_lines(cell):
        try:
            codes.update(resolve_state_list(name, resolver))
        except UnknownStateName as error:
            raise RowProblem(unknown_state_reason(error, "UPR recommending State")) from None
    return tuple(sorted(codes))


_PARAGRAPH = re.compile(r"^(?P<number>\d+(?:\.\d+)+|\d+(?=\.\s))\.?\s+")


def _paragraph(text: str) -> tuple[str | None, str]:
    match = _PARAGRAPH.match(text)
    if match is None:
        return None, text
    return match["number"], text[match.end() :].strip()


def _without_states(text: str, states: tuple[str, ...], resolver: Resolver) -> str:
    try:
        stripped, named = split_recommending_states(text, resolver)
    except RowProblem:
        return text
    return stripped if named == states else text


# --- recommending bodies ---------------------------------------------------------------------

_TREATY_BODIES: dict[str, tuple[str, ...]] = {
    "ccpr": ("CCPR", "Human Rights Committee"),
    "cescr": ("CESCR", "Committee on Economic, Social and Cultural Rights"),
    "cedaw": ("CEDAW", "Committee on the Elimination of Discrimination against Women"),
    "crc": ("CRC", "CRC-OP-AC", "CRC-OP-SC", "Committee on the Rights of the Child"),
    "cat": ("CAT", "Committee against Torture"),
    "cerd": ("CERD", "Committee on the Elimination of Racial Discrimination"),
    "crpd": ("CRPD", "Committee on the Rights of Persons with Disabilities"),
    "cmw": (
        "CMW",
        "Committee on Migrant Workers",
        "Committee on the Protection of the Rights of All Migrant Workers and Members of "
        "Their Families",
    ),
    "ced": ("CED", "Committee on Enforced Disappearances"),
    "spt": (
        "SPT",
        "Subcommittee on Prevention of Torture",
        "Subcommittee on Prevention of Torture and Other Cruel, Inhuman or Degrading "
        "Treatment or Punishment",
    ),
}
_UPR = ("UPR", "Universal Periodic Review")
_MANDATE = re.compile(
    r"^(special rapporteur|independent expert|working group|special representative|sr|ie|wg)\b",
    re.I,
)
_SPECIAL_PROCEDURES = "Special Procedures"


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.casefold())


_BODIES = {
    _key(name): (mech, mech.upper()) for mech, names in _TREATY_BODIES.items() for name in names
}
_BODIES.update({_key(name): ("upr", "UPR") for name in _UPR})


def mechanism_of(cell: str) -> tuple[str, str]:
    """(mechanism, body) of a `Reccomending Body` cell: ("crc", "CRC"), ("upr", "UPR"), or
    ("special_procedures", the mandate). A mandate line may come with a "Special Procedures"
    line; joint mandates are joined with "; "; "Special Procedures" alone is the body."""
    found = list(dict.fromkeys(_body_of(name) for name in cell_lines(cell)))
    mechanisms = {mechanism for mechanism, _ in found}
    if not mechanisms:
        raise RowProblem("no recommending body")
    if len(mechanisms) > 1:
        names = ", ".join(cell_lines(cell))
        raise RowProblem(f"several recommending bodies ({names}): one is expected")
    mechanism = mechanisms.pop()
    if mechanism != "special_procedures":
        return found[0]
    generic = _key(_SPECIAL_PROCEDURES)
    mandates = [body for _, body in found if _key(body) != generic] or [_SPECIAL_PROCEDURES]
    return mechanism, "; ".join(mandates)


def _body_of(name: str) -> tuple[str, str]:
    if known := _BODIES.get(_key(name)):
        return known
    if _key(name) == _key(_SPECIAL_PROCEDURES) or _MANDATE.match(name):
        return "special_procedures", name
    raise RowProblem(f"unknown recommending body {name!r}")
