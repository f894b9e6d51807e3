"""Small keyword-only factories; each test builds exactly the data it needs."""

import uuid
from functools import cache
from typing import TYPE_CHECKING

from sqlmodel import Session

from app.auth.models import ApiClient, User
from app.core.principal import PrincipalKind, Role
from app.core.security import hash_client_secret, hash_password, issue_access_token
from app.core.settings import Settings

if TYPE_CHECKING:
    from app.recommendations.models import Recommendation

DEFAULT_PASSWORD = "correct horse battery staple"


@cache
def _default_password_hash() -> str:
    return hash_password(DEFAULT_PASSWORD)


def make_user(
    db: Session,
    *,
    role: Role = Role.state_contributor,
    state: str | None = "WSM",
    email: str | None = None,
    name: str = "Test User",
    password: str | None = None,
    active: bool = True,
) -> User:
    if not role.is_state_role:
        state = None
    user = User(
        email=email or f"{role.value}.{uuid.uuid4().hex[:8]}@example.org",
        name=name,
        role=role,
        state_code=state,
        is_active=active,
        password_hash=hash_password(password) if password else _default_password_hash(),
    )
    db.add(user)
    db.flush()
    return user


def make_client(
    db: Session,
    *,
    role: Role = Role.state_focal_point,
    state: str | None = "WSM",
    secret: str = "s3cret-for-tests-only",
) -> ApiClient:
    client = ApiClient(
        client_id=f"cli_{uuid.uuid4().hex[:12]}",
        name="Test client",
        role=role,
        state_code=state if role.is_state_role else None,
        secret_hash=hash_client_secret(secret),
    )
    db.add(client)
    db.flush()
    return client


def token_for(settings: Settings, account: User | ApiClient) -> str:
    kind = PrincipalKind.user if isinstance(account, User) else PrincipalKind.client
    return issue_access_token(settings, f"{kind}:{account.id}", {"role": account.role.value})


def auth(settings: Settings, account: User | ApiClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(settings, account)}"}


def make_recommendation(
    db: Session,
    *,
    state: str = "WSM",
    text: str = "Ratify the Optional Protocol to the Convention against Torture",
    mechanism: str = "upr",
    body: str = "UPR",
    cycle: int | None = 2,
    session: int | None = 25,
    position: str | None = "supported",
    recommending: tuple[str, ...] = ("NZL",),
    themes: tuple[tuple[str | None, str], ...] = (("A12", "Acceptance of international norms"),),
    persons: tuple[str, ...] = ("general",),
    sdgs: tuple[str, ...] = ("16.3",),
    document_symbol: str | None = None,
    paragraph: str | None = None,
) -> "Recommendation":
    """A catalogue entry stored the way an import stores it."""
    from app.recommendations.importers import ParsedRecommendation, ThemeTerm
    from app.recommendations.importing import insert_new
    from app.recommendations.models import Recommendation
    from app.taxonomies.service import TermCache

    parsed = ParsedRecommendation(
        row=1,
        source_key=f"test:{uuid.uuid4()}",
        state_code=state,
        mechanism=mechanism,
        body=body,
        text=text,
        position=position,
        cycle=cycle,
        session=session,
        document_symbol=document_symbol,
        paragraph=paragraph,
        date=None,
        recommending_states=tuple(sorted(recommending)),
        themes=tuple(ThemeTerm(code, name) for code, name in themes),
        affected_persons=persons,
        sdg_targets=sdgs,
    )
    rid = uuid.uuid4()
    insert_new(db, [(rid, parsed, "test")], None, TermCache(db))
    db.flush()
    recommendation = db.get(Recommendation, rid)
    assert recommendation is not None
    return recommendation
