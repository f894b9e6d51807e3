"""Keyset (cursor) pagination with a bounded page size, and the one way a list cursor is issued
and read.

A cursor is `<payload>.<tag>`, both base64url without padding: the payload is the JSON array of
the values the next page starts after; the tag is HMAC-SHA256 over the list's name, its sort and
the payload, under a key derived from the signing secret (never the secret itself). A cursor is
read only when its tag is the server's for this very list and sort, and even then each value is
checked against what the query will bind (an aware datetime, a UUID, a BIGINT, text without NUL)
before any query runs. Anything else is 422 `/problems/invalid-cursor`.
"""

import base64
import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any, Generic, TypeVar, cast

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Select, tuple_
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session
from sqlmodel.sql.expression import SelectOfScalar

from app.core.errors import InvalidCursor
from app.core.settings import Settings

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR_LENGTH = 512

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Page size, at most {MAX_LIMIT}.")]
Cursor = Annotated[
    str | None,
    Query(
        max_length=MAX_CURSOR_LENGTH,
        description="Opaque `next_cursor` from the previous page of the same list and sort, "
        "unchanged; any other value is 422 `/problems/invalid-cursor`.",
    ),
]

T = TypeVar("T")
Row = TypeVar("Row")
S = TypeVar("S", bound=Select[*tuple[Any, ...]] | SelectOfScalar[Any])

# A value read from a cursor, checked and typed; raises ValueError, TypeError or OverflowError.
CursorField = Callable[[object], Any]

CURSOR_KEY_LABEL = b"item10/list-cursor/v1"
BIGINT_MIN = -(2**63)
BIGINT_MAX = 2**63 - 1
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


def paginate(
    db: Session,
    statement: SelectOfScalar[Row],
    keys: Sequence[Any],
    *,
    limit: int,
    cursor: str | None,
    settings: Settings,
    list_name: str,
    descending: bool = False,
) -> tuple[list[Row], str | None]:
    """One page of `statement` ordered by `keys` (model attributes, unique together), and the
    cursor after it, good for this list (`list_name`, by convention its operation id) in this
    order only."""
    listing = Listing(keys, settings=settings, list_name=list_name, descending=descending)
    rows = list(db.exec(listing.page(statement, limit=limit, cursor=cursor)).all())
    return listing.cut(rows, limit=limit)


class Listing:
    """One list in one order, in two halves, for a read that wraps its page in a larger query
    (`paginate` does both): `page` narrows a statement to the rows after the cursor, in order,
    one more than `limit`; `cut` keeps `limit` of the rows read and issues the next cursor."""

    def __init__(
        self, keys: Sequence[Any], *, settings: Settings, list_name: str, descending: bool = False
    ) -> None:
        self.keys = keys
        self.settings = settings
        self.list_name = list_name
        self.descending = descending
        self.sort = ",".join(("-" if descending else "") + key.key for key in keys)

    def page(self, statement: S, *, limit: int, cursor: str | None) -> S:
        if cursor is not None:
            fields = [_field_of(key) for key in self.keys]
            after = read_cursor(self.settings, self.list_name, self.sort, cursor, fields)
            position = tuple_(*self.keys)
            statement = cast(
                S, statement.where(position < after if self.descending else position > after)
            )
        order = [key.desc() if self.descending else key.asc() for key in self.keys]
        return cast(S, statement.order_by(*order).limit(limit + 1))

    def cut(self, rows: list[Row], *, limit: int) -> tuple[list[Row], str | None]:
        if len(rows) <= limit:
            return rows, None
        rows = rows[:limit]
        last = [getattr(rows[-1], key.key) for key in self.keys]
        return rows, issue_cursor(self.settings, self.list_name, self.sort, last)


def issue_cursor(settings: Settings, list_name: str, sort: str, values: Sequence[Any]) -> str:
    """The cursor holding `values` (datetimes, UUIDs, integers, text) for one list and sort."""
    payload = json.dumps([_plain(value) for value in values], separators=(",", ":")).encode()
    tag = _tag(settings, list_name, sort, payload)
    return f"{_encode(payload)}.{_encode(tag)}"


def read_cursor(
    settings: Settings, list_name: str, sort: str, cursor: str, fields: Sequence[CursorField]
) -> tuple[Any, ...]:
    """The values of a cursor this server issued for this list and sort, each checked by its
    field; anything else raises `InvalidCursor`."""
    encoded_payload, dot, encoded_tag = cursor.partition(".")
    try:
        if not dot:
            raise ValueError("no tag")
        payload, tag = _decode(encoded_payload), _decode(encoded_tag)
    except ValueError as exc:  # binascii.Error is a ValueError
        raise InvalidCursor() from exc
    if not hmac.compare_digest(tag, _tag(settings, list_name, sort, payload)):
        raise InvalidCursor()
    try:
        values = json.loads(payload)
        if not isinstance(values, list) or len(values) != len(fields):
            raise ValueError("wrong shape")
        return tuple(field(value) for field, value in zip(fields, values, strict=True))
    except (ValueError, TypeError, OverflowError) as exc:
        raise InvalidCursor() from exc


# Fields: each takes a decoded JSON value and returns it typed, or raises.


def aware_datetime(value: object) -> datetime:
    """An ISO 8601 time with an offset, as UTC (OverflowError at the ends of the calendar)."""
    if not isinstance(value, str):
        raise TypeError("a time is a string")
    moment = datetime.fromisoformat(value)
    if moment.utcoffset() is None:
        raise ValueError("a time without an offset")
    return moment.astimezone(UTC)


def uuid_value(value: object) -> uuid.UUID:
    if not isinstance(value, str):
        raise TypeError("a UUID is a string")
    return uuid.UUID(value)


def bigint(value: object) -> int:
    """An integer (not a boolean) that a BIGINT column holds."""
    if type(value) is not int or not BIGINT_MIN <= value <= BIGINT_MAX:
        raise ValueError("not an integer within BIGINT")
    return value


def non_negative_int(value: object) -> int:
    """An offset into a list: a non-negative integer."""
    number = bigint(value)
    if number < 0:
        raise ValueError("a negative position")
    return number


def text(value: object) -> str:
    """Text that PostgreSQL can bind: no NUL, no lone surrogate."""
    if not isinstance(value, str) or "\x00" in value:
        raise ValueError("not text, or text with a NUL")
    value.encode()  # UnicodeEncodeError (a ValueError) on a lone surrogate
    return value


_FIELDS: dict[type, CursorField] = {
    datetime: aware_datetime,
    uuid.UUID: uuid_value,
    int: bigint,
    str: text,
}


def _field_of(key: Any) -> CursorField:
    column_type = key.type
    while isinstance(column_type, TypeDecorator):  # its python_type is `object`; ask the impl
        column_type = column_type.impl_instance
    field = _FIELDS.get(column_type.python_type)
    if field is None:
        raise TypeError(f"no cursor field for a key of type {column_type.python_type}")
    return field


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return aware_datetime(value.isoformat()).isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, int | str) and not isinstance(value, bool):
        return value
    raise TypeError(f"no cursor field for {type(value).__name__}")


@lru_cache(maxsize=4)
def _key(secret: str) -> bytes:
    """The cursor key: its own, so that a cursor never exposes or reuses the token key."""
    return hmac.new(secret.encode(), CURSOR_KEY_LABEL, hashlib.sha256).digest()


def _tag(settings: Settings, list_name: str, sort: str, payload: bytes) -> bytes:
    bound = json.dumps([list_name, sort]).encode() + b"\n" + payload  # JSON holds no raw newline
    return hmac.new(_key(settings.signing_secret()), bound, hashlib.sha256).digest()


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(encoded: str) -> bytes:
    if not _BASE64URL.fullmatch(encoded):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))  # binascii.Error
