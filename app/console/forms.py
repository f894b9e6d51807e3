"""What every console form does after it is posted: make the change in a savepoint, then send
the browser to a page (303 See Other) with a notice code that the page's template puts in
words. A refused change leaves nothing behind."""

from collections.abc import Callable
from urllib.parse import urlencode

from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlmodel import Session

from app.core.errors import PreconditionFailed, Problem

Refusal = Problem | ValidationError


def see(path: str, **query: str) -> RedirectResponse:
    """303 See Other: the browser reads the page afresh after a form."""
    shown = {k: v for k, v in query.items() if v}
    return RedirectResponse(f"{path}?{urlencode(shown)}" if shown else path, status_code=303)


def attempt(db: Session, change: Callable[[], object]) -> Refusal | None:
    """Make a change in a savepoint: refused, it leaves nothing behind and says why."""
    try:
        with db.begin_nested():
            change()
    except (Problem, ValidationError) as refusal:
        return refusal
    return None


def notice_after(refusal: Refusal | None, done: str) -> str:
    """`done` when the change was made; else what the page should say: `moved` when someone
    else changed the object first (412, or 409 once the move is no longer open), `gone`,
    `invalid`."""
    if refusal is None:
        return done
    status = getattr(refusal, "status", 422)
    if isinstance(refusal, PreconditionFailed) or status == 409:
        return "moved"
    if status == 404:
        return "gone"
    return "invalid"
