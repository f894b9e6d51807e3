"""Reading the catalogue: filters, full-text search and the public shape of a recommendation.

The catalogue is public: every function here serves anonymous callers too.
"""

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, text
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.errors import NotFound
from app.core.pagination import Listing
from app.core.read_models import among_ids, json_list, json_row
from app.core.settings import Settings
from app.recommendations.models import (
    Recommendation,
    RecommendationAffectedPerson,
    RecommendationSdg,
    RecommendationTheme,
    RecommendingState,
)
from app.recommendations.schemas import RecommendationRead
from app.taxonomies.models import AffectedPerson, Theme, term_key
from app.taxonomies.service import theme_codes
from app.taxonomies.vocabularies import Mechanism, Position

_WORD = re.compile(r"\w+", re.UNICODE)

Shown = dict[str, Any]  # a recommendation's public shape as plain values (`_shape`)


@dataclass(frozen=True)
class CatalogueFilter:
    state: str | None = None
    mechanism: Mechanism | None = None
    body: str | None = None
    cycle: int | None = None
    session: int | None = None
    position: Position | None = None
    theme: str | None = None
    affected_person: str | None = None
    sdg: str | None = None
    recommending_state: str | None = None
    document_symbol: str | None = None
    paragraph: str | None = None
    q: str | None = None


def search(
    db: Session, where: CatalogueFilter, *, limit: int, cursor: str | None, settings: Settings
) -> tuple[list[Shown], str | None]:
    listing = Listing(
        [Recommendation.created_at, Recommendation.id],
        settings=settings,
        list_name="list_recommendations",
    )
    keys = sa_select(col(Recommendation.id), col(Recommendation.created_at))
    matching = keys.where(*_conditions(db, where))
    rows = db.connection().execute(listing.page(matching, limit=limit, cursor=cursor)).all()
    shown, next_cursor = listing.cut(list(rows), limit=limit)
    return read_many(db, [row.id for row in shown]), next_cursor


def _conditions(db: Session, where: CatalogueFilter) -> list[ColumnElement[bool]]:
    r = Recommendation
    conditions: list[ColumnElement[bool]] = []
    for column, value in (
        (r.state_code, where.state and where.state.upper()),
        (r.mechanism, where.mechanism),
        (r.cycle, where.cycle),
        (r.session, where.session),
        (r.position, where.position),
        (r.document_symbol, where.document_symbol and where.document_symbol.strip()),
        (r.paragraph, where.paragraph and where.paragraph.strip()),
    ):
        if value is not None:
            conditions.append(column == value)  # type: ignore[arg-type]
    if where.body:
        conditions.append(func.lower(r.body) == where.body.lower())
    if where.theme:
        conditions.append(r.id.in_(_with_theme(db, where.theme)))  # type: ignore[attr-defined]
    if where.affected_person:
        conditions.append(r.id.in_(_with_affected_person(where.affected_person)))  # type: ignore[attr-defined]
    if where.sdg:
        conditions.append(r.id.in_(_with_sdg(where.sdg)))  # type: ignore[attr-defined]
    if where.recommending_state:
        conditions.append(r.id.in_(_recommended_by(where.recommending_state)))  # type: ignore[attr-defined]
    if where.q and where.q.strip():
        conditions.append(_matches_query(db, where.q))
    return conditions


def _with_theme(db: Session, theme: str) -> SelectOfScalar[uuid.UUID]:
    """A UHRI code (`A12`), a UHRI name or a UPR Info issue (`Women's rights`), case and
    spacing ignored: every term becomes its UHRI codes (`theme_codes`), so a code and the
    names crosswalked to it find the same recommendations. A name known nowhere matches the
    uncoded theme of that name."""
    wanted = theme_codes(db, [theme])
    matching = select(Theme.id).where(
        or_(col(Theme.code).in_(wanted), col(Theme.key).in_(wanted | {term_key(theme)}))
    )
    return select(RecommendationTheme.recommendation_id).where(
        RecommendationTheme.theme_id.in_(matching)  # type: ignore[attr-defined]
    )


def _with_affected_person(name: str) -> SelectOfScalar[uuid.UUID]:
    matching = select(AffectedPerson.id).where(AffectedPerson.key == term_key(name))
    return select(RecommendationAffectedPerson.recommendation_id).where(
        RecommendationAffectedPerson.affected_person_id.in_(matching)  # type: ignore[attr-defined]
    )


def _with_sdg(sdg: str) -> SelectOfScalar[uuid.UUID]:
    """`16` is every link into goal 16, its targets included; `16.3` that target only."""
    code = sdg.strip()
    link = RecommendationSdg
    if code.isdigit():
        return select(link.recommendation_id).where(link.goal == int(code))
    return select(link.recommendation_id).where(link.code == code.lower())


def _recommended_by(state: str) -> SelectOfScalar[uuid.UUID]:
    return select(RecommendingState.recommendation_id).where(
        RecommendingState.state_code == state.strip().upper()
    )


def _matches_query(db: Session, query: str) -> ColumnElement[bool]:
    """The words of the text, or a paragraph number (`186.28`) or document symbol
    (`A/HRC/25/5`) written as the whole query."""
    whole = query.strip()
    return or_(
        _matches_text(db, query),
        Recommendation.paragraph == whole,  # type: ignore[arg-type]
        func.upper(Recommendation.document_symbol) == whole.upper(),
    )


def _matches_text(db: Session, query: str) -> ColumnElement[bool]:
    """Every word must match (stemmed); PostgreSQL also honours quotes and `-word`."""
    if db.get_bind().dialect.name == "postgresql":
        return text(
            "recommendations.search_vector @@ websearch_to_tsquery('english', :q)"
        ).bindparams(q=query)  # type: ignore[return-value]
    words = _WORD.findall(query)
    if not words:
        return text("1 = 0")  # type: ignore[return-value]
    expression = " ".join(f'"{word}"' for word in words)
    return text(
        "recommendations.rowid IN "
        "(SELECT rowid FROM recommendations_fts WHERE recommendations_fts MATCH :q)"
    ).bindparams(q=expression)  # type: ignore[return-value]


def get(db: Session, recommendation_id: uuid.UUID) -> Shown:
    found = read_many(db, [recommendation_id])
    if not found:
        raise NotFound(f"no recommendation {recommendation_id}")
    return found[0]


def to_read(db: Session, rows: Sequence[Recommendation]) -> list[RecommendationRead]:
    """The public shape of recommendations loaded as models, with their changes so far."""
    db.flush()  # read_many asks the database, which must see what the models hold
    return [RecommendationRead(**shown) for shown in read_many(db, [row.id for row in rows])]


def read_many(db: Session, ids: Sequence[uuid.UUID]) -> list[Shown]:
    """The public shape of the recommendations with these ids, in that order, in one query."""
    if not ids:
        return []
    statement = _shown(db.get_bind().dialect.name)
    rows = db.connection().execute(statement, {"ids": list(ids)}).all()
    found = {row.id: _shape(row) for row in rows}
    return [found[id_] for id_ in ids if id_ in found]


_COLUMNS: tuple[Any, ...] = tuple(
    col(column)
    for column in (
        Recommendation.id,
        Recommendation.state_code,
        Recommendation.mechanism,
        Recommendation.body,
        Recommendation.cycle,
        Recommendation.session,
        Recommendation.document_symbol,
        Recommendation.paragraph,
        Recommendation.date,
        Recommendation.text,
        Recommendation.position,
        Recommendation.action_category,
        Recommendation.source_format,
        Recommendation.uhri_id,
        Recommendation.position_source,
        Recommendation.last_import_id,
        Recommendation.version,
        Recommendation.created_at,
        Recommendation.updated_at,
    )
)


@cache
def _shown(dialect: str) -> Select[Any]:
    """The read model: the columns the public shape shows and, each as a JSON array aggregated
    by the database (NULL where PostgreSQL found none), the recommending States, themes (code,
    name, label), affected persons and SDG targets of the recommendations of `:ids`. Built once:
    building SQLAlchemy statements costs more CPU than the database spends answering them.
    PostgreSQL takes the ids as one array, so it prepares the statement once for any number."""
    recommendation = col(Recommendation.id)

    def linked(value: Any, link: Any, *joins: tuple[Any, Any]) -> Any:
        statement = sa_select(json_list(dialect, value)).select_from(link)
        for table, on in joins:
            statement = statement.join(table, on)
        return statement.where(link.recommendation_id == recommendation).scalar_subquery()

    rt, rp = RecommendationTheme, RecommendationAffectedPerson
    return sa_select(
        *_COLUMNS,
        linked(col(RecommendingState.state_code), RecommendingState).label("recommending"),
        linked(
            json_row(dialect, Theme.code, Theme.name, rt.label),
            rt,
            (Theme, col(Theme.id) == rt.theme_id),
        ).label("themes"),
        linked(
            col(AffectedPerson.name),
            rp,
            (AffectedPerson, col(AffectedPerson.id) == rp.affected_person_id),
        ).label("persons"),
        linked(col(RecommendationSdg.code), RecommendationSdg).label("sdgs"),
    ).where(among_ids(dialect, recommendation))


def _shape(row: Any) -> Shown:
    """`RecommendationRead`'s fields, in its order, as plain values: a list is written as JSON
    straight from these (`json_answer`), and a model is made from them only where one is needed
    (`to_read`). tests/recommendations/test_read_model.py holds the two to the same bytes."""
    themes = [
        {"code": code, "name": name, "source_label": label}
        for code, name, label in row.themes or ()
    ]
    return {
        "id": row.id,
        "state_code": row.state_code,
        "mechanism": row.mechanism,
        "body": row.body,
        "cycle": row.cycle,
        "session": row.session,
        "document_symbol": row.document_symbol,
        "paragraph": row.paragraph,
        "date": row.date,
        "text": row.text,
        "position": row.position,
        "action_category": row.action_category,
        "recommending_states": sorted(row.recommending or ()),
        "themes": sorted(themes, key=lambda t: (t["code"] or "~", t["name"])),
        "affected_persons": sorted(row.persons or ()),
        "sdg_targets": sorted(row.sdgs or (), key=_sdg_order),
        "source": {
            "format": row.source_format,
            "uhri_id": row.uhri_id,
            "position_source": row.position_source,
            "import_id": row.last_import_id,
        },
        "version": row.version,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def _sdg_order(code: str) -> tuple[int, int, str]:
    goal, _, target = code.partition(".")
    return (int(goal), int(target) if target.isdigit() else (0 if not target else 1000), target)
