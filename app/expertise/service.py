"""The roster of providers, kept by OHCHR officers and administrators."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.audit.service import record
from app.auth.models import User
from app.core.concurrency import require_match
from app.core.errors import NotFound, UnprocessableContent
from app.core.pagination import paginate
from app.core.principal import Principal, Role
from app.expertise.models import OCCUPYING, Assignment, Provider, ProviderKind
from app.expertise.schemas import ProviderCreate, ProviderFields, ProviderRead
from app.states.models import State


def list_providers(
    db: Session, *, kind: ProviderKind | None, active: bool | None, limit: int, cursor: str | None
) -> tuple[list[ProviderRead], str | None]:
    statement = select(Provider)
    if kind is not None:
        statement = statement.where(Provider.kind == kind)
    if active is not None:
        statement = statement.where(Provider.is_active == active)
    keys = [Provider.created_at, Provider.id]
    rows, next_cursor = paginate(db, statement, keys, limit=limit, cursor=cursor)
    return to_read(db, rows), next_cursor


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
    """States and regions that exist; a peer State names its own State; a linked account is
    a provider account."""
    errors: list[str] = []
    known_states = set(db.exec(select(State.code)).all())
    errors += [
        f"unknown State {c}" for c in values.get("states_covered") or [] if c not in known_states
    ]
    regions = {r for pair in db.exec(select(State.region, State.sub_region)).all() for r in pair}
    errors += [
        f"unknown region {r!r}" for r in values.get("regions_covered") or [] if r not in regions
    ]
    kind = values.get("kind", current.kind if current else None)
    home = values.get("home_state_code", current.home_state_code if current else None)
    if home is not None and home not in known_states:
        errors.append(f"unknown home_state_code {home}")
    elif kind == ProviderKind.peer_state and home is None:
        errors.append("a peer_state provider needs its home_state_code")
    if values.get("user_id"):
        user = db.get(User, uuid.UUID(str(values["user_id"])))
        if user is None or user.role is not Role.provider:
            errors.append("user_id must name an account with the provider role")
        else:
            values["user_id"] = user.id
    if errors:
        raise UnprocessableContent("; ".join(errors))
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
