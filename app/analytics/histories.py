"""What each request went through, summed up in SQL: one row per request, so that analytics
never reads every move of every request into Python.

Days are counted as the triage queue counts them (`app.assistance.queue`): the working days
from `start` to `end` are `weekdays_through(end) - weekdays_through(start)`, and the database
computes `weekdays_through` of each moment here, in the same arithmetic, on SQLite and
PostgreSQL alike.
"""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Date, Integer, Select, and_, case, cast, func, select
from sqlalchemy import literal_column as sql
from sqlmodel import Session, col

from app.assistance.models import RequestTransition

SUBMITTED = "submitted"


def _days_since_1970(db: Session, moment: Any) -> ColumnElement[int]:
    """The UTC calendar day of a stored moment, as days since 1 January 1970."""
    if db.get_bind().dialect.name == "postgresql":
        day = cast(func.timezone("UTC", moment), Date) - sql("DATE '1970-01-01'")
        return cast(day, Integer)
    # SQLite keeps UTC moments as ISO text; the Julian day of 1970-01-01 at midnight:
    return cast(func.julianday(func.date(moment)) - 2440587.5, Integer)


def weekdays_through(db: Session, moment: Any) -> ColumnElement[int]:
    """`app.assistance.queue.weekdays_through` of the moment's UTC day, in SQL."""
    since_sunday = _days_since_1970(db, moment) - 3
    rest = since_sunday % 7
    return cast(5 * (since_sunday // 7) + case((rest > 5, 5), else_=rest), Integer)


def summaries(
    db: Session, chosen: Select[Any], timed: Iterable[str], targets: Iterable[str]
) -> Any:
    """Per request among `chosen` (a SELECT of request ids):

    - `entered_<stage>`: `weekdays_through` of its first entry into each `timed` stage;
    - `left_submitted`: of its first move out of `submitted`;
    - for each other stage of `targets` (by position `i`): `stays_<i>`, how many stays it had
      there; `closed_<i>`, the working days of its longest stay that ended; `open_<i>`,
      `weekdays_through` of the start of the stay still open, if it is still there.
    """
    moves = _moves(db, chosen)
    columns: list[Any] = [moves.c.request_id]
    for stage in timed:
        entered = func.min(case((moves.c.to_stage == stage, moves.c.at_day)))
        columns.append(entered.label(f"entered_{stage}"))
    left = func.min(case((moves.c.from_stage == SUBMITTED, moves.c.at_day)))
    columns.append(left.label("left_submitted"))
    for index, stage in enumerate(targets):
        into = moves.c.to_stage == stage
        ended, still = moves.c.next_day.is_not(None), moves.c.next_day.is_(None)
        columns += [
            func.count(case((into, 1))).label(f"stays_{index}"),
            func.max(case((and_(into, ended), moves.c.next_day - moves.c.at_day))).label(
                f"closed_{index}"
            ),
            func.max(case((and_(into, still), moves.c.at_day))).label(f"open_{index}"),
        ]
    return select(*columns).group_by(moves.c.request_id).subquery()


def _moves(db: Session, chosen: Select[Any]) -> Any:
    """(request, from, to, day of the move, day of the request's next move) per move."""
    move = RequestTransition
    following = func.lead(col(move.at)).over(
        partition_by=col(move.request_id), order_by=(col(move.at), col(move.id))
    )
    return (
        select(
            col(move.request_id).label("request_id"),
            col(move.from_stage).label("from_stage"),
            col(move.to_stage).label("to_stage"),
            weekdays_through(db, col(move.at)).label("at_day"),
            weekdays_through(db, following).label("next_day"),
        )
        .where(col(move.request_id).in_(chosen))
        .subquery()
    )
