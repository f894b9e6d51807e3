"""Keyset (cursor) pagination with a bounded page size."""

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import tuple_
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session
from sqlmodel.sql.expression import SelectOfScalar

from app.core.errors import UnprocessableContent

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Page size, at most {MAX_LIMIT}.")]
Cursor = Annotated[
    str | None,
    Query(max_length=512, description="Opaque `next_cursor` from the previous page."),
]

T = TypeVar("T")
Row = TypeVar("Row")


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
    descending: bool = False,
) -> tuple[list[Row], str | None]:
    """One page of `statement` ordered by `keys` (model attributes, unique together), and the
    cursor after it."""
    if cursor is not None:
        after = _decode(cursor, keys)
        position = tuple_(*keys)
        statement = statement.where(position < after if descending else position > after)
    order = [key.desc() if descending else key.asc() for key in keys]
    rows = list(db.exec(statement.order_by(*order).limit(limit + 1)).all())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, _encode([getattr(rows[-1], key.key) for key in keys])


def _encode(values: list[Any]) -> str:
    plain = [
        v.isoformat() if isinstance(v, datetime) else str(v) if isinstance(v, uuid.UUID) else v
        for v in values
    ]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def _decode(cursor: str, keys: Sequence[InstrumentedAttribute[Any]]) -> tuple[Any, ...]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != len(keys):
            raise ValueError("wrong shape")
        return tuple(_typed(value, key) for value, key in zip(raw, keys, strict=True))
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError) as exc:
        raise UnprocessableContent(
            "the cursor is not valid; pass next_cursor from the previous page unchanged",
            errors=[{"loc": ["query", "cursor"], "msg": "invalid cursor", "type": "value_error"}],
        ) from exc


def _typed(value: Any, key: InstrumentedAttribute[Any]) -> Any:
    column_type = key.type
    while isinstance(column_type, TypeDecorator):  # its python_type is `object`; ask the impl
        column_type = column_type.impl_instance
    python_type = column_type.python_type
    if python_type is datetime:
        return datetime.fromisoformat(value)
    if python_type is uuid.UUID:
        return uuid.UUID(value)
    if not isinstance(value, python_type):
        raise TypeError("cursor value of the wrong type")
    return value
