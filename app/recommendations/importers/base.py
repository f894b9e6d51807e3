"""What every importer yields, and the field rules the three source formats share.

A parser turns one file into a stream of `ParsedRow`: a `ParsedRecommendation` for each row it
understood, a `RowRejection` (with the row number a person would look for and the reason) for
each row it could not. A file that is not of the format as a whole raises `UnreadableFile`.
Nothing here touches the database.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import hashlib
import re
import unicodedata
import zipfile
from collections.abc import Callable, Generator
from contextlib import closing
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # the readers are imported by the first file read, not by every web worker
    from python_calamine import CalamineSheet


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
    action_category: int | None = None


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
    lines = (
        _BULLET.sub("", line.strip()).strip() for line in _LINE_BREAK.sub("\n", cell).split("\n")
    )
    return list(dict.fromkeys(line for line in lines if line))


# --- positions, sessions ---------------------------------------------------------------------

_POSITIONS = {
    "supported": "supported",
    "accepted": "supported",
    "noted": "noted",
    "rejected": "noted",
    "supportednoted": "supported_in_part",
    "notedsupported": "supported_in_part",
    "acceptednoted": "supported_in_part",
    "partiallysupported": "supported_in_part",
    "supportedinpart": "supported_in_part",
    "partlysupported": "supported_in_part",
    "partiallyaccepted": "supported_in_part",
    "acceptedinpart": "supported_in_part",
}


def position_of(value: str) -> str | None:
    """Our position for a source's wording ("Supported/Noted", "Supported - already done");
    None when the wording starts with no known position."""
    key = re.sub(r"[^a-z]", "", value.casefold())
    known = [wording for wording in _POSITIONS if key.startswith(wording)]
    return _POSITIONS[max(known, key=len)] if known else None


_NO_POSITION_YET = frozenset({"", "-", "pending", "nopositionyet"})


def stated_position(value: str) -> str | None:
    """`position_of` for sources whose positions are a closed list: empty or "Pending" is no
    position yet; any other unknown wording rejects the row rather than losing the position."""
    value = " ".join(value.split())
    position = position_of(value)
    if position is None and re.sub(r"[^a-z-]", "", value.casefold()) not in _NO_POSITION_YET:
        raise RowProblem(f"unknown position {value!r}")
    return position


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
    r"^(?:S\d{1,2}\s+)?(?:(?:SDG|Goal|Target)s?\s*)?(?P<code>\d{1,2}(?:\.(?:\d{1,2}|[a-z]))?)(?!\w|\.\w)",
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


class Resolver(Protocol):
    """What the parsers ask of app.states.names.StateNameResolver."""

    def resolve(self, name: str) -> str | None: ...

    def require(self, name: str) -> str: ...


class RememberingResolver:
    """A resolver that remembers its answers: an export repeats the same few hundred names
    thousands of times, and resolving one costs more than parsing its row."""

    def __init__(self, resolver: StateNameResolver) -> None:
        self._resolver = resolver
        self._codes: dict[str, str | None] = {}

    def resolve(self, name: str) -> str | None:
        if name not in self._codes:
            self._codes[name] = self._resolver.resolve(name)
        return self._codes[name]

    def require(self, name: str) -> str:
        return self.resolve(name) or self._resolver.require(name)


_ACRONYM = re.compile(r"[A-Z]{2,3}")


def resolve_name(name: str, resolver: Resolver, *, codes: bool = True) -> str | None:
    """The State a name denotes, or None. `codes=False` refuses "IT" or "ID" as codes.

    Documents converted from PDF carry words broken by a stray space ("Sierra Le one"): when
    the name is unknown, a name that joining exactly one such break makes known is accepted,
    only if every possible join that resolves gives the same State.
    """
    name = " ".join(name.split()).strip(" .;:")
    if code := _resolve(name, resolver, codes):
        return code
    spaces = [i for i, char in enumerate(name) if char == " "]
    joined = {_resolve(name[:i] + name[i + 1 :], resolver, codes) for i in spaces} - {None}
    return joined.pop() if len(joined) == 1 else None


def _resolve(name: str, resolver: Resolver, codes: bool) -> str | None:
    if not name or (not codes and _ACRONYM.fullmatch(name)):
        return None
    return resolver.resolve(name)


_LIST_TOKEN = re.compile(r"[(),;&]|\band\b")


def resolve_state_list(text: str, resolver: Resolver, *, codes: bool = True) -> tuple[str, ...]:
    """Codes of a list of State names ("Mongolia, Cuba and Viet Nam"), sorted, no duplicates.

    Names may themselves hold "and" or a comma ("Trinidad and Tobago", "Korea, Republic of"),
    so each piece is joined to the following ones until the longest run that names a State.
    Raises UnknownStateName for the first piece no run covers.
    """
    pieces = list_pieces(text)
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
            raise resolver_error(text[slice(*pieces[start])].strip(), resolver)
    return tuple(sorted(set(found)))


def resolver_error(name: str, resolver: Resolver) -> UnknownStateName:
    try:
        resolver.require(name)
    except UnknownStateName as error:
        return error
    return UnknownStateName(name, [])


def list_pieces(text: str) -> list[tuple[int, int]]:
    """Spans of the non-blank pieces between separators outside parentheses."""
    spans: list[tuple[int, int]] = []
    depth = start = 0
    for match in _LIST_TOKEN.finditer(text):
        mark = match.group()
        if mark in ("(", ")"):
            depth += 1 if mark == "(" else -1
        elif depth == 0:
            spans.append((start, match.start()))
            start = match.end()
    spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


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


# --- files ------------------------------------------------------------------------------------

Cell = (
    str
    | int
    | float
    | bool
    | datetime.date
    | datetime.datetime
    | datetime.time
    | datetime.timedelta
)
# (row number as a spreadsheet shows it, cells)
Rows = Generator[tuple[int, list[Cell]], None, None]


class Container(StrEnum):
    docx = "a Word document"
    xlsx = "an Excel workbook"
    xls = "an Excel 97-2003 workbook"
    text = "a text file"


_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_KNOWN_BINARY = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"{\\rtf", "an RTF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
)
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def sniff_container(path: Path) -> Container:
    """What kind of file this is, by its content; UnreadableFile names anything else."""
    with path.open("rb") as file:
        head = file.read(4096)
    if not head:
        raise UnreadableFile("the file is empty")
    if head.startswith(_ZIP):
        return _zip_container(path)
    if head.startswith(_OLE2):
        return Container.xls
    for magic, what in _KNOWN_BINARY:
        if head.startswith(magic):
            raise UnreadableFile(f"the file is {what}")
    if b"\x00" in head and not head.startswith(_UTF16_BOMS):
        raise UnreadableFile("the file is binary data of an unknown kind")
    return Container.text


def _zip_container(path: Path) -> Container:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError):
        raise UnreadableFile("the file is a damaged or truncated zip archive") from None
    if "word/document.xml" in names:
        return Container.docx
    if any(name.startswith("xl/") for name in names):
        return Container.xlsx
    raise UnreadableFile("the file is a zip archive but neither a Word document nor a workbook")


@dataclass(frozen=True)
class Table:
    """A CSV file or the first sheet of a workbook: its header row, then its rows, streamed."""

    header_row: int
    header: list[str]
    _read: Callable[[], Rows]

    def rows(self) -> Rows:
        """The rows after the header, blank rows left out, numbered as in the file."""
        with closing(self._read()) as rows:
            for number, cells in rows:
                if number > self.header_row and any(cell_text(cell) for cell in cells):
                    yield number, cells


def open_table(path: Path) -> Table:
    """The table in a CSV, .xls or .xlsx file, told apart by content, with its header read."""
    container = sniff_container(path)
    if container is Container.docx:
        raise UnreadableFile("the file is a Word document, not a spreadsheet or CSV file")
    if container is Container.text:
        return _table(lambda: _csv_rows(path))
    sheet = _first_sheet(path, container)
    return _table(lambda: _sheet_rows(sheet))


def _table(read: Callable[[], Rows]) -> Table:
    with closing(read()) as rows:
        for number, cells in rows:
            header = [cell_text(cell).strip() for cell in cells]
            if any(header):
                return Table(number, header, read)
    raise UnreadableFile("the file holds no rows")


def _first_sheet(path: Path, container: Container) -> CalamineSheet:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    except CalamineError as error:
        raise UnreadableFile(f"the file is {container} that cannot be read ({error})") from None


def _sheet_rows(sheet: CalamineSheet) -> Rows:
    # Calamine starts at row 1 even when the data starts lower, so numbers match the sheet.
    yield from enumerate(sheet.iter_rows(), start=1)


def cell_text(cell: Cell | None) -> str:
    if type(cell) is str:  # every CSV cell: the common case first
        return cell
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime.date | datetime.time):
        return cell.isoformat()
    return str(cell)


def header_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.casefold())


def column_positions(header: list[str], columns: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Field -> position of the first column bearing one of its names (names repeat in exports)."""
    keys = [header_key(name) for name in header]
    positions: dict[str, int] = {}
    for field, names in columns.items():
        wanted = {header_key(name) for name in names}
        found = next((i for i, key in enumerate(keys) if key in wanted), None)
        if found is not None:
            positions[field] = found
    return positions


# --- CSV ---------------------------------------------------------------------------------------

_SAMPLE = 512 * 1024
_CHUNK = 64 * 1024
_DELIMITERS = (",", ";", "\t")


def _csv_rows(path: Path) -> Rows:
    with closing(text_lines(path)) as lines:
        first = next(lines, "")
        delimiter = max(_DELIMITERS, key=first.count)
        reader = csv.reader(chain([first], lines), delimiter=delimiter)
        try:
            for number, cells in enumerate(reader, start=1):
                yield number, list(cells)
        except csv.Error as error:
            message = f"not a readable CSV file after line {reader.line_num}: {error}"
            raise UnreadableFile(message) from None


_LINE_END = re.compile(r"\r\n?|\n")


def text_lines(path: Path) -> Generator[str, None, None]:
    """The lines of a text file of unknown encoding, each with its own ending (CR, LF, CRLF).

    Read chunk by chunk: memory does not grow with the file.
    """
    with path.open("rb") as file:
        chunk = file.read(_SAMPLE)
        decoder = TextDecoder(chunk)
        pending = ""
        while chunk:
            pending += decoder.decode(chunk)
            lines, pending = _complete_lines(pending)
            yield from lines
            chunk = file.read(_CHUNK)
        pending += decoder.decode(b"", final=True)
        if pending:
            yield pending


def _complete_lines(text: str) -> tuple[list[str], str]:
    lines: list[str] = []
    start = 0
    for match in _LINE_END.finditer(text):
        if match.end() == len(text) and match.group() == "\r":
            break  # the LF of a CRLF may be in the next chunk
        lines.append(text[start : match.end()])
        start = match.end()
    return lines, text[start:]


class TextDecoder:
    """Decodes a text file whose encoding nobody recorded.

    A byte-order mark decides. Otherwise the text is ASCII until the first chunk holding other
    bytes, and that chunk decides: UTF-8 if it is valid UTF-8, else the single-byte encoding in
    which it reads most plausibly (see `guess_single_byte`). Deciding there rather than on a
    leading sample matters for real exports: the UPR Info file of sessions 1-5 is MacRoman, with
    its first accented letter 900 KB in, so any leading sample of it is plain ASCII.
    """

    def __init__(self, head: bytes) -> None:
        self._bare_cr = b"\r" in head and b"\n" not in head
        self._decoder: codecs.IncrementalDecoder | None = None
        for bom, codec in _BOMS:
            if head.startswith(bom):
                self._decoder = codecs.getincrementaldecoder(codec)()

    def decode(self, data: bytes, final: bool = False) -> str:
        if self._decoder is None:
            if data.isascii():
                return data.decode("ascii")
            self._decoder = self._decide(data)
        try:
            return self._decoder.decode(data, final)
        except UnicodeDecodeError as error:
            raise UnreadableFile(f"the text mixes encodings ({error.reason})") from None

    def _decide(self, chunk: bytes) -> codecs.IncrementalDecoder:
        try:
            codecs.getincrementaldecoder("utf-8")().decode(chunk)
            codec = "utf-8"
        except UnicodeDecodeError:
            codec = guess_single_byte(chunk, self._bare_cr)
        return codecs.getincrementaldecoder(codec)()


_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def guess_single_byte(chunk: bytes, bare_cr: bool) -> str:
    """The single-byte encoding in which the non-ASCII lines of `chunk` read most plausibly.

    charset-normalizer alone is not enough on real exports: on the UPR Info file it prefers
    cp1250 or cp1257, reading "Habré" as "HabrŽ". So each candidate (cp1252, MacRoman and
    charset-normalizer's guesses) is scored by `implausibility` and the lowest wins. Ties (à and
    ŕ both look like letters) go to MacRoman when lines end with a bare CR (the classic Mac OS
    convention), then cp1252, MacRoman, charset-normalizer's order.
    """
    import charset_normalizer

    sample = b"\n".join(line for line in chunk.splitlines() if not line.isascii())
    guesses = [
        m.encoding for m in charset_normalizer.from_bytes(sample) if _single_byte(m.encoding)
    ]
    preferred = ["mac_roman"] if bare_cr else []
    readings = {
        codec: reading
        for codec in dict.fromkeys([*preferred, *_USUAL, *guesses, "latin_1"])
        if (reading := _strict(sample, codec)) is not None
    }
    return min(readings, key=lambda codec: implausibility(readings[codec]))


_USUAL = ("cp1252", "mac_roman")  # Windows and Mac exports in English, French or Spanish


def _single_byte(codec: str) -> bool:
    high = bytes(range(128, 256))
    return len(high.decode(codec, errors="replace")) == len(high)


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


_TYPOGRAPHY = frozenset("\u00a0\u2018\u2019\u201a\u201c\u201d\u201e\u2013\u2014\u2026«»°§€£•·ºª")


def implausibility(text: str) -> int:
    """How many non-ASCII characters read oddly: symbols, controls or modifier letters amid
    prose; a capital inside a lower-case word ("HabrŽ", "CÙte"); a non-Latin letter touching a
    Latin one (a Cyrillic capital O in "Equit_"); an accented Latin letter between two others
    ("Ðîññèÿ", which is Russian read as cp1252)."""
    return sum(1 for i, char in enumerate(text) if _odd(text, i, char))


def _odd(text: str, i: int, char: str) -> bool:
    if char.isascii() or char in _TYPOGRAPHY:
        return False
    if not char.isalpha() or unicodedata.category(char) == "Lm":
        return True
    if char.isupper() and _inside_word(text, i):
        return True
    neighbours = text[max(i - 1, 0) : i] + text[i + 1 : i + 2]
    if "LATIN" not in unicodedata.name(char, ""):
        return any(other.isascii() and other.isalpha() for other in neighbours)
    return len(neighbours) == 2 and all(not c.isascii() and c.isalpha() for c in neighbours)


def _inside_word(text: str, i: int) -> bool:
    before = text[i - 1] if i else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    return before.islower() or (before.isalpha() and after.islower())
