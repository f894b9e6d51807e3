"""What the read models of the hot lists share. A read model reads its rows as columns (no ORM
objects) with each list of links aggregated into a JSON array by the database, from statements
built once per database (`functools.cache` on the dialect's name): building a SQLAlchemy
statement costs more CPU than the database spends answering it."""

from typing import Any, cast

from fastapi import Response
from pydantic_core import to_json
from sqlalchemy import JSON, ColumnElement, Uuid, any_, bindparam, func
from sqlalchemy.dialects.postgresql import ARRAY

POSTGRESQL = "postgresql"


def json_list(dialect: str, value: Any) -> ColumnElement[Any]:
    """The values of a group as one JSON array: NULL on PostgreSQL for an empty group, `[]`
    on SQLite."""
    aggregate = func.json_agg if dialect == POSTGRESQL else func.json_group_array
    return aggregate(value, type_=JSON)


def json_row(dialect: str, *values: Any) -> ColumnElement[Any]:
    """Several values of one row as one JSON array, for `json_list`."""
    array = func.json_build_array if dialect == POSTGRESQL else func.json_array
    return array(*values)


def among_ids(dialect: str, column: Any, name: str = "ids") -> ColumnElement[bool]:
    """`column` is one of the UUIDs bound as `name`: on PostgreSQL one array parameter, so the
    statement is prepared once for any number of ids; elsewhere an expanding `IN`."""
    if dialect == POSTGRESQL:
        wanted = column == any_(bindparam(name, type_=ARRAY(Uuid())))
    else:
        wanted = column.in_(bindparam(name, expanding=True))
    return cast(ColumnElement[bool], wanted)


def json_answer(content: Any) -> Response:
    """A read model's answer written by pydantic-core straight from plain values (dicts in the
    response model's field order, UUIDs, dates, enums): the bytes FastAPI writes for the route's
    response model, without making the models, which cost several times the writing. Each read
    model's tests hold it to those bytes."""
    return Response(to_json(content), media_type="application/json")
