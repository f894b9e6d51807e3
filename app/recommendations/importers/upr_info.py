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
from collections.abc import Callable, Iterator
from functools import lru_cache, partial
from pathlib import Path

from app.recommendations.importers.base import (
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
CELLS_REMEMBERED = 4096  # distinct cells of each column remembered while reading one file


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
    fields = _Fields(state, resolver)
    for number, cells in table.rows():
        width = len(cells)
        values = dict.fromkeys(OPTIONAL, "") | {
            field: cell_text(cells[i]) if i < width else "" for field, i in positions.items()
        }
        try:
            yield _recommendation(number, values, fields)
        except RowProblem as problem:
            yield RowRejection(number, str(problem))


class _Fields:
    """What the cells of one file say, each distinct cell read once: an export repeats the same
    few hundred State names, State lists and issue lists, and reading one costs more than the
    rest of its row. A cell that is refused (RowProblem) is read again each time."""

    def __init__(self, state: str | None, resolver: Resolver) -> None:
        remembered = lru_cache(maxsize=CELLS_REMEMBERED)
        self.state_under_review: Callable[[str], str] = remembered(
            partial(_state_under_review, state=state, resolver=resolver)
        )
        self.recommending: Callable[[str], tuple[str, ...]] = remembered(
            partial(_recommending, resolver=resolver)
        )
        self.session: Callable[[str], int | None] = remembered(session_of)
        self.position: Callable[[str], str | None] = remembered(position_of)
        self.themes: Callable[[str], tuple[ThemeTerm, ...]] = remembered(_themes)
        self.action: Callable[[str], int | None] = remembered(_action)


def _recommendation(number: int, values: dict[str, str], fields: _Fields) -> ParsedRecommendation:
    state_code = fields.state_under_review(values["state"])
    recommending = fields.recommending(values["recommending"])
    session = fields.session(values["session"])
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
        position=fields.position(values["response"]),
        cycle=cycle_of_session(session) if session else None,
        session=session,
        document_symbol=None,
        paragraph=None,
        date=None,
        recommending_states=recommending,
        themes=fields.themes(values["issue"]),
        affected_persons=(),
        sdg_targets=(),
        action_category=fields.action(values["action"]),
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


def _state_under_review(name: str, *, state: str | None, resolver: Resolver) -> str:
    if not name.strip():
        if state is None:
            raise RowProblem("no State under review")
        return state
    try:
        return resolver.require(html.unescape(name).strip())
    except UnknownStateName as error:
        raise RowProblem(unknown_state_reason(error, "State under review")) from None


def _recommending(cell: str, *, resolver: Resolver) -> tuple[str, ...]:
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
