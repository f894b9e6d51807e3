"""What every importer yields, and the field rules the three source formats share.

A parser turns one file into a stream of `ParsedRow`: a `ParsedRecommendation` for each row it
understood, a `RowRejection` (with the row number a person would look for and the reason) for
each row it could not. A file that is not of the format as a whole raises `UnreadableFile`.
Nothing here touches the database.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from app.states.names import StateNameResolver, UnknownStateName


class ImportFormat(StrEnum):
    uhri = "uhri"
    ohchr_matrix = "ohchr_matrix"
    upr_info = "upr_info"


class UnreadableFile(ValueError):
    """The whole file is refused; the message is a reason a person understands."""


@dataclass(frozen=True)
class ThemeTerm:
    code: str | None  # UHRI code like "A12" when the source gives one
    name: str


@dataclass(frozen=True)
class ParsedRecommendation:
    row: int
    source_key: str
    state_code: str
    mechanism: str
    body: str
    text: str
    position: str | None
    cycle: int | None
    session: int | None
    document_symbol: str | None
    paragraph: str | None
    date: datetime.date | None
    recommending_states: tuple[str, ...]
    themes: tuple[ThemeTerm, ...]
    affected_persons: tuple[str, ...]
    sdg_targets: tuple[str, ...]
    uhri_id: str | None = None
    position_source: str | None = None


@dataclass(frozen=True)
class RowRejection:
    row: int
    reason: str


ParsedRow = ParsedRecommendation | RowRejection


class RowProblem(ValueError):
    """Raised while reading one row; the parser turns it into a RowRejection."""


# --- text -----------------------------------------------------------------------------------

_LINE_BREAK = re.compile(r"\r\n?")


def clean_text(text: str) -> str:
    return _LINE_BREAK.sub("\n", text).strip()


def text_digest(text: str) -> str:
    """SHA-1 of the text with all white space collapsed: stable across re-wrapping."""
    return hashlib.sha1(" ".join(text.split()).encode(), usedforsecurity=False).hexdigest()


_BULLET = re.compile(r"^[-\u2013\u2022*]\s*")


def cell_lines(cell: str) -> list[str]:
    """The values of a multi-valued cell: one a line, bullets ("- ") and blanks dropped."""
    lines = (_BULLET.sub("", line.strip()).strip() for line in _LINE_BREAK.sub("\n", cell).split("\n"))
    return list(dict.fromkeys(line for line in lines if line))


# --- positions, sessions ---------------------------------------------------------------------

_POSITIONS = {
    "supported": "supported",
    "accepted": "supported",
    "noted": "noted",
    "rejected": "noted",
    "supportednoted": "supported_in_part",
    "partiallysupported": "supported_in_part",
    "supportedinpart": "supported_in_part",
    "partlysupported": "supported_in_part",
    "partiallyaccepted": "supported_in_part",
    "acceptedinpart": "supported_in_part",
}


def position_of(value: str) -> str | None:
    """Our position for a source's wording; None when the wording is not a known position."""
    return _POSITIONS.get(re.sub(r"[^a-z]", "", value.casefold()))


# UPR cycles by Working Group session: 12 sessions in cycle 1, then 14 in each.
_CYCLE_STARTS = ((41, 4), (27, 3), (13, 2), (1, 1))


def cycle_of_session(session: int) -> int:
    return next(cycle for start, cycle in _CYCLE_STARTS if session >= start)


_NUMBER = re.compile(r"\d+")


def session_of(value: str) -> int | None:
    """17 for "17", "17.0", "Session 17" or "17th session"; None for an empty cell."""
    value = value.strip()
    if not value:
        return None
    if re.fullmatch(r"\d+(\.0+)?", value):
        number = int(float(value))
    elif len(numbers := _NUMBER.findall(value)) == 1 and "session" in value.casefold():
        number = int(numbers[0])
    else:
        raise RowProblem(f"session {value!r} is not a session number")
    if number < 1:
        raise RowProblem(f"session {value!r} is not a session number")
    return number


# --- themes, SDGs ----------------------------------------------------------------------------

_THEME = re.compile(r"^(?P<code>[A-Z]\d{1,3})\s+(?P<name>\S.*)$")


def theme_term(line: str) -> ThemeTerm:
    match = _THEME.match(line.strip())
    if match is None:
        return ThemeTerm(None, line.strip())
    return ThemeTerm(match["code"], match["name"].strip())


# Numbered targets and lettered means of implementation of each goal (A/RES/71/313).
_SDG_TARGETS: dict[int, tuple[int, str]] = {
    1: (5, "ab"),
    2: (5, "abc"),
    3: (9, "abcd"),
    4: (7, "abc"),
    5: (6, "abc"),
    6: (6, "ab"),
    7: (3, "ab"),
    8: (10, "ab"),
    9: (5, "abc"),
    10: (7, "abc"),
    11: (7, "abc"),
    12: (8, "abc"),
    13: (3, "ab"),
    14: (7, "abc"),
    15: (9, "abc"),
    16: (10, "ab"),
    17: (19, ""),
}


@cache
def sdg_codes() -> frozenset[str]:
    """The 17 goals ("16") and 169 targets ("16.3", "16.a")."""
    goals = {str(goal) for goal in _SDG_TARGETS}
    targets = {
        f"{goal}.{suffix}"
        for goal, (numbered, lettered) in _SDG_TARGETS.items()
        for suffix in [*map(str, range(1, numbered + 1)), *lettered]
    }
    return frozenset(goals | targets)


# "16.3 Promote ...", "16.3 - Promote ...", "Goal 16: ...", "SDG 16 - ...", "S16 SDG 16 ...",
# "Target 16.a ...", "16 Peace, justice and strong institutions".
_SDG_LINE = re.compile(
    r"^(?:S\d{1,2}\s+)?(?:(?:SDG|Goal|Target)s?\s*)?(?P<code>\d{1,2}(?:\.(?:\d{1,2}|[a-z]))?)(?![\w.])",
    re.IGNORECASE,
)
_SDG_MARK = re.compile(r"^(?:S\d{1,2}\s+)?(?:SDG|Goal)\s*\d", re.IGNORECASE)


def sdg_code(line: str) -> str | None:
    """The goal or target a line of an SDG list names; None when it names none that exists."""
    match = _SDG_LINE.match(line.strip())
    if match is None:
        return None
    code = match["code"].lower()
    return code if code in sdg_codes() else None


def names_sdg(line: str) -> bool:
    """Whether a line of a theme list is an SDG ("S16 SDG 16 - ...", "Goal 16")."""
    return _SDG_MARK.match(line.strip()) is not None


# --- States ----------------------------------------------------------------------------------

_ACRONYM = re.compile(r"[A-Z]{2,3}")


def resolve_name(name: str, resolver: StateNameResolver, *, codes: bool = True) -> str | None:
    """The State a name denotes, or None. `codes=False` refuses "IT" or "ID" as codes.

    Documents converted from PDF carry words broken by a stray space ("Sierra Le one"): when
    the name is unknown, a name that joining exactly one such break makes known is accepted,
    only if every possible join that resolves gives the same State.
    """
    name = " ".join(name.split()).strip(" .;:")
    if not name or (not codes and _ACRONYM.fullmatch(name)):
        return None
    if code := resolver.resolve(name):
        return code
    spaces = [i for i, char in enumerate(name) if char == " "]
    joined = {resolver.resolve(name[:i] + name[i + 1 :]) for i in spaces} - {None}
    return joined.pop() if len(joined) == 1 else None


_LIST_SEPARATOR = re.compile(r",|;|&|\band\b")


def resolve_state_list(
    text: str, resolver: StateNameResolver, *, codes: bool = True
) -> tuple[str, ...]:
    """Codes of a list of State names ("Mongolia, Cuba and Viet Nam"), sorted, no duplicates.

    Names may themselves hold "and" or a comma ("Trinidad and Tobago", "Korea, Republic of"),
    so each piece is joined to the following ones until the longest run that names a State.
    Raises UnknownStateName for the first piece no run covers.
    """
    pieces = _pieces(text)
    found: list[str] = []
    start = 0
    while start < len(pieces):
        for end in range(len(pieces), start, -1):
            name = text[pieces[start][0] : pieces[end - 1][1]]
            if code := resolve_name(name, resolver, codes=codes):
                found.append(code)
                start = end
                break
        else:
            unknown = text[slice(*pieces[start])].strip()
            raise resolver_error(unknown, resolver)
    return tuple(sorted(set(found)))


def resolver_error(name: str, resolver: StateNameResolver) -> UnknownStateName:
    try:
        resolver.require(name)
    except UnknownStateName as error:
        return error
    return UnknownStateName(name, [])


def _pieces(text: str) -> list[tuple[int, int]]:
    """Spans of the non-blank pieces between separators outside parentheses."""
    spans: list[tuple[int, int]] = []
    depth = start = 0
    for position, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and (match := _LIST_SEPARATOR.match(text, position)):
            if match.start() == position and _starts_separator(text, position, match):
                spans.append((start, position))
                start = match.end()
    spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip() and s < e]


def _starts_separator(text: str, position: int, match: re.Match[str]) -> bool:
    # "and" inside a word ("Rwanda", "Andorra") is no separator: \b checks the right side only
    # when the regex is matched at an arbitrary position, so check the left side here.
    return match.group() != "and" or position == 0 or not text[position - 1].isalnum()


def unknown_state_reason(error: UnknownStateName, role: str) -> str:
    return f"{error} ({role})"


# --- dates -----------------------------------------------------------------------------------

_EXCEL_EPOCH = datetime.date(1899, 12, 30)  # serial 1 = 1900-01-01 given Excel's 1900 leap day


def date_of(value: object) -> datetime.date | None:
    """A date from a date cell, an Excel serial number (41654) or an ISO date text."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, bool):
        raise RowProblem(f"date {value!r} is not a date")
    if isinstance(value, int | float):
        return _from_serial(float(value))
    text = str(value).strip()
    if not text:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return _from_serial(float(text))
    try:
        return datetime.date.fromisoformat(text[:10])
    except ValueError:
        raise RowProblem(f"date {text!r} is neither an Excel date number nor YYYY-MM-DD") from None


def _from_serial(serial: float) -> datetime.date:
    if not 1 <= serial < 2958466:  # 9999-12-31
        raise RowProblem(f"date {serial:g} is not an Excel date number")
    return _EXCEL_EPOCH + datetime.timedelta(days=int(serial))
