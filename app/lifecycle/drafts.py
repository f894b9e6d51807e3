"""What a State drafts, submits to OHCHR and may publish: progress reports, shortfalls and
assistance requests share these lifecycles, links to the catalogue and list filters.

    draft -submit-> submitted                       (stage; OHCHR now sees it)
    ohchr -publish-> public -unpublish-> ohchr      (visibility; everyone sees it)
"""

import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.db import remember, remembered
from app.core.errors import Conflict
from app.core.principal import Role
from app.events.types import EventType, Visibility
from app.lifecycle.engine import Lifecycle, Move, Step
from app.lifecycle.visibility import Stage

FOCAL_POINT = frozenset({Role.state_focal_point})
NO_LINKS: tuple[uuid.UUID, ...] = ()


def submitted(move: Move[Any]) -> None:
    """OHCHR sees what was submitted; a submission never narrows a published object."""
    obj = move.obj
    if obj.visibility is Visibility.state:
        obj.visibility = Visibility.ohchr
    obj.submitted_at = move.at
    if hasattr(obj, "submitted_by_id"):
        obj.submitted_by_id = move.who.id if move.who else None


def _published(move: Move[Any]) -> None:
    move.obj.published_at = move.at


def _unpublished(move: Move[Any]) -> None:
    move.obj.published_at = None


def submission(
    resource: str,
    *,
    table: Mapping[tuple[str, str], str] | None = None,
    guard: Callable[[Any], bool] | None = None,
    stamp: Step = submitted,
    **options: Any,
) -> Lifecycle[Any]:
    """The stage lifecycle of a State's object: a focal point submits the draft."""
    return Lifecycle(
        name=f"{resource}.stage",
        field="stage",
        table=table or {(Stage.draft, "submit"): Stage.submitted},
        roles={"submit": FOCAL_POINT},
        events={"submit": EventType(f"{resource}.submitted")},
        guards={"submit": guard} if guard else {},
        stamps={"submit": stamp},
        **options,
    )


def publication(
    resource: str,
    *,
    republish: Callable[[Any], bool] | None = None,
    publishable: Callable[[Any], bool] | None = None,
    on_publish: Step | None = None,
    on_unpublish: Step | None = None,
) -> Lifecycle[Any]:
    """The publication lifecycle, on `visibility`: the focal point publishes what OHCHR sees
    to everyone, and takes it back. `publishable` closes publishing beyond the table (an
    assistance request that was withdrawn); `republish` opens publishing an already public
    object again (a report whose correction awaits publication)."""
    table: dict[tuple[str, str], str] = {
        (Visibility.ohchr, "publish"): Visibility.public,
        (Visibility.public, "unpublish"): Visibility.ohchr,
    }
    if republish is not None:
        table[(Visibility.public, "publish")] = Visibility.public

    def may_publish(obj: Any) -> bool:
        if obj.visibility is Visibility.public and not (republish and republish(obj)):
            return False
        return publishable is None or publishable(obj)

    return Lifecycle(
        name=f"{resource}.visibility",
        field="visibility",
        table=table,
        roles={"publish": FOCAL_POINT, "unpublish": FOCAL_POINT},
        events={
            "publish": EventType(f"{resource}.published"),
            "unpublish": EventType(f"{resource}.unpublished"),
        },
        guards={"publish": may_publish},
        stamps={
            "publish": _chain(_published, on_publish),
            "unpublish": _chain(_unpublished, on_unpublish),
        },
    )


def _chain(first: Step, then: Step | None) -> Step:
    if then is None:
        return first

    def both(move: Move[Any]) -> None:
        first(move)
        then(move)

    return both


def require_draft(obj: Any, what: str) -> None:
    if obj.stage is not Stage.draft:
        raise Conflict(f"a submitted {what} is never changed in place")


class Links:
    """An object's links to other rows (a report's recommendations), read once per request."""

    def __init__(self, table: Any, owner: str, target: str) -> None:
        self.table, self.owner, self.target = table, owner, target

    def of(self, db: Session, owner_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
        """Each owner's links, sorted; one query for the owners not read yet in this request."""
        owner, target = getattr(self.table, self.owner), getattr(self.table, self.target)

        def load(unread: list[uuid.UUID]) -> dict[uuid.UUID, tuple[uuid.UUID, ...]]:
            found: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
            for owner_id, target_id in db.exec(
                select(owner, target).where(col(owner).in_(unread))
            ).all():
                found[owner_id].append(target_id)
            return {key: tuple(sorted(value, key=str)) for key, value in found.items()}

        linked = remembered(db, self, owner_ids, load, NO_LINKS)
        return {owner_id: list(targets) for owner_id, targets in linked.items()}

    def first(self, db: Session, owner_id: uuid.UUID, targets: Sequence[uuid.UUID]) -> None:
        """The links of an owner created in this request."""
        db.add_all(self.table(**{self.owner: owner_id, self.target: t}) for t in targets)
        remember(db, self, owner_id, tuple(sorted(targets, key=str)))

    def replace(self, db: Session, owner_id: uuid.UUID, targets: Sequence[uuid.UUID]) -> None:
        """Link `owner_id` to exactly `targets`; nothing is written when that is already so."""
        wanted = tuple(sorted(targets, key=str))
        if tuple(self.of(db, [owner_id])[owner_id]) == wanted:
            return
        owner = getattr(self.table, self.owner)
        db.execute(delete(self.table).where(col(owner) == owner_id))
        self.first(db, owner_id, wanted)

    def having(self, target_id: uuid.UUID) -> SelectOfScalar[Any]:
        """The owners linked to `target_id` (a list filter)."""
        return select(getattr(self.table, self.owner)).where(
            getattr(self.table, self.target) == target_id
        )


def filtered(
    statement: SelectOfScalar[Any],
    model: Any,
    *,
    state: str | None = None,
    stage: Any = None,
    visibility: Visibility | None = None,
    **equal: Any,
) -> SelectOfScalar[Any]:
    """The list filters every State object takes, and any column equal to a value."""
    conditions = {"state_code": state and state.upper(), "stage": stage, "visibility": visibility}
    for name, value in (conditions | equal).items():
        if value is not None:
            statement = statement.where(col(getattr(model, name)) == value)
    return statement
