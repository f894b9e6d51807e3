"""A history worth analysing, added to the demo by `app.demo.seed_demo`: fourteen more States
across every region and priority group, their recommendations, progress reports and
shortfalls, about forty assistance requests at every stage over the last eighteen months, and a
roster that covers part of the demand and not the rest.

Everything is made through the services, by whom it would be made: each State's focal point,
the demo officer, and providers answering offers through the officer (they have no account).
The moves happen now; their times are then moved back along a schedule drawn from
`random.Random(SEED)`, so the same history comes out every time, relative to the moment of
seeding. The audit log and the outbox keep the moment of seeding (the audit log is
append-only).
"""

import datetime as dt
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col

from app.assistance.models import AssistanceRequest, RequestMessage, RequestTransition, Urgency
from app.assistance.schemas import RequestCreate
from app.assistance.service import create_request
from app.auth.schemas import ApiClientCreate
from app.auth.service import create_client
from app.core.concurrency import etag_of
from app.core.models import utcnow
from app.core.principal import Principal, PrincipalKind, Role
from app.core.settings import get_settings
from app.expertise.models import Assignment, ProviderKind
from app.expertise.schemas import ProviderCreate
from app.expertise.service import create_provider
from app.lifecycle.engine import apply
from app.lifecycle.schemas import VerbBody
from app.matching import service as matching
from app.progress.models import ProgressReport, ProgressRevision
from app.progress.schemas import ReportCreate
from app.progress.service import create_report
from app.recommendations.importers import ParsedRecommendation, ThemeTerm
from app.recommendations.importing import content_hash, insert_new
from app.shortfalls.models import Shortfall
from app.shortfalls.schemas import ShortfallCreate, ShortfallResolve
from app.shortfalls.service import create_shortfall
from app.states.models import State
from app.states.schemas import StateUpdate
from app.states.service import update_state
from app.taxonomies.service import TermCache, theme_reference
from app.taxonomies.vocabularies import AssistanceType as T

SEED = 15
HISTORY_DAYS = 540
FIRST_SOURCE_INDEX = 7  # after the six recommendations of `app.demo`

# The two priority groups that are not UN reference data but OHCHR's call.
STATE_FLAGS = {
    "LBR": StateUpdate(emerging_from_conflict=True),
    "MDA": StateUpdate(particular_needs=True),
}
# Each State's working languages, as its requests name them.
LANGUAGES = {
    "MOZ": ["pt", "en"],
    "BGD": ["bn", "en"],
    "HTI": ["fr", "ht"],
    "LBR": ["en"],
    "FJI": ["en", "fj"],
    "JAM": ["en"],
    "MDV": ["dv", "en"],
    "BOL": ["es"],
    "MNG": ["mn", "ru"],
    "MDA": ["ro", "ru"],
    "COL": ["es"],
    "KEN": ["en", "sw"],
    "PHL": ["en", "tl"],
    "TUN": ["ar", "fr"],
}


@dataclass(frozen=True)
class Help:
    """The help a State asks for to implement a recommendation of this theme."""

    assistance_type: T
    sdg_target: str
    title: str


HELP = {
    "A22": Help(T.treaty_reporting, "16.6", "Drafting the overdue periodic report"),
    "A27": Help(T.nmrf_support, "16.6", "A national mechanism for reporting and follow-up"),
    "A41": Help(T.legislative_review, "16.3", "Review of the draft criminal code"),
    "A45": Help(
        T.nhri_establishment_or_strengthening, "16.a", "Towards A-status accreditation of the NHRI"
    ),
    "A53": Help(T.training_of_officials, "16.3", "Training of police and prison officers"),
    "A62": Help(T.human_rights_indicators_and_data, "17.18", "Human rights indicators"),
    "B52": Help(T.transitional_justice, "16.3", "A reparations programme for victims"),
    "B73": Help(T.economic_social_cultural_rights, "13.1", "Human rights in climate adaptation"),
    "D25": Help(T.legislative_review, "16.3", "Drafting a law criminalising torture"),
    "D27": Help(T.training_of_officials, "16.2", "Identifying victims of trafficking"),
    "D51": Help(T.rule_of_law_and_justice, "16.3", "Legal aid and pre-trial detention review"),
    "E41": Help(T.economic_social_cultural_rights, "3.8", "Rights-based health budgeting"),
    "E51": Help(T.human_rights_education, "4.7", "Human rights education in schools"),
    "F4": Help(T.economic_social_cultural_rights, "4.5", "Inclusive education"),
    "F13": Help(T.gender_mainstreaming, "5.2", "An action plan on violence against women"),
    "F14": Help(T.parliamentary_engagement, "5.5", "Women's political participation"),
    "H1": Help(T.civic_space_and_participation, "16.10", "Protecting human rights defenders"),
}

# (State, mechanism, UHRI theme, recommendation): three per State, in the order its requests,
# reports and shortfalls refer to them (0, 1, 2).
CATALOGUE = [
    ("MOZ", "upr", "A45", "Strengthen the independence of the National Human Rights Commission"),
    ("MOZ", "cedaw", "F13", "Adopt a national action plan on violence against women and girls"),
    ("MOZ", "crc", "E51", "Include human rights education in primary and secondary curricula"),
    ("BGD", "upr", "D25", "Adopt legislation criminalising torture in line with the Convention"),
    ("BGD", "cescr", "E41", "Increase the health budget and access to primary care in rural areas"),
    ("BGD", "upr", "A27", "Establish a national mechanism for reporting and follow-up"),
    ("HTI", "upr", "D51", "Reduce prolonged pre-trial detention and guarantee legal aid"),
    ("HTI", "upr", "H1", "Protect human rights defenders and journalists from attacks"),
    ("HTI", "cedaw", "F14", "Increase the participation of women in political and public life"),
    ("LBR", "upr", "B52", "Implement the recommendations of the Truth and Reconciliation body"),
    ("LBR", "upr", "A45", "Fund the Independent National Commission on Human Rights adequately"),
    ("LBR", "cat", "A53", "Train police and corrections officers on the prohibition of torture"),
    ("FJI", "upr", "B73", "Integrate human rights in climate adaptation and relocation policies"),
    ("FJI", "cedaw", "F13", "Strengthen the prevention of and response to domestic violence"),
    ("FJI", "upr", "A22", "Submit the overdue reports to the treaty bodies"),
    ("JAM", "upr", "A45", "Establish a national human rights institution (Paris Principles)"),
    ("JAM", "crc", "A53", "Train law enforcement officials on the rights of the child"),
    ("JAM", "upr", "D27", "Strengthen the identification and protection of trafficking victims"),
    ("MDV", "upr", "A41", "Bring the Penal Code into line with international standards"),
    ("MDV", "upr", "B73", "Protect communities affected by sea-level rise and coastal erosion"),
    ("MDV", "cedaw", "F14", "Adopt temporary special measures for women in local councils"),
    ("BOL", "upr", "D51", "Guarantee the independence of the judiciary and access to justice"),
    ("BOL", "cedaw", "F13", "Fund the comprehensive law on violence against women"),
    ("BOL", "upr", "A62", "Develop indicators on the rights of Indigenous Peoples"),
    ("MNG", "upr", "A27", "Strengthen the national mechanism for reporting and follow-up"),
    ("MNG", "crpd", "F4", "Ensure inclusive education for children with disabilities"),
    ("MNG", "upr", "E41", "Improve access to health services for herders in remote areas"),
    ("MDA", "upr", "A62", "Collect data disaggregated by ethnicity and disability"),
    ("MDA", "upr", "D27", "Strengthen the prosecution of trafficking in persons"),
    ("MDA", "cat", "D25", "Investigate all allegations of torture promptly and impartially"),
    (
        "COL",
        "upr",
        "B52",
        "Support the Special Jurisdiction for Peace and the search for the missing",
    ),
    ("COL", "upr", "H1", "Strengthen the protection of human rights defenders and social leaders"),
    ("COL", "cedaw", "F14", "Ensure women take part in implementing the peace agreement"),
    ("KEN", "upr", "A27", "Operationalise the national mechanism for reporting and follow-up"),
    ("KEN", "cat", "D25", "Investigate allegations of excessive use of force by the police"),
    ("KEN", "cescr", "E51", "Ensure free primary education in arid and semi-arid areas"),
    ("PHL", "upr", "A45", "Pass the law strengthening the Commission on Human Rights"),
    ("PHL", "upr", "D51", "Investigate and prosecute extrajudicial killings"),
    ("PHL", "crc", "A53", "Train social workers and police on child protection"),
    ("TUN", "upr", "A41", "Bring the Code of Criminal Procedure into line with the Constitution"),
    ("TUN", "cedaw", "F13", "Implement the organic law on eliminating violence against women"),
    ("TUN", "upr", "A62", "Publish indicators on the rights to health and education"),
]
RECOMMENDERS = ("AUS", "BRA", "CAN", "CHL", "DEU", "FRA", "GHA", "IND", "JPN", "MEX", "NOR")

# The stages a request went through, as the verbs that moved it (`offer` is OHCHR's offer to a
# provider, `match` the provider accepting it).
WAITING = ("submit",)
IN_TRIAGE = ("submit", "start-triage")
INFO_REQUESTED = (*IN_TRIAGE, "request-info")
ACCEPTED = (*IN_TRIAGE, "accept")
OFFERED = (*ACCEPTED, "offer")
MATCHED = (*OFFERED, "match")
IN_DELIVERY = (*MATCHED, "start-delivery")
COMPLETED = (*IN_DELIVERY, "complete")
DECLINED = (*IN_TRIAGE, "decline")

WITHDRAWN_WAITING = (*WAITING, "withdraw")
WITHDRAWN_IN_TRIAGE = (*IN_TRIAGE, "withdraw")
WITHDRAWN_ACCEPTED = (*ACCEPTED, "withdraw")
WITHDRAWN_MATCHED = (*MATCHED, "withdraw")

# Each State's requests: its n-th request answers its n-th recommendation.
REQUESTS = {
    "MOZ": (COMPLETED, IN_DELIVERY, WAITING),
    "BGD": (COMPLETED, ACCEPTED, INFO_REQUESTED),
    "HTI": (MATCHED, DECLINED, IN_TRIAGE),
    "LBR": (COMPLETED, OFFERED, WITHDRAWN_WAITING),
    "FJI": (COMPLETED, IN_TRIAGE, IN_DELIVERY),
    "JAM": (MATCHED, ACCEPTED, WAITING),
    "MDV": (IN_DELIVERY, DECLINED, INFO_REQUESTED),
    "BOL": (COMPLETED, WITHDRAWN_MATCHED, IN_TRIAGE),
    "MNG": (ACCEPTED, WAITING, DECLINED),
    "MDA": (MATCHED, ACCEPTED, WITHDRAWN_IN_TRIAGE),
    "COL": (COMPLETED, OFFERED, INFO_REQUESTED),
    "KEN": (IN_DELIVERY, MATCHED, WAITING),
    "PHL": (COMPLETED, IN_DELIVERY, WITHDRAWN_ACCEPTED),
    "TUN": (ACCEPTED, DECLINED, IN_TRIAGE),
}

# Days between a move and the one before it, and (by the last move) since the last one: drawn
# so that some requests stay past their service target and others are handled in days.
GAP_DAYS = {
    "start-triage": (1, 24),
    "request-info": (2, 12),
    "provide-info": (3, 28),
    "accept": (3, 30),
    "decline": (3, 30),
    "offer": (4, 55),
    "match": (2, 9),
    "start-delivery": (7, 45),
    "complete": (25, 110),
    "withdraw": (4, 40),
}
DAYS_SINCE = {
    "submit": (2, 30),
    "start-triage": (2, 35),
    "request-info": (3, 25),
    "provide-info": (1, 20),
    "accept": (3, 60),
    "offer": (1, 8),
    "match": (3, 120),
    "start-delivery": (5, 200),
    "complete": (10, 420),
    "decline": (10, 480),
    "withdraw": (10, 480),
}
INFO_LOOP = ("request-info", "provide-info")
MESSAGES = {
    "request-info": "Please send the draft terms of reference and name the lead ministry.",
    "provide-info": "Attached: the draft terms of reference; the Ministry of Justice leads.",
}
DECLINE_REASONS = (
    "Outside OHCHR's mandate; the UN country team has been told of the need.",
    "The same support is already funded through the UN country team's joint programme.",
    "The request duplicates one accepted earlier this year.",
)
BUDGETS = (None, 12_000, 18_500, 25_000, 40_000, 60_000, 85_000, 120_000)
CO_FUNDING_SHARES = (None, None, 0.1, 0.25, 0.5)
URGENCIES = (Urgency.low, Urgency.medium, Urgency.medium, Urgency.high, Urgency.critical)
MODALITIES = ("in_country", "in_country", "in_country", "remote", "remote", "regional")

# Availability windows (days from now: start, end) and the rest of each roster entry.
PROVIDERS: list[tuple[tuple[tuple[int, int], ...], dict[str, Any]]] = [
    (
        ((-560, 270),),
        {
            "name": "Human rights adviser, Southern Africa",
            "kind": ProviderKind.human_rights_adviser,
            "assistance_types": [
                T.nhri_establishment_or_strengthening,
                T.legislative_review,
                T.nmrf_support,
                T.training_of_officials,
            ],
            "themes": ["A27", "A41", "A45", "A53", "D25"],
            "languages": ["en", "pt"],
            "regions_covered": ["Africa"],
            "modalities": ["in_country", "remote", "regional"],
            "capacity": 3,
        },
    ),
    (
        ((-560, 200),),
        {
            "name": "Regional gender adviser, Latin America",
            "kind": ProviderKind.regional_gender_adviser,
            "assistance_types": [T.gender_mainstreaming, T.parliamentary_engagement],
            "themes": ["F13", "F14"],
            "languages": ["es", "en", "pt"],
            "regions_covered": ["Americas"],
            "modalities": ["in_country", "remote", "regional"],
            "capacity": 2,
        },
    ),
    (
        ((-560, 120),),
        {
            "name": "Francophone network of national human rights institutions",
            "kind": ProviderKind.nhri_network,
            "assistance_types": [
                T.nhri_establishment_or_strengthening,
                T.training_of_officials,
                T.human_rights_education,
            ],
            "themes": ["A45", "A53", "E51"],
            "languages": ["fr", "en", "ar"],
            "regions_covered": ["Africa", "Caribbean"],
            "modalities": ["regional", "remote", "in_country"],
            "capacity": 3,
        },
    ),
    (
        ((-560, 180),),
        {
            "name": "Human rights adviser, Pacific",
            "kind": ProviderKind.human_rights_adviser,
            "assistance_types": [
                T.treaty_reporting,
                T.nmrf_support,
                T.human_rights_education,
                T.economic_social_cultural_rights,
            ],
            "languages": ["en"],
            "regions_covered": ["Melanesia", "Polynesia", "Micronesia"],
            "modalities": ["in_country", "remote"],
            "capacity": 2,
        },
    ),
    (
        ((-560, 365),),
        {
            "name": "Surge economist, Asia-Pacific",
            "kind": ProviderKind.surge_economist,
            "assistance_types": [
                T.economic_social_cultural_rights,
                T.human_rights_indicators_and_data,
            ],
            "themes": ["E41", "E51", "A62", "B73", "F4"],
            "languages": ["en"],
            "regions_covered": ["Asia", "Oceania"],
            "modalities": ["remote", "in_country"],
            "capacity": 2,
        },
    ),
    (
        ((-560, 200),),
        {
            "name": "Peace and development adviser, Latin America",
            "kind": ProviderKind.peace_and_development_adviser,
            "assistance_types": [
                T.transitional_justice,
                T.rule_of_law_and_justice,
                T.civic_space_and_participation,
            ],
            "languages": ["es", "en"],
            "regions_covered": ["South America"],
            "modalities": ["in_country", "remote", "regional"],
            "capacity": 3,
        },
    ),
    (
        ((-560, -90), (240, 420)),
        {
            "name": "Transitional justice consultant",
            "kind": ProviderKind.consultant,
            "assistance_types": [T.transitional_justice, T.rule_of_law_and_justice],
            "languages": ["en", "fr", "ar"],
            "modalities": ["remote", "in_country"],
            "capacity": 2,
        },
    ),
    (
        ((-560, 365),),
        {
            "name": "Inter-Parliamentary Union, human rights programme",
            "kind": ProviderKind.parliamentary_partner,
            "assistance_types": [T.parliamentary_engagement, T.legislative_review],
            "languages": ["en", "fr", "es", "ar"],
            "modalities": ["remote", "regional"],
            "capacity": 3,
        },
    ),
    (
        ((-560, 330),),
        {
            "name": "UN Women, East and Southern Africa",
            "kind": ProviderKind.un_agency,
            "assistance_types": [T.gender_mainstreaming, T.economic_social_cultural_rights],
            "themes": ["F13", "F14"],
            "languages": ["en", "pt", "fr"],
            "regions_covered": ["Africa"],
            "modalities": ["in_country", "remote", "regional"],
            "capacity": 2,
        },
    ),
    (
        ((-400, -20),),
        {
            "name": "Peer support from Mauritius",
            "kind": ProviderKind.peer_state,
            "home_state_code": "MUS",
            "assistance_types": [T.nmrf_support, T.treaty_reporting],
            "languages": ["en", "fr"],
            "regions_covered": ["Eastern Africa", "Southern Asia"],
            "modalities": ["in_country", "remote"],
            "capacity": 1,
        },
    ),
    (
        ((-560, 150),),
        {
            "name": "Data and training partner, Eastern Europe and Central Asia",
            "kind": ProviderKind.data_specialist,
            "assistance_types": [T.human_rights_indicators_and_data, T.training_of_officials],
            "themes": ["A62", "D27", "A53"],
            "languages": ["ru", "ro", "en"],
            "regions_covered": ["Europe", "Central Asia"],
            "modalities": ["in_country", "remote", "regional"],
            "capacity": 2,
        },
    ),
    (
        ((-560, 100),),
        {
            "name": "Rule of law adviser, Geneva",
            "kind": ProviderKind.human_rights_adviser,
            "organization": "OHCHR",
            "assistance_types": [
                T.rule_of_law_and_justice,
                T.legislative_review,
                T.training_of_officials,
            ],
            "themes": ["A41", "D25", "D51", "A53"],
            "languages": ["en", "fr"],
            "modalities": ["remote", "in_country"],
            "capacity": 2,
        },
    ),
    (
        ((-560, 45),),
        {
            "name": "Justice sector adviser, South-East Asia",
            "kind": ProviderKind.capacity_building_officer,
            "assistance_types": [T.rule_of_law_and_justice, T.training_of_officials],
            "themes": ["D51", "A53"],
            "languages": ["en", "tl"],
            "regions_covered": ["South-eastern Asia"],
            "modalities": ["in_country", "remote"],
            "capacity": 1,
        },
    ),
]

# (State, recommendation, years back, half year (0: the whole year), status, published)
REPORTS = [
    ("MOZ", 0, 1, 0, "in_progress", True),
    ("MOZ", 1, 1, 0, "partially_implemented", False),
    ("BGD", 0, 2, 0, "not_started", True),
    ("BGD", 0, 1, 0, "in_progress", True),
    ("HTI", 1, 1, 2, "not_started", False),
    ("FJI", 0, 1, 0, "partially_implemented", True),
    ("FJI", 1, 2, 0, "in_progress", True),
    ("JAM", 0, 1, 1, "fully_implemented", True),
    ("BOL", 1, 1, 0, "partially_implemented", True),
    ("MNG", 1, 2, 2, "in_progress", False),
    ("MDA", 2, 1, 1, "not_started", False),
    ("COL", 0, 1, 0, "partially_implemented", True),
    ("COL", 1, 1, 2, "in_progress", True),
    ("KEN", 0, 1, 0, "fully_implemented", False),
    ("PHL", 0, 2, 0, "in_progress", True),
    ("TUN", 1, 1, 0, "partially_implemented", True),
]
SUMMARIES = {
    "not_started": "Work has not started: the lead ministry is still to be designated.",
    "in_progress": "A working group was set up and has met; a first draft is under review.",
    "partially_implemented": "Adopted and in force in part; implementing regulations pending.",
    "fully_implemented": "Adopted, funded and in force; the first annual review is published.",
}

# (State, recommendation, barrier, severity, published, resolved how many days ago)
SHORTFALLS = [
    ("MOZ", 0, "financial", "high", True, None),
    ("BGD", 1, "human_resources", "medium", False, None),
    ("HTI", 0, "crisis_or_emergency", "critical", True, None),
    ("LBR", 0, "financial", "critical", False, None),
    ("FJI", 0, "technical_expertise", "medium", True, 60),
    ("JAM", 2, "legislative", "low", False, 120),
    ("MDV", 1, "crisis_or_emergency", "high", True, None),
    ("BOL", 2, "data_and_statistics", "medium", True, None),
    ("MNG", 0, "institutional_coordination", "medium", False, None),
    ("MDA", 0, "data_and_statistics", "low", False, 30),
    ("COL", 0, "conflict_or_insecurity", "critical", True, None),
    ("KEN", 0, "institutional_coordination", "high", True, 45),
    ("PHL", 1, "legislative", "high", False, None),
    ("TUN", 0, "other", "low", True, None),
]
BARRIERS = {
    "financial": "The budget line was cut in the last two budget cycles.",
    "human_resources": "Too few trained staff in the provinces to carry the work.",
    "crisis_or_emergency": "Resources were redirected to the emergency response.",
    "technical_expertise": "No national expertise to draft the technical standards.",
    "legislative": "The enabling bill has stalled in Parliament.",
    "data_and_statistics": "No disaggregated data to set a baseline.",
    "institutional_coordination": "No agreement yet on which ministry leads.",
    "conflict_or_insecurity": "Insecurity prevents field work in the affected regions.",
    "other": "Elections postponed the decisions needed.",
}


@dataclass
class Demo:
    """Who acts, and the one source of chance and of time for the whole history."""

    db: Session
    officer: Principal
    focal: dict[str, Principal]
    rng: random.Random
    now: dt.datetime
    recommendations: dict[str, list[uuid.UUID]] = field(default_factory=dict)

    def ago(self, days: float) -> dt.datetime:
        return self.now - dt.timedelta(days=days)

    def days(self, bounds: tuple[int, int]) -> float:
        return self.rng.uniform(*bounds)


@dataclass(frozen=True)
class Plan:
    """One request: what the State asks, the moves it went through and when."""

    state: str
    body: RequestCreate
    steps: tuple[str, ...]
    times: tuple[dt.datetime, ...]
    published: bool


def add_history(db: Session, officer: Principal, admin: Principal) -> None:
    """The history, made by `officer` (OHCHR's moves) and `admin` (States' accounts and
    flags) and by each State's focal point. Run once, after the demo's own objects, with the
    domains connected (`app.main.connect_domains`: completing a request frees its provider)."""
    for code, flags in STATE_FLAGS.items():
        state = db.get(State, code)
        assert state is not None  # reference data
        update_state(db, admin, state, flags, etag_of(state.version))
    demo = Demo(
        db=db,
        officer=officer,
        focal=_focal_points(db, admin),
        rng=random.Random(SEED),  # noqa: S311 (demo data, not secrecy)
        now=utcnow(),
    )
    demo.recommendations = _catalogue(db, demo.rng)
    shortfalls = {(row[0], row[1]): _shortfall(demo, *row) for row in SHORTFALLS}
    for report in REPORTS:
        _report(demo, *report)
    for provider in PROVIDERS:
        _provider(demo, *provider)
    plans = [
        _plan(demo, state, recommendation, path, shortfalls)
        for state, paths in REQUESTS.items()
        for recommendation, path in enumerate(paths)
    ]
    for plan in sorted(plans, key=lambda p: p.times[0]):
        _carry_out(demo, plan)
    _matching_run(demo)


def _focal_points(db: Session, admin: Principal) -> dict[str, Principal]:
    """Each State's focal point, as the State's reporting system (an API client): a demo
    sign-in costs a password hash each, which would make the seed slow."""
    focal = {}
    for code in LANGUAGES:
        state = db.get(State, code)
        assert state is not None
        body = ApiClientCreate(
            name=f"{state.name}: reporting system (demo)",
            role=Role.state_focal_point,
            state_code=code,
        )
        client = create_client(db, admin, body)
        focal[code] = Principal(client.id, PrincipalKind.client, client.role, code)
    return focal


def insert_recommendations(db: Session, parsed: list[ParsedRecommendation]) -> list[uuid.UUID]:
    """Catalogue entries as an import inserts them; their ids, in order."""
    rows = [(uuid.uuid4(), p, content_hash(p)) for p in parsed]
    insert_new(db, rows, None, TermCache(db))
    return [rid for rid, _, _ in rows]


def _catalogue(db: Session, rng: random.Random) -> dict[str, list[uuid.UUID]]:
    names = theme_reference().names
    parsed = [
        _recommendation(index, row, names[row[2]], rng)
        for index, row in enumerate(CATALOGUE, FIRST_SOURCE_INDEX)
    ]
    ids: dict[str, list[uuid.UUID]] = {}
    for (state, *_), rid in zip(CATALOGUE, insert_recommendations(db, parsed), strict=True):
        ids.setdefault(state, []).append(rid)
    return ids


def _recommendation(
    index: int, row: tuple[str, str, str, str], theme_name: str, rng: random.Random
) -> ParsedRecommendation:
    state, mechanism, theme, text = row
    upr = mechanism == "upr"
    return ParsedRecommendation(
        row=index,
        source_key=f"demo:{index}",
        state_code=state,
        mechanism=mechanism,
        body=mechanism.upper(),
        text=text,
        position=rng.choice(("supported", "supported", "supported_in_part", "noted"))
        if upr
        else None,
        cycle=4 if upr else None,
        session=rng.randint(41, 47) if upr else None,
        document_symbol=None,
        paragraph=None,
        date=None,
        recommending_states=tuple(sorted(rng.sample(RECOMMENDERS, 2))) if upr else (),
        themes=(ThemeTerm(theme, theme_name),),
        affected_persons=("general",),
        sdg_targets=(HELP[theme].sdg_target,),
    )


def _theme(state: str, recommendation: int) -> str:
    return [theme for code, _, theme, _ in CATALOGUE if code == state][recommendation]


def _shortfall(
    demo: Demo,
    state: str,
    recommendation: int,
    barrier: str,
    severity: str,
    published: bool,
    resolved_days_ago: int | None,
) -> tuple[uuid.UUID, dt.datetime]:
    """The shortfall, and when it was submitted."""
    focal = demo.focal[state]
    body = ShortfallCreate.model_validate(
        {
            "recommendation_ids": [demo.recommendations[state][recommendation]],
            "barrier_type": barrier,
            "severity": severity,
            "description": BARRIERS[barrier],
        }
    )
    shortfall = create_shortfall(demo.db, focal, body)
    apply(demo.db, focal, shortfall, "submit")
    submitted = demo.ago(demo.days((150, HISTORY_DAYS)))
    published_at = _publish(demo, focal, shortfall, submitted) if published else None
    if resolved_days_ago is not None:
        resolved = ShortfallResolve(resolved_on=demo.ago(resolved_days_ago).date())
        apply(demo.db, focal, shortfall, "resolve", resolved)
    last = demo.ago(resolved_days_ago) if resolved_days_ago else published_at or submitted
    _set(demo.db, Shortfall, shortfall.id, **_publishable_times(submitted, published_at, last))
    return shortfall.id, submitted


def _publish(demo: Demo, focal: Principal, obj: Any, submitted: dt.datetime) -> dt.datetime:
    """Publish now; the day it will be said to have been published."""
    apply(demo.db, focal, obj, "publish")
    return min(submitted + dt.timedelta(days=demo.days((2, 30))), demo.ago(0.5))


def _publishable_times(
    submitted: dt.datetime, published: dt.datetime | None, last: dt.datetime
) -> dict[str, dt.datetime | None]:
    return {
        "created_at": submitted - dt.timedelta(days=3),
        "submitted_at": submitted,
        "published_at": published,
        "updated_at": last,
    }


def _report(
    demo: Demo,
    state: str,
    recommendation: int,
    years_back: int,
    half: int,
    status: str,
    published: bool,
) -> None:
    focal = demo.focal[state]
    start, end = _period(demo.now.year - years_back, half)
    body = ReportCreate.model_validate(
        {
            "recommendation_ids": [demo.recommendations[state][recommendation]],
            "period_start": start,
            "period_end": end,
            "status": status,
            "summary": SUMMARIES[status],
        }
    )
    report = create_report(demo.db, focal, body)
    apply(demo.db, focal, report, "submit")
    after_period = dt.datetime.combine(end, dt.time(10), dt.UTC) + dt.timedelta(
        days=demo.days((20, 100))
    )
    submitted = min(after_period, demo.ago(1))
    published_at = _publish(demo, focal, report, submitted) if published else None
    times = _publishable_times(submitted, published_at, published_at or submitted)
    _set(demo.db, ProgressReport, report.id, **times)
    demo.db.execute(
        update(ProgressRevision)
        .where(col(ProgressRevision.report_id) == report.id)
        .values(created_at=times["created_at"], updated_at=submitted, submitted_at=submitted)
    )


def _period(year: int, half: int) -> tuple[dt.date, dt.date]:
    if half == 1:
        return dt.date(year, 1, 1), dt.date(year, 6, 30)
    if half == 2:
        return dt.date(year, 7, 1), dt.date(year, 12, 31)
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def _provider(demo: Demo, windows: tuple[tuple[int, int], ...], fields: dict[str, Any]) -> None:
    availability = [
        {"start": demo.ago(-start).date(), "end": demo.ago(-end).date()} for start, end in windows
    ]
    body = ProviderCreate.model_validate({**fields, "availability": availability})
    create_provider(demo.db, demo.officer, body)


def _plan(
    demo: Demo,
    state: str,
    recommendation: int,
    path: tuple[str, ...],
    shortfalls: dict[tuple[str, int], tuple[uuid.UUID, dt.datetime]],
) -> Plan:
    steps = _with_info_loop(path, demo.rng)
    times = _times(demo, steps)
    linked = shortfalls.get((state, recommendation))
    body = _body(demo, state, recommendation, times[0], linked)
    return Plan(state, body, steps, times, published=demo.rng.random() < 0.35)


def _with_info_loop(path: tuple[str, ...], rng: random.Random) -> tuple[str, ...]:
    """About a third of the requests triaged answered a request for information first."""
    if "start-triage" not in path or "request-info" in path or rng.random() >= 0.35:
        return path
    at = path.index("start-triage") + 1
    return (*path[:at], *INFO_LOOP, *path[at:])


def _times(demo: Demo, steps: tuple[str, ...]) -> tuple[dt.datetime, ...]:
    """When each move was made: drawn back from now, no older than HISTORY_DAYS."""
    since_last = demo.days(DAYS_SINCE[steps[-1]])
    gaps = [demo.days(GAP_DAYS[verb]) for verb in steps[1:]]
    scale = min(1.0, HISTORY_DAYS / (since_last + sum(gaps)))
    ages = [since_last * scale]
    for gap in reversed(gaps):
        ages.insert(0, ages[0] + gap * scale)
    return tuple(demo.ago(age) for age in ages)


def _body(
    demo: Demo,
    state: str,
    recommendation: int,
    submitted: dt.datetime,
    shortfall: tuple[uuid.UUID, dt.datetime] | None,
) -> RequestCreate:
    theme = _theme(state, recommendation)
    help_ = HELP[theme]
    budget = demo.rng.choice(BUDGETS)
    share = demo.rng.choice(CO_FUNDING_SHARES)
    start = submitted.date() + dt.timedelta(days=demo.rng.randint(30, 150))
    return RequestCreate.model_validate(
        {
            "title": help_.title,
            "recommendation_ids": [demo.recommendations[state][recommendation]],
            "shortfall_ids": [shortfall[0]] if shortfall and shortfall[1] < submitted else [],
            "assistance_type": help_.assistance_type,
            "themes": [theme],
            "sdg_targets": [help_.sdg_target],
            "languages": LANGUAGES[state],
            "modality": demo.rng.choice(MODALITIES),
            "window_start": start,
            "window_end": start + dt.timedelta(days=demo.rng.randint(60, 240)),
            "urgency": demo.rng.choice(URGENCIES),
            "budget_estimate_usd": budget,
            "co_funding_usd": round(budget * share, 2) if budget and share else None,
            "justification": "To implement the recommendation this request links to.",
        }
    )


def _carry_out(demo: Demo, plan: Plan) -> None:
    focal = demo.focal[plan.state]
    request = create_request(demo.db, focal, plan.body)
    assignment: Assignment | None = None
    for verb in plan.steps:
        assignment = _move(demo, plan, request, verb, assignment)
        if verb == "submit" and plan.published:
            apply(demo.db, focal, request, "publish")
    _backdate(demo, plan, request, assignment)


def _move(
    demo: Demo,
    plan: Plan,
    request: AssistanceRequest,
    verb: str,
    assignment: Assignment | None,
) -> Assignment | None:
    """Make one move as whoever makes it; the offer the request holds, if any."""
    if verb == "offer":
        return _offer(demo, request)
    if verb == "match":
        assert assignment is not None
        answer = VerbBody(message="The provider accepted by email to the desk officer.")
        apply(demo.db, demo.officer, assignment, "accept", answer)
        return assignment
    state_moves = {"submit", "withdraw", "provide-info"}
    who = demo.focal[plan.state] if verb in state_moves else demo.officer
    reason = demo.rng.choice(DECLINE_REASONS) if verb == "decline" else None
    apply(demo.db, who, request, verb, VerbBody(message=MESSAGES.get(verb), reason=reason))
    return assignment


def _offer(demo: Demo, request: AssistanceRequest) -> Assignment:
    """The officer offers the request to the best candidate, as the candidates page ranks them."""
    ranked = matching.candidates(demo.db, request, get_settings())
    if not ranked:
        raise AssertionError(f"demo data: nobody can serve {request.state_code} {request.title}")
    return matching.offer(demo.db, demo.officer, request.id, ranked[0].provider_id)


def _backdate(
    demo: Demo, plan: Plan, request: AssistanceRequest, assignment: Assignment | None
) -> None:
    """Move the request's history to the times planned for it."""
    when = dict(zip(plan.steps, plan.times, strict=True))
    db = demo.db
    for verb, at in when.items():
        db.execute(
            update(RequestTransition)
            .where(col(RequestTransition.request_id) == request.id)
            .where(col(RequestTransition.verb) == verb)
            .values(at=at)
        )
    for verb in INFO_LOOP:
        if verb in when:
            db.execute(
                update(RequestMessage)
                .where(col(RequestMessage.request_id) == request.id)
                .where(col(RequestMessage.body) == MESSAGES[verb])
                .values(created_at=when[verb])
            )
    moved = [at for verb, at in when.items() if verb != "offer"]
    published = _published_at(plan, demo.now) if plan.published else None
    _set(
        db,
        AssistanceRequest,
        request.id,
        created_at=plan.times[0] - dt.timedelta(days=demo.days((1, 10))),
        submitted_at=plan.times[0],
        stage_entered_at=moved[-1],
        published_at=published,
        updated_at=max(plan.times[-1], published or plan.times[0]),
    )
    if assignment is not None:
        _backdate_offer(db, assignment, when, plan.times[-1])


def _published_at(plan: Plan, now: dt.datetime) -> dt.datetime:
    """Halfway between submission and the next move (or now)."""
    after = plan.times[1] if len(plan.times) > 1 else now
    return plan.times[0] + (after - plan.times[0]) / 2


def _backdate_offer(
    db: Session, assignment: Assignment, when: dict[str, dt.datetime], last: dt.datetime
) -> None:
    shift = when["offer"] - assignment.created_at
    respond_by = assignment.respond_by + shift if assignment.respond_by else None
    _set(
        db,
        Assignment,
        assignment.id,
        created_at=when["offer"],
        respond_by=respond_by,
        responded_at=when.get("match"),
        updated_at=last,
    )


def _matching_run(demo: Demo) -> None:
    """A matching run over the accepted requests still without a provider, so that the gap
    analysis can say why some stay unmatched."""
    run = matching.create_run(demo.db, demo.officer, None)
    matching.start_run(run)
    matching.compute_run(demo.db, demo.officer, get_settings(), run)


def _set(db: Session, model: Any, object_id: uuid.UUID, **values: Any) -> None:
    """Set columns without a new version: the history being laid down, not a change to it."""
    db.execute(update(model).where(model.id == object_id).values(**values))
