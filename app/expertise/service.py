"""The roster of providers, kept by OHCHR officers and administrators."""

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, exists, func, literal, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.audit.service import record
from app.auth.models import User
from app.core.concurrency import require_match
from app.core.errors import NotFound, UnprocessableContent
from app.core.pagination import paginate
from app.core.principal import Principal, Role
from app.core.settings import Settings
from app.expertise.models import OCCUPYING, Assignment, Provider, ProviderKind
from app.expertise.schemas import ProviderCreate, ProviderFields, ProviderRead
from app.states.models import State
from app.taxonomies.models import Theme, term_key
from app.taxonomies.service import term_errors


@dataclass(frozen=True)
class ProviderFilter:
    kind: ProviderKind | None = None
    active: bool | None = None
    language: str | None = None
    region: str | None = None
    assistance_type: str | None = None
    theme: str | None = None


def list_providers(
    db: Session, where: ProviderFilter, *, limit: int, cursor: str | None, settings: Settings
) -> tuple[list[ProviderRead], str | None]:
    """Filtered in SQL, so that every page holds `limit` matches (but the last)."""
    statement = select(Provider)
    if where.kind is not None:
        statement = statement.where(Provider.kind == where.kind)
    if where.active is not None:
        statement = statement.where(Provider.is_active == where.active)
    if where.language:
        statement = statement.where(_holds(db, Provider.languages, [where.language.lower()]))
    if where.assistance_type:
        statement = statement.where(_holds(db, Provider.assistance_types, [where.assistance_type]))
    if where.theme:
        statement = statement.where(
            _holds(db, Provider.themes, _theme_spellings(db, where.theme), folded=True)
        )
    if where.region:
        statement = statement.where(_covers_region(db, where.region))
    keys = [Provider.created_at, Provider.id]
    rows, next_cursor = paginate(
        db,
        statement,
        keys,
        limit=limit,
        cursor=cursor,
        settings=settings,
        list_name="list_providers",
    )
    return to_read(db, rows), next_cursor


def _holds(
    db: Session,
    column: Any,
    values: Collection[str] | SelectOfScalar[str],
    *,
    folded: bool = False,
) -> ColumnElement[bool]:
    """The JSON list in `column` holds one of `values` (compared in lower case if `folded`):
    an EXISTS over the list's elements, the same question on SQLite and PostgreSQL."""
    if db.get_bind().dialect.name == "postgresql":
        elements = func.jsonb_array_elements_text(column).table_valued("value")
    else:
        elements = func.json_each(column).table_valued("value")
    value = func.lower(elements.c.value) if folded else elements.c.value
    return exists(select(literal(1)).select_from(elements).where(value.in_(values)))


def _theme_spellings(db: Session, theme: str) -> set[str]:
    """A provider's themes are free text: a taxonomy theme is found under its code or its
    name (as `GET /recommendations?theme=` takes either), in any case; other text as it is."""
    key = term_key(theme)
    spellings = {key}
    known = db.exec(
        select(Theme).where(or_(col(Theme.code) == theme.strip().upper(), col(Theme.key) == key))
    ).all()
    for term in known:
        spellings |= {term.key, term.name.lower(), *([term.code.lower()] if term.code else [])}
    return spellings


def _covers_region(db: Session, region: str) -> ColumnElement[bool]:
    """Coverage that overlaps the M49 region or sub-region: the region itself, a sub-region of
    it or the region it lies in (`regions_covered`), or a State in it (`states_covered`)."""
    in_region = or_(col(State.region) == region, col(State.sub_region) == region)
    related = db.exec(select(State.region, State.sub_region).where(in_region).distinct()).all()
    overlapping = {region} | {name for pair in related for name in pair}
    return or_(
        _holds(db, Provider.regions_covered, overlapping),
        _holds(db, Provider.states_covered, select(State.code).where(in_region)),
    )


def get_provider(db: Session, provider_id: uuid.UUID) -> Provider:
    provider = db.get(Provider, provider_id)
    if provider is None:
        raise NotFound(f"no provider {provider_id}")
    return provider


def create_provider(db: Session, who: Principal, body: ProviderCreate) -> Provider:
    values = _checked(db, body.model_dump(mode="json", exclude_unset=True), None)
    provider = Provider(**values)
    db.add(provider)
    db.flush()
    record(
        db,
        who,
        "provider.create",
        resource_type="provider",
        resource_id=provider.id,
        after=to_read(db, [provider])[0],
    )
    return provider


def update_provider(
    db: Session, who: Principal, provider: Provider, body: ProviderFields, if_match: str | None
) -> Provider:
    require_match(if_match, provider.version)
    before = to_read(db, [provider])[0]
    values = _checked(db, body.model_dump(mode="json", exclude_unset=True), provider)
    provider.touch()
    for field, value in values.items():
        setattr(provider, field, value)
    db.add(provider)
    db.flush()
    record(
        db,
        who,
        "provider.update",
        resource_type="provider",
        resource_id=provider.id,
        before=before,
        after=to_read(db, [provider])[0],
    )
    return provider


def _checked(db: Session, values: dict[str, Any], current: Provider | None) -> dict[str, Any]:
    """Themes, SDG targets and languages as requests name them (one check for both); States
    and regions that exist; a peer State names its own State; a linked account is a provider
    account. Every problem is one of the 422's `errors`, at its field."""
    errors = term_errors(db, values)

    def error(field: str, msg: str) -> None:
        errors.append({"loc": ["body", field], "msg": msg, "type": "value_error"})

    known_states = set(db.exec(select(State.code)).all())
    for code in values.get("states_covered") or []:
        if code not in known_states:
            error("states_covered", f"unknown State {code}")
    regions = {r for pair in db.exec(select(State.region, State.sub_region)).all() for r in pair}
    for region in values.get("regions_covered") or []:
        if region not in regions:
            error("regions_covered", f"unknown region {region!r}")
    kind = values.get("kind", current.kind if current else None)
    home = values.get("home_state_code", current.home_state_code if current else None)
    if home is not None and home not in known_states:
        error("home_state_code", f"unknown home_state_code {home}")
    elif kind == ProviderKind.peer_state and home is None:
        error("home_state_code", "a peer_state provider needs its home_state_code")
    if values.get("user_id"):
        user = db.get(User, uuid.UUID(str(values["user_id"])))
        if user is None or user.role is not Role.provider:
            error("user_id", "user_id must name an account with the provider role")
        else:
            values["user_id"] = user.id
    if errors:
        raise UnprocessableContent("; ".join(e["msg"] for e in errors[:5]), errors=errors)
    return values


def occupied(db: Session, provider_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Proposed and accepted assignments per provider."""
    rows = db.exec(
        select(Assignment.provider_id, func.count())
        .where(col(Assignment.provider_id).in_(provider_ids), col(Assignment.status).in_(OCCUPYING))
        .group_by(col(Assignment.provider_id))
    ).all()
    return {provider_id: int(count) for provider_id, count in rows}


def to_read(db: Session, providers: Sequence[Provider]) -> list[ProviderRead]:
    load = occupied(db, [p.id for p in providers])
    return [
        ProviderRead(
            **{f: getattr(p, f) for f in ProviderRead.model_fields if f != "active_assignments"},
            active_assignments=load.get(p.id, 0),
        )
        for p in providers
    ]
