"""Demo data for trying the platform locally. Never run in production (the CLI refuses)."""

import datetime as dt
import uuid

from sqlmodel import Session, select

from app.assistance.schemas import RequestCreate
from app.assistance.service import create_request
from app.auth.models import User
from app.auth.schemas import UserCreate
from app.auth.service import create_user
from app.core.principal import Principal, PrincipalKind, Role
from app.demo_history import add_history, insert_recommendations
from app.expertise.schemas import ProviderCreate
from app.expertise.service import create_provider
from app.lifecycle.engine import apply
from app.progress.schemas import ReportCreate
from app.progress.service import create_report
from app.recommendations.importers import ParsedRecommendation, ThemeTerm
from app.recommendations.models import Recommendation
from app.shortfalls.schemas import ShortfallCreate
from app.shortfalls.service import create_shortfall

DemoAccount = tuple[str, str, Role, str | None]

DEMO_ACCOUNTS: list[DemoAccount] = [
    ("admin@demo.item10.org", "demo-admin-password", Role.ohchr_admin, None),
    ("officer@demo.item10.org", "demo-officer-password", Role.ohchr_officer, None),
    ("focal.wsm@demo.item10.org", "demo-samoa-password", Role.state_focal_point, "WSM"),
    ("contrib.wsm@demo.item10.org", "demo-samoa-contrib", Role.state_contributor, "WSM"),
    ("focal.npl@demo.item10.org", "demo-nepal-password", Role.state_focal_point, "NPL"),
    ("provider@demo.item10.org", "demo-provider-password", Role.provider, None),
]

DEMO_RECOMMENDATIONS = [
    (
        "WSM",
        "Ratify the Optional Protocol to the Convention against Torture",
        ("NZL",),
        (("A12", "Acceptance of international norms"), ("D25", "Prohibition of torture")),
        "16.3",
    ),
    (
        "WSM",
        "Strengthen measures to combat domestic violence against women and girls",
        ("AUS", "FJI"),
        (("F13", "Violence against women"),),
        "5.2",
    ),
    (
        "WSM",
        "Establish a national mechanism for implementation, reporting and follow-up",
        ("PRT",),
        (("A42", "Institutions and policies"),),
        "16.6",
    ),
    (
        "NPL",
        "Adopt legislation criminalising torture in line with the Convention",
        ("DNK",),
        (("D25", "Prohibition of torture"),),
        "16.3",
    ),
    (
        "NPL",
        "Ensure the National Human Rights Commission complies with the Paris Principles",
        ("DEU",),
        (("A45", "National Human Rights Institution"),),
        "16.a",
    ),
    (
        "NPL",
        "Improve data collection on the situation of persons with disabilities",
        ("MEX",),
        (("F4", "Persons with disabilities"),),
        "17.18",
    ),
]


def seed_demo(db: Session) -> list[DemoAccount]:
    """Demo accounts, catalogue entries, a report, a shortfall, a request and providers, then
    a history worth analysing (`app.demo_history`). Safe to run again: what exists is left
    alone."""
    users = {
        email: _account(db, email, password, role, state)
        for email, password, role, state in DEMO_ACCOUNTS
    }
    if (
        db.exec(select(Recommendation.id).where(Recommendation.source_format == "demo")).first()
        is None
    ):
        _demo_activity(db, users)
    return DEMO_ACCOUNTS


def _account(db: Session, email: str, password: str, role: Role, state: str | None) -> User:
    existing = db.exec(select(User).where(User.email == email)).first()
    if existing is not None:
        return existing
    body = UserCreate(
        email=email, name=email.split("@")[0], role=role, state_code=state, password=password
    )
    return create_user(db, None, body)


def _principal(user: User) -> Principal:
    return Principal(
        id=user.id, kind=PrincipalKind.user, role=user.role, state_code=user.state_code
    )


def _demo_activity(db: Session, users: dict[str, User]) -> None:
    recommendations = _demo_recommendations(db)
    samoa = _principal(users["focal.wsm@demo.item10.org"])
    nepal = _principal(users["focal.npl@demo.item10.org"])
    officer = _principal(users["officer@demo.item10.org"])
    report = create_report(
        db,
        samoa,
        ReportCreate(
            recommendation_ids=[recommendations[0]],
            period_start=dt.date(2024, 1, 1),
            period_end=dt.date(2024, 12, 31),
            status="in_progress",
            summary="A bill to accede to the Optional Protocol was tabled in Parliament.",
            measures=["Cabinet approved accession", "Bill tabled in Parliament"],
            responsible_entities=["Ministry of Justice and Courts Administration"],
        ),
    )
    apply(db, samoa, report, "submit")
    apply(db, samoa, report, "publish")
    shortfall = create_shortfall(
        db,
        nepal,
        ShortfallCreate(
            recommendation_ids=[recommendations[5]],
            barrier_type="data_and_statistics",
            severity="high",
            description="No disaggregated disability data below province level.",
        ),
    )
    apply(db, nepal, shortfall, "submit")
    request = create_request(
        db,
        nepal,
        RequestCreate(
            title="Disability-disaggregated statistics",
            recommendation_ids=[recommendations[5]],
            shortfall_ids=[shortfall.id],
            assistance_type="human_rights_indicators_and_data",
            themes=["F4"],
            sdg_targets=["17.18"],
            languages=["en", "ne"],
            modality="in_country",
            window_start=dt.date(2027, 3, 1),
            window_end=dt.date(2027, 9, 30),
            urgency="high",
            budget_estimate_usd=40000,
            justification="The 2021 census did not use the Washington Group questions.",
        ),
    )
    apply(db, nepal, request, "submit")
    create_provider(
        db,
        officer,
        ProviderCreate(
            name="Data and indicators specialist, Bangkok",
            kind="data_specialist",
            organization="OHCHR",
            assistance_types=["human_rights_indicators_and_data"],
            themes=["F4"],
            sdg_targets=["17.18"],
            languages=["en"],
            regions_covered=["Southern Asia", "South-eastern Asia"],
            duty_station="Bangkok",
            modalities=["remote", "in_country"],
            capacity=3,
            availability=[{"start": dt.date(2027, 1, 1), "end": dt.date(2027, 12, 31)}],
            user_id=users["provider@demo.item10.org"].id,
        ),
    )
    add_history(db, officer, _principal(users["admin@demo.item10.org"]))


def _demo_recommendations(db: Session) -> list[uuid.UUID]:
    parsed = [
        ParsedRecommendation(
            row=index,
            source_key=f"demo:{index}",
            state_code=state,
            mechanism="upr",
            body="UPR",
            text=text,
            position="supported",
            cycle=4,
            session=45,
            document_symbol=None,
            paragraph=None,
            date=None,
            recommending_states=tuple(sorted(recommending)),
            themes=tuple(ThemeTerm(code, name) for code, name in themes),
            affected_persons=("general",),
            sdg_targets=(sdg,),
        )
        for index, (state, text, recommending, themes, sdg) in enumerate(DEMO_RECOMMENDATIONS, 1)
    ]
    return insert_recommendations(db, parsed)
