"""UPR Info database exports (.csv, .xls): one recommendation per row and recommending State.

Two header spellings exist: the .csv `To, To-Rgrp, To-Org, Text, From, From-Rgrp, From-Org,
Response, Action, Issue, Session` and the original .xls `SuR, Rgrp, Org, Recommendation, RS,
Rgrp, Org, Response, Action, Issue, Session`, whose repeated names are mapped by their first
occurrence. Responses: "Accepted" is supported; "Noted" and "Rejected" are noted; anything
else (empty, "Pending", "General Response") is no position yet. Issues are UPR Info's own
theme names, without codes (the catalogue crosswalks them to UHRI codes on import). Action is
UPR Info's action category, 1 to 5, kept. A recommending State "(Unknown)" means none is known.
"""

from __future__ import annotations

import html
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
    ThemeTerm,
    UnreadableFile,
    cell_text,
    clean_text,
    column_positions,
    cycle_of_session,
    open_table,
    position_of,
    resolve_state_list,
    session_of,
    text_digest,
    unknown_state_reason,
)
from app.states.names import UnknownStateName

COLUMNS = {
    "state": ("To", "SuR"),
    "text": ("Text", "Recommendation"),
    "recommending": ("From", "RS"),
    "response": ("Response",),
    "issue": ("Issue",),
    "action": ("Action",),
    "session": ("Session",),
}
_UNKNOWN_STATE = "(Unknown)"
ACTION_CATEGORIES = {"1", "2", "3", "4", "5"}


OPTIONAL = frozenset({"action"})


def matches(header: list[str]) -> bool:
    return column_positions(header, COLUMNS).keys() >= COLUMNS.keys() - OPTIONAL


def read(path: Path, *, state: str | None, resolver: Resolver) -> Iterator[ParsedRow]:
    table = open_table(path)
    if not matches(table.header):
        missing = COLUMNS.keys() - OPTIONAL - column_positions(table.header, COLUMNS).keys()
        raise UnreadableFile(
            f"not a UPR Info export: row {table.header_row} has no column for "
            + ", ".join(" or ".join(COLUMNS[field]) for field in sorted(missing))
        )
    return _rows(table, state, resolver)


def _rows(table: Table, state: str | None, resolver: Resolver) -> Iterator[ParsedRow]:
    positions = column_positions(table.header, COLUMNS)
    for number, cells in table.rows():
        values = dict.fromkeys(OPTIONAL, "") | {
            field: _cell(cells, i) for field, i in positions.items()
        }
        try:
            yield _recommendation(number, values, state, resolver)
        except RowProblem as problem:
            yield RowRejection(number, str(problem))


def _cell(cells: list[Cell], position: int) -> str:
    return cell_text(cells[position]) if position < len(cells) else ""


def _recommendation(
    number: int, values: dict[str, str], state: str | None, resolver: Resolver
) -> ParsedRecommendation:
    state_code = _state_under_review(values["state"], state, resolver)
    recommending = _recommending(values["recommending"], resolver)
    session = session_of(values["session"])
    text = clean_text(values["text"])
    if not text:
        raise RowProblem("the recommendation has no text")
    codes = "+".join(recommending)
    return ParsedRecommendation(
        row=number,
        source_key=f"upr_info:{state_code}:{session or ''}:{codes}:{text_digest(text)}",
        state_code=state_code,
        mechanism="upr",
        body="UPR",
        text=text,
        position=position_of(values["response"]),
        cycle=cycle_of_session(session) if session else None,
        session=session,
        document_symbol=None,
        paragraph=None,
        date=None,
        recommending_states=recommending,
        themes=_themes(values["issue"]),
        affected_persons=(),
        sdg_targets=(),
        action_category=_action(values["action"]),
    )


def _action(cell: str) -> int | None:
    """UPR Info's action category: 1 minimal, 2 continuing, 3 considering, 4 general, 5 specific
    action. Empty is none; anything else rejects the row rather than losing it silently."""
    value = cell.strip()
    if not value:
        return None
    if value.removesuffix(".0") in ACTION_CATEGORIES:
        return int(value.removesuffix(".0"))
    raise RowProblem(f"unknown action category {value!r} (expected 1 to 5)")


def _state_under_review(name: str, state: str | None, resolver: Resolver) -> str:
    if not name.strip():
        if state is None:
            raise RowProblem("no State under review")
        return state
    try:
        return resolver.require(html.unescape(name).strip())
    except UnknownStateName as error:
        raise RowProblem(unknown_state_reason(error, "State under review")) from None


def _recommending(cell: str, resolver: Resolver) -> tuple[str, ...]:
    name = html.unescape(cell).strip()  # the export writes "(Unknown)" as "&#40;Unknown&#41;"
    if name in ("", _UNKNOWN_STATE):
        return ()
    try:
        return resolve_state_list(name, resolver)
    except UnknownStateName as error:
        raise RowProblem(unknown_state_reason(error, "recommending State")) from None


def _themes(cell: str) -> tuple[ThemeTerm, ...]:
    names = dict.fromkeys(name.strip() for name in cell.split(","))
    return tuple(ThemeTerm(None, name) for name in names if name)
