"""Demo data for trying the platform locally. Never run in production (the CLI refuses)."""

from sqlmodel import Session, select

from app.auth.models import Role, User
from app.auth.schemas import UserCreate
from app.auth.service import create_user

DemoAccount = tuple[str, str, Role, str | None]

DEMO_ACCOUNTS: list[DemoAccount] = [
    ("admin@demo.item10.org", "demo-admin-password", Role.ohchr_admin, None),
    ("officer@demo.item10.org", "demo-officer-password", Role.ohchr_officer, None),
    ("focal.wsm@demo.item10.org", "demo-samoa-password", Role.state_focal_point, "WSM"),
    ("contrib.wsm@demo.item10.org", "demo-samoa-contrib", Role.state_contributor, "WSM"),
    ("focal.npl@demo.item10.org", "demo-nepal-password", Role.state_focal_point, "NPL"),
    ("provider@demo.item10.org", "demo-provider-password", Role.provider, None),
]


def seed_demo(db: Session) -> list[DemoAccount]:
    """Create the demo accounts that do not exist yet; safe to run again."""
    for email, password, role, state in DEMO_ACCOUNTS:
        if db.exec(select(User.id).where(User.email == email)).first() is None:
            body = UserCreate(
                email=email,
                name=email.split("@")[0],
                role=role,
                state_code=state,
                password=password,
            )
            create_user(db, None, body)
    return DEMO_ACCOUNTS
