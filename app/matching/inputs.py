"""What matching computes on, read from the database: requests as needs, providers as offers,
theme terms as UHRI codes. Only the rows asked for: a run over ten requests reads the providers
offering their assistance types, each with its load, in one statement, and every unfamiliar
theme term in one more, rather than the whole roster and a query per term."""

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, exists, func, literal, or_
from sqlmodel import Session, col, select

from app.assistance import service as assistance
from app.assistance.models import AssistanceRequest
from app.expertise.models import OCCUPYING, Assignment, Provider
from app.matching import scoring
from app.taxonomies.models import Theme, term_key
from app.taxonomies.service import reference_codes

# Each assignment holding one of the provider's places (app.expertise.service.occupied).
_LOAD = (
    select(func.count())
    .where(col(Assignment.provider_id) == Provider.id, col(Assignment.status).in_(OCCUPYING))
    .scalar_subquery()
)
_OFFER_COLUMNS: tuple[Any, ...] = (
    Provider.id,
    Provider.kind,
    Provider.home_state_code,
    Provider.name,
    Provider.assistance_types,
    Provider.themes,
    Provider.sdg_targets,
    Provider.languages,
    Provider.states_covered,
    Provider.regions_covered,
    Provider.modalities,
    Provider.capacity,
    Provider.availability,
    _LOAD.label("occupied"),
)


def offers(db: Session, *where: ColumnElement[bool]) -> list[scoring.ProviderOffer]:
    """The providers meeting `where`, by id, as matching reads them: theme terms as codes,
    the places their proposed and accepted assignments hold."""
    statement = select(*_OFFER_COLUMNS).where(*where).order_by(col(Provider.id))
    rows: Sequence[Any] = db.exec(statement).all()  # rows of _OFFER_COLUMNS, by name
    codes = theme_codes_of(db, [row.themes for row in rows])
    return [
        scoring.ProviderOffer(
            id=str(row.id),
            kind=row.kind.value,
            home_state_code=row.home_state_code,
            assistance_types=frozenset(row.assistance_types),
            themes=codes_of(codes, row.themes),
            sdg_targets=frozenset(t.casefold() for t in row.sdg_targets),
            name=row.name,
            languages=frozenset(row.languages),
            states_covered=frozenset(row.states_covered),
            regions_covered=frozenset(row.regions_covered),
            modalities=frozenset(row.modalities),
            capacity=row.capacity,
            occupied=row.occupied,
            availability=tuple(
                (dt.date.fromisoformat(w["start"]), dt.date.fromisoformat(w["end"]))
                for w in row.availability
            ),
        )
        for row in rows
    ]


def active_offers(
    db: Session, assistance_types: Collection[str] | None = None
) -> list[scoring.ProviderOffer]:
    """The active roster, or the part of it offering one of `assistance_types`: the only
    providers a request of those types can be matched with, and all that its unmatched reasons
    count (`Roster.eliminations` counts from the assistance type on), so a computation over
    them gives what it gives over the whole roster."""
    active = col(Provider.is_active).is_(True)
    if assistance_types is None:
        return offers(db, active)
    return offers(db, active, _offering_one_of(db, sorted(assistance_types)))


def _offering_one_of(db: Session, assistance_types: list[str]) -> ColumnElement[bool]:
    """The provider's JSON list of assistance types holds one of these: an EXISTS over its
    elements, the same question on SQLite and PostgreSQL."""
    if db.get_bind().dialect.name == "postgresql":
        elements = func.jsonb_array_elements_text(Provider.assistance_types).table_valued("value")
    else:
        elements = func.json_each(Provider.assistance_types).table_valued("value")
    held = select(literal(1)).select_from(elements).where(elements.c.value.in_(assistance_types))
    return exists(held)


def needs_of(db: Session, requests: Sequence[AssistanceRequest]) -> dict[str, scoring.RequestNeeds]:
    """Each request as matching reads it, by id: its State's region, theme terms as codes."""
    states = assistance.states_of(db, [r.state_code for r in requests])
    codes = theme_codes_of(db, [r.themes for r in requests])
    return {
        str(r.id): scoring.RequestNeeds(
            id=str(r.id),
            state_code=r.state_code,
            region=states[r.state_code].region,
            sub_region=states[r.state_code].sub_region,
            assistance_type=r.assistance_type.value,
            themes=codes_of(codes, r.themes),
            sdg_targets=frozenset(t.casefold() for t in r.sdg_targets),
            title=r.title,
            languages=frozenset(r.languages),
            modality=r.modality.value,
            window_start=r.window_start,
            window_end=r.window_end,
        )
        for r in requests
    }


def theme_codes_of(db: Session, term_lists: Iterable[list[str]]) -> dict[str, frozenset[str]]:
    """The UHRI codes of every distinct theme term, so that a provider tagged `F13` meets a
    request tagged "Women's rights": for each term what `theme_codes(db, [term])` gives (one
    vocabulary: app.taxonomies.service), the terms the shipped reference does not know looked
    up in the catalogue's coded themes together, in one query rather than one each."""
    distinct = {term for terms in term_lists for term in terms}
    codes = {term: frozenset(reference_codes(term)) for term in distinct}
    unknown = {
        t: (term_key(t), t.strip().upper()) for t, found in codes.items() if not found and t.strip()
    }
    if not unknown:
        return codes
    keys, names = zip(*unknown.values(), strict=True)
    coded = db.exec(
        select(Theme.code, Theme.key).where(
            col(Theme.code).is_not(None), or_(col(Theme.key).in_(keys), col(Theme.code).in_(names))
        )
    ).all()
    for term, (key, name) in unknown.items():
        found = {code for code, k in coded if code is not None and (k == key or code == name)}
        codes[term] = frozenset(found or {key})
    return codes


def codes_of(codes: dict[str, frozenset[str]], terms: list[str]) -> frozenset[str]:
    return frozenset().union(*(codes[term] for term in terms))
