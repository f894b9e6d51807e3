"""The one engine that moves every object of the platform through its lifecycles.

A `Lifecycle` is data: the table `{(from, verb): to}`, the roles allowed each verb, the verbs
that need a message or a reason, the guards that keep a verb closed beyond the table, what each
move stamps, the event each move announces, and the effects registered on it. A `Kind` is one
kind of object with its lifecycles (an assistance request has its stage and its publication),
how it is shown and where its history is kept.

`apply()` checks, in this order, for every lifecycle: the role (403), `If-Match` when sent (412
when stale), the table and its guards (409 naming the verbs open now to this caller), the body
(422); then stamps, writes the history row, runs the effects and announces the change once.
"""

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlmodel import Session

from app.core.concurrency import check_match
from app.core.errors import Forbidden, IllegalTransition, UnprocessableContent
from app.core.models import Versioned, utcnow
from app.core.principal import Principal, Role
from app.events.types import EventType, Visibility
from app.lifecycle.announce import announce
from app.lifecycle.schemas import VerbBody

T = TypeVar("T", bound=Versioned)
PLATFORM: frozenset[Role] = frozenset()  # a verb only the platform itself makes


@dataclass(frozen=True)
class Move(Generic[T]):
    """One move being made, as handed to stamps, history and effects."""

    db: Session
    who: Principal | None
    obj: T
    verb: str
    source: str
    target: str
    body: VerbBody
    at: datetime


Step = Callable[[Move[Any]], None]


@dataclass
class Lifecycle(Generic[T]):
    name: str
    table: Mapping[tuple[str, str], str]
    roles: Mapping[str, frozenset[Role]]
    events: Mapping[str, EventType]
    field: str | None = None
    """The attribute that holds the position; None when `position` derives it and the stamps
    record the move."""
    position: Callable[[T], str] | None = None
    needs_message: frozenset[str] = frozenset()
    needs_reason: frozenset[str] = frozenset()
    guards: Mapping[str, Callable[[T], bool]] = dataclasses.field(default_factory=dict)
    stamps: Mapping[str, Step] = dataclasses.field(default_factory=dict)
    bodies: Mapping[str, type[VerbBody]] = dataclasses.field(default_factory=dict)
    audiences: Mapping[str, Visibility] = dataclasses.field(default_factory=dict)
    """Who may be told of a move, where it is fewer than those who see the object (a
    correction to a published report is OHCHR's until it is published)."""
    event_overrides: Mapping[tuple[str, str], EventType] = dataclasses.field(default_factory=dict)
    history: Step | None = None
    """Where the domain keeps the history of this lifecycle's moves (a transition row)."""
    effects: dict[str, list[Step]] = dataclasses.field(default_factory=dict)

    @property
    def verbs(self) -> list[str]:
        return list(dict.fromkeys(verb for _, verb in self.table))

    def where(self, obj: T) -> str:
        if self.position is not None:
            return self.position(obj)
        assert self.field is not None
        return str(getattr(obj, self.field))

    def target(self, obj: T, verb: str) -> str | None:
        """Where `verb` takes `obj` now, or None when it is not open."""
        to = self.table.get((self.where(obj), verb))
        guard = self.guards.get(verb)
        if to is None or (guard is not None and not guard(obj)):
            return None
        return to

    def may(self, who: Principal | None, verb: str) -> bool:
        return who is None or who.role in self.roles[verb]

    def on(self, verb: str, effect: Step) -> None:
        """Register an effect of `verb` (once, however often the app is wired)."""
        if verb not in self.verbs:
            raise ValueError(f"{self.name} has no verb {verb}")
        effects = self.effects.setdefault(verb, [])
        if effect not in effects:
            effects.append(effect)


@dataclass
class Kind(Generic[T]):
    """One kind of object that moves: its lifecycles, and how it is shown and announced."""

    name: str
    model: type[T]
    lifecycles: tuple[Lifecycle[T], ...]
    show: Callable[[Session, Visibility, T], BaseModel]
    """The object as an audience sees it: what events carry and the audit log keeps."""
    audience: Callable[[T], Visibility]
    """Who sees the object now (the audience of its events)."""
    state_code: Callable[[T], str | None]
    """The State its events name; None keeps them to OHCHR."""

    def __post_init__(self) -> None:
        KINDS[self.model] = self

    def lifecycle_of(self, verb: str) -> Lifecycle[T]:
        for lifecycle in self.lifecycles:
            if verb in lifecycle.verbs:
                return lifecycle
        raise KeyError(f"{self.name} has no verb {verb}")

    @property
    def verbs(self) -> list[str]:
        return [verb for lifecycle in self.lifecycles for verb in lifecycle.verbs]

    def open_verbs(self, obj: T, who: Principal | None) -> list[str]:
        """The verbs this caller may make now, in the order of the tables."""
        return [
            verb
            for lifecycle in self.lifecycles
            for verb in lifecycle.verbs
            if (who is None or who.role in lifecycle.roles[verb]) and lifecycle.target(obj, verb)
        ]

    def apply(
        self,
        db: Session,
        who: Principal | None,
        obj: T,
        verb: str,
        body: VerbBody | None = None,
        if_match: str | None = None,
    ) -> T:
        """Make `verb` on `obj` for `who` (None: the platform itself)."""
        lifecycle = self.lifecycle_of(verb)
        target = self._checked(lifecycle, who, obj, verb, if_match)
        body = body or VerbBody()
        _require_body(lifecycle, verb, body)
        before = self.show(db, self.audience(obj), obj)
        move = Move(db, who, obj, verb, lifecycle.where(obj), target, body, utcnow())
        # The move's reads see the rows as they were; its writes are flushed once, together.
        with db.no_autoflush:
            obj.touch()
            if lifecycle.field is not None:
                setattr(obj, lifecycle.field, target)
            stamp = lifecycle.stamps.get(verb)
            if stamp is not None:
                stamp(move)
            db.add(obj)
            if lifecycle.history is not None:
                lifecycle.history(move)
            for effect in lifecycle.effects.get(verb, ()):
                effect(move)
        db.flush()
        self._announce(lifecycle, move, before)
        return obj

    def _checked(
        self,
        lifecycle: Lifecycle[T],
        who: Principal | None,
        obj: T,
        verb: str,
        if_match: str | None,
    ) -> str:
        """Where the move goes, once the role, `If-Match` and the table allow it."""
        if not lifecycle.may(who, verb):
            role = who.role if who else "platform"
            raise Forbidden(f"the role {role} may not {verb} a {self.name.replace('_', ' ')}")
        check_match(if_match, obj.version)
        target = lifecycle.target(obj, verb)
        if target is None:
            where = ", ".join(
                f"{lc.name.partition('.')[2]} {lc.where(obj)}" for lc in self.lifecycles
            )
            raise IllegalTransition(
                f"{verb} is not open now ({where})", allowed=self.open_verbs(obj, who)
            )
        return target

    def _announce(self, lifecycle: Lifecycle[T], move: Move[T], before: BaseModel) -> None:
        event = (
            lifecycle.event_overrides.get((move.source, move.verb)) or lifecycle.events[move.verb]
        )
        audience = lifecycle.audiences.get(move.verb)
        self.announce(move.db, move.who, move.obj, event, before=before, audience=audience)

    def announce(
        self,
        db: Session,
        who: Principal | None,
        obj: T,
        event: EventType,
        *,
        before: BaseModel | None = None,
        audience: Visibility | None = None,
        deleted: bool = False,
    ) -> None:
        """Announce a change to `obj` (a move, or an edit made outside any lifecycle) to those
        who see it now, or to `audience` where fewer may be told."""
        db.flush()
        audience = audience or (Visibility.state if deleted else self.audience(obj))
        announce(
            db,
            who,
            event,
            resource_id=obj.id,  # type: ignore[attr-defined]
            state_code=self.state_code(obj),
            version=obj.version,
            visibility=audience,
            shown=None if deleted else self.show(db, audience, obj),
            before=before,
        )


def _require_body(lifecycle: Lifecycle[Any], verb: str, body: VerbBody) -> None:
    if verb in lifecycle.needs_message and not body.message:
        raise UnprocessableContent(
            f"{verb} needs a message",
            errors=[{"loc": ["body", "message"], "msg": "required", "type": "missing"}],
        )
    if verb in lifecycle.needs_reason and not body.reason:
        raise UnprocessableContent(
            f"{verb} needs a reason, which the State will see",
            errors=[{"loc": ["body", "reason"], "msg": "required", "type": "missing"}],
        )


KINDS: dict[type[Any], Kind[Any]] = {}


def apply(
    db: Session,
    who: Principal | None,
    obj: T,
    verb: str,
    body: VerbBody | None = None,
    if_match: str | None = None,
) -> T:
    """Make `verb` on `obj`, whatever kind of object it is."""
    kind: Kind[T] = KINDS[type(obj)]
    return kind.apply(db, who, obj, verb, body, if_match)
