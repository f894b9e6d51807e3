"""States: public reference data, two flags set by administrators, and name resolution."""

from typing import Any

from sqlmodel import Session, select

from app.audit.service import record
from app.core.concurrency import require_match
from app.core.errors import NotFound
from app.core.pagination import paginate
from app.core.principal import Principal
from app.core.settings import Settings
from app.states.models import State
from app.states.names import UnknownStateName
from app.states.reference import default_resolver, load_reference_states
from app.states.schemas import StateRead, StateUpdate


def list_states(
    db: Session,
    *,
    region: str | None,
    sub_region: str | None,
    regional_group: str | None,
    is_member: bool | None,
    is_ldc: bool | None,
    is_sids: bool | None,
    limit: int,
    cursor: str | None,
    settings: Settings,
) -> tuple[list[State], str | None]:
    statement = select(State)
    for column, value in (
        (State.region, region),
        (State.sub_region, sub_region),
        (State.regional_group, regional_group),
        (State.is_member, is_member),
        (State.is_ldc, is_ldc),
        (State.is_sids, is_sids),
    ):
        if value is not None:
            statement = statement.where(column == value)
    return paginate(
        db,
        statement,
        [State.code],
        limit=limit,
        cursor=cursor,
        settings=settings,
        list_name="list_states",
    )


def get_state(db: Session, code: str) -> State:
    state = db.get(State, code.upper())
    if state is None:
        raise NotFound(f"no State with the code {code!r}")
    return state


def resolve_name(db: Session, name: str) -> State:
    try:
        code = default_resolver().require(name)
    except UnknownStateName as exc:
        raise NotFound(str(exc), suggestions=exc.suggestions) from exc
    return get_state(db, code)


def update_state(
    db: Session, who: Principal, state: State, body: StateUpdate, if_match: str | None
) -> State:
    require_match(if_match, state.version)
    before = StateRead.model_validate(state)
    state.touch()
    for field, value in body.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(state, field, value)
    db.add(state)
    db.flush()
    after = StateRead.model_validate(state)
    record(
        db,
        who,
        "state.update",
        resource_type="state",
        resource_id=state.code,
        state_code=state.code,
        before=before,
        after=after,
    )
    return state


def sync_reference_states(db: Session) -> int:
    """Insert or refresh the 195 States from the shipped reference data.

    Idempotent; keeps the flags administrators set. Returns how many rows changed.
    """
    changed = 0
    for ref in load_reference_states():
        values: dict[str, Any] = {
            "name": ref.name,
            "alpha2": ref.alpha2,
            "m49_code": ref.m49_code,
            "region": ref.region,
            "sub_region": ref.sub_region,
            "regional_group": ref.regional_group,
            "is_member": ref.is_member,
            "is_ldc": ref.is_ldc,
            "is_lldc": ref.is_lldc,
            "is_sids": ref.is_sids,
        }
        state = db.get(State, ref.code)
        if state is None:
            db.add(State(code=ref.code, **values))
            changed += 1
        elif any(getattr(state, key) != value for key, value in values.items()):
            state.touch()
            for key, value in values.items():
                setattr(state, key, value)
            changed += 1
    db.flush()
    return changed
