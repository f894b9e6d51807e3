"""Who is at the console: a server-side session named by an HttpOnly, SameSite=Strict cookie
(Secure outside development), and the CSRF token every state-changing form carries.

A form is accepted only when its `csrf_token` is the session's (or, on the sign-in form, the
one its own cookie holds), and, when the browser says where the form came from (`Origin`,
`Sec-Fetch-Site`), only from this site. The account behind a session is read on every request,
so a deactivated account or a changed role takes effect at once.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request, Response
from sqlalchemy import delete
from sqlmodel import Session, select

from app.auth.dependencies import load_principal
from app.auth.models import User
from app.console.models import ConsoleSession
from app.core.deps import DbSession
from app.core.errors import Unauthorized
from app.core.models import utcnow
from app.core.principal import OHCHR_ROLES, Principal, Role
from app.core.settings import Settings

SESSION_COOKIE = "item10_console"
SIGN_IN_COOKIE = "item10_console_sign_in"
COOKIE_PATH = "/console"


class SignInNeeded(Exception):
    """No live session: the browser is sent to the sign-in page."""


class NotForRole(Exception):
    """A signed-in account whose role may not use the console, or an officer on an
    administrator's page: a refusal page."""

    def __init__(self, role: Role, *, admins_only: bool = False) -> None:
        self.role = role
        self.admins_only = admins_only


class CrossSiteForm(Exception):
    """A state-changing form without this session's CSRF token, or sent from another site."""


@dataclass(frozen=True)
class Desk:
    """The officer at the console: the account as it is now, and the session's CSRF token."""

    who: Principal
    user: User
    session: ConsoleSession

    @property
    def csrf_token(self) -> str:
        return self.session.csrf_token

    @property
    def is_admin(self) -> bool:
        return self.who.role is Role.ohchr_admin


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(
    db: Session, settings: Settings, user: User, request: Request, response: Response
) -> None:
    """Sign `user` in: always a new session (a session id set before sign-in is never
    reused), replacing the browser's previous one. Expired sessions are swept here."""
    now = utcnow()
    db.exec(delete(ConsoleSession).where(ConsoleSession.expires_at < now))  # type: ignore[arg-type]
    previous = _live_session(db, request)
    if previous is not None:
        db.delete(previous)
    token = secrets.token_urlsafe(32)
    db.add(
        ConsoleSession(
            token_hash=_digest(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + timedelta(hours=settings.console_session_hours),
        )
    )
    _set_cookie(response, settings, SESSION_COOKIE, token, settings.console_session_hours * 3600)
    response.delete_cookie(SIGN_IN_COOKIE, path=COOKIE_PATH)


def end_session(db: Session, desk: Desk, response: Response) -> None:
    db.delete(desk.session)
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)


def _live_session(db: Session, request: Request) -> ConsoleSession | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 100:
        return None
    found = db.exec(
        select(ConsoleSession).where(ConsoleSession.token_hash == _digest(token))
    ).first()
    if found is None or found.expires_at <= utcnow():
        return None
    return found


def current_desk(request: Request, db: DbSession) -> Desk:
    """The officer or administrator behind the session cookie; `SignInNeeded` without a live
    session or with a deactivated account, `NotForRole` for any other role."""
    session = _live_session(db, request)
    if session is None:
        raise SignInNeeded
    try:
        who = load_principal(db, f"user:{session.user_id}")
    except Unauthorized:
        _end_for_good(db, session)
        raise SignInNeeded from None
    if who.role not in OHCHR_ROLES:
        _end_for_good(db, session)
        raise NotForRole(who.role)
    user = db.get(User, who.id)
    assert user is not None  # load_principal has just found it active
    return Desk(who=who, user=user, session=session)


def _end_for_good(db: Session, session: ConsoleSession) -> None:
    """A session whose account may no longer use the console ends now. Committed here: the
    refusal rolls the request's transaction back, and a session left behind would sign its
    cookie in again once the account is reactivated or given its role back."""
    db.delete(session)
    db.commit()


def _same_site(request: Request) -> bool:
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    own = urlsplit(str(request.base_url))
    sent = urlsplit(origin)
    return (sent.scheme, sent.netloc) == (own.scheme, own.netloc)


async def _form_token(request: Request) -> str:
    value = (await request.form()).get("csrf_token")
    return value if isinstance(value, str) else ""


async def checked_form(request: Request, desk: Annotated[Desk, Depends(current_desk)]) -> Desk:
    """For every state-changing console route: the session's officer, once the form is shown
    to come from this site with this session's CSRF token."""
    token = await _form_token(request)
    if not _same_site(request) or not hmac.compare_digest(token, desk.csrf_token):
        raise CrossSiteForm
    return desk


def sign_in_token(request: Request) -> str:
    """The sign-in form's CSRF token: the one its cookie holds, or a new one."""
    token = request.cookies.get(SIGN_IN_COOKIE)
    return token if token and len(token) <= 100 else secrets.token_urlsafe(32)


def keep_sign_in_token(response: Response, settings: Settings, token: str) -> None:
    """Until a session exists, the sign-in form's token lives in a cookie of its own."""
    _set_cookie(response, settings, SIGN_IN_COOKIE, token, 3600)


async def check_sign_in_form(request: Request) -> None:
    cookie = request.cookies.get(SIGN_IN_COOKIE, "")
    token = await _form_token(request)
    if not _same_site(request) or not cookie or not hmac.compare_digest(token, cookie):
        raise CrossSiteForm


def _set_cookie(
    response: Response, settings: Settings, name: str, value: str, max_age: int
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        secure=settings.is_production,
        samesite="strict",
    )


async def _admin_only(desk: Desk) -> Desk:
    if not desk.is_admin:
        raise NotForRole(desk.who.role, admins_only=True)
    return desk


async def admin_desk(desk: Annotated[Desk, Depends(current_desk)]) -> Desk:
    return await _admin_only(desk)


async def admin_form(desk: Annotated[Desk, Depends(checked_form)]) -> Desk:
    return await _admin_only(desk)


Officer = Annotated[Desk, Depends(current_desk)]
OfficerForm = Annotated[Desk, Depends(checked_form)]
Administrator = Annotated[Desk, Depends(admin_desk)]
AdministratorForm = Annotated[Desk, Depends(admin_form)]
SignInForm = Depends(check_sign_in_form)
