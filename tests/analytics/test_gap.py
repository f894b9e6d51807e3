"""`GET /analytics/assistance/gap` against an independent count, for OHCHR, the public and a
State (`public_min_cell` 1, so that nothing is suppressed):

- demand: the accepted requests the caller reads through the request list, one count per
  theme x language, by assistance type and the region of the request's State;
- supply: the roster as an officer reads it, by the spec's rules (type, language, theme or no
  themes, region through a sub-region, a State or remote work, a window in the coming
  `months`, free capacity floored at 0);
- unmatched: the latest matching run's unmatched requests by reason, each request left
  unmatched for a reason built into the scene, counted only where the caller sees it."""

import calendar
import datetime as dt
from collections import Counter, defaultdict
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.models import utcnow
from app.core.principal import Role
from app.core.settings import Settings
from app.taxonomies.models import Theme, term_key
from tests.analytics.support import get_json, read_pages
from tests.factories import auth, make_user
from tests.jobs.support import run_jobs
from tests.matching.support import PROVIDERS, REQUESTS, RUNS, accepted_request, offer
from tests.matching.support import create_provider as create

API = "/api/v1"
GAP = f"{API}/analytics/assistance/gap"
FIGURES = ("demand_requests", "demand_budget_usd", "supply_providers", "supply_free_capacity")
Json = dict[str, Any]
Headers = dict[str, str]
Key = tuple[str | None, str, str, str]
TRAINING, LEGISLATIVE = "training_of_officials", "legislative_review"
GENDER, CIVIC = "gender_mainstreaming", "civic_space_and_participation"


def days(first: int, last: int) -> Json:
    """An availability window from `first` to `last` days after today."""
    today = utcnow().date()
    return {"start": str(today + dt.timedelta(first)), "end": str(today + dt.timedelta(last))}


def headers_of(db: Session, settings: Settings, role: Role, state: str | None = None) -> Headers:
    return auth(settings, make_user(db, role=role, state=state))


def publish(client: TestClient, db: Session, settings: Settings, rid: str, state: str) -> None:
    focal = headers_of(db, settings, Role.state_focal_point, state)
    response = client.post(f"{REQUESTS}/{rid}/publish", json={}, headers=focal)
    assert response.status_code == 200, response.text


@pytest.fixture(autouse=True)
def themes(db: Session) -> None:
    """The UHRI themes the requests and providers name (the taxonomy starts empty)."""
    names = {"A12": "Acceptance of international norms", "B31": "Equality & non-discrimination"}
    names["F13"] = "Violence against women"
    db.add_all(Theme(code=code, name=name, key=term_key(name)) for code, name in names.items())
    db.flush()


@pytest.fixture(params=[Role.ohchr_officer, Role.ohchr_admin])
def viewer(request: pytest.FixtureRequest, db: Session, settings: Settings) -> Headers:
    """The gap is OHCHR's alone (the roster is OHCHR's)."""
    return headers_of(db, settings, request.param)


@pytest.mark.parametrize(
    "role", [Role.state_contributor, Role.state_focal_point, Role.provider, None]
)
def test_the_gap_and_its_chart_are_ohchrs_alone(
    client: TestClient, db: Session, settings: Settings, role: Role | None
) -> None:
    caller = {} if role is None else headers_of(db, settings, role, "WSM")
    for path in (GAP, f"{GAP}/chart.svg"):
        response = client.get(path, headers=caller)
        assert response.status_code == (401 if role is None else 403), response.text


@pytest.fixture
def roster(client: TestClient, db: Session, settings: Settings) -> list[str]:
    """Requests accepted (some published, one with a pending offer, one matched, one still in
    triage) and providers in and out of the coming months; the providers' ids."""
    officer = headers_of(db, settings, Role.ohchr_officer)
    admin = headers_of(db, settings, Role.ohchr_admin)

    def accepted(
        state: str, kind: str, themes: list[str], languages: list[str], **more: Any
    ) -> str:
        window = {"window_start": days(5, 60)["start"], "window_end": days(5, 60)["end"]}
        return accepted_request(client, db, settings, officer, state=state, assistance_type=kind,
                                themes=themes, languages=languages, **window, **more)  # fmt: skip

    published = [
        (accepted("WSM", TRAINING, ["A12", "B31"], ["en", "fr"], budget_estimate_usd=10000), "WSM"),
        (accepted("SEN", TRAINING, ["A12"], ["fr"], budget_estimate_usd=5000), "SEN"),
        (pending := accepted("NPL", GENDER, [], ["en"], budget_estimate_usd=8000), "NPL"),
        (accepted("SEN", TRAINING, ["A12"], ["fr"], stop_at="start-triage"), "SEN"),
    ]
    accepted("WSM", LEGISLATIVE, [], ["en"])
    accepted("SEN", LEGISLATIVE, ["F13"], ["fr", "en"], budget_estimate_usd=2500)
    matched = accepted("NPL", GENDER, ["B31"], ["en"])
    for rid, state in published:
        publish(client, db, settings, rid, state)

    def provider(kind: list[str], languages: list[str], window: list[Json], **more: Any) -> str:
        body = {"modalities": ["in_country"], **more}
        return str(create(client, admin, assistance_types=kind, languages=languages,
                          availability=window, **body)["id"])  # fmt: skip

    ids = [
        provider([TRAINING], ["en", "fr"], [days(-10, 200)], regions_covered=["Oceania"]),
        provider([TRAINING], ["fr"], [days(10, 40)], themes=["A12"], states_covered=["SEN"],
                 capacity=1),
        provider([TRAINING, LEGISLATIVE], ["en"], [days(270, 400)], themes=["B31", "F13"],
                 modalities=["remote"], capacity=3),
        provider([LEGISLATIVE], ["en", "fr"], [days(-100, -30)], regions_covered=["Africa"]),
        provider([LEGISLATIVE], ["fr"], [days(0, 60)], regions_covered=["Western Africa"]),
        provider([TRAINING], ["en", "fr"], [days(0, 90)], modalities=["remote"], is_active=False),
        provider([GENDER], ["en", "fr"], [days(-60, -20), days(100, 120)], states_covered=["NPL"]),
        full := provider([GENDER], ["en"], [days(0, 90)], states_covered=["NPL"], capacity=1),
    ]  # fmt: skip
    offer(client, officer, pending, full)
    shrunk = client.patch(
        f"{PROVIDERS}/{full}", json={"capacity": 0}, headers={**admin, "If-Match": "*"}
    )
    assert shrunk.status_code == 200, shrunk.text  # one offer over a capacity of 0: free 0
    account = make_user(db, role=Role.provider)
    taker = provider([GENDER], ["en"], [days(0, 90)], regions_covered=["Asia"],
                     user_id=str(account.id))  # fmt: skip
    assignment = offer(client, officer, matched, taker)
    taken = client.post(f"{API}/assignments/{assignment['id']}/accept", json={},
                        headers=auth(settings, account))  # fmt: skip
    assert taken.status_code == 200, taken.text
    return [*ids, taker]


def months_ahead(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class Gap:
    """Demand and supply as the spec defines them, over what the lists return."""

    def __init__(
        self, client: TestClient, db: Session, settings: Settings, viewer: Headers, ids: list[str]
    ) -> None:
        officer = headers_of(db, settings, Role.ohchr_officer)
        self.providers = [client.get(f"{PROVIDERS}/{i}", headers=officer).json() for i in ids]
        self.states = {s["code"]: s for s in read_pages(client, f"{API}/states", {})}
        self.demand: Counter[Key] = Counter()
        self.budget: dict[Key, float] = defaultdict(float)
        for request in read_pages(client, REQUESTS, viewer):
            if request["stage"] == "accepted":
                region = self.states[request["state_code"]]["region"]
                for theme in request["themes"] or [None]:
                    for language in request["languages"]:
                        key = (theme, request["assistance_type"], language, region)
                        self.demand[key] += 1
                        self.budget[key] += request["budget_estimate_usd"] or 0.0

    def covers(self, provider: Json, region: str) -> bool:
        places = {*provider["regions_covered"], *provider["states_covered"]}
        inside = {s["sub_region"] for s in self.states.values() if s["region"] == region}
        inside |= {code for code, s in self.states.items() if s["region"] == region}
        return "remote" in provider["modalities"] or region in places or bool(places & inside)

    def serves(self, provider: Json, key: Key, months: int) -> bool:
        theme, kind, language, region = key
        today = utcnow().date()
        horizon = str(months_ahead(today, months))
        return (
            provider["is_active"]
            and kind in provider["assistance_types"]
            and language in provider["languages"]
            and (theme is None or not provider["themes"] or theme in provider["themes"])
            and self.covers(provider, region)
            and any(
                w["start"] <= horizon and w["end"] >= str(today) for w in provider["availability"]
            )
        )

    def row(self, key: Key, months: int) -> Json:
        serving = [p for p in self.providers if self.serves(p, key, months)]
        free = sum(max(p["capacity"] - p["active_assignments"], 0) for p in serving)
        return figures(self.demand[key], self.budget.get(key, 0.0), len(serving), free)


def figures(requests: int, budget: float, providers: int, free: int) -> Json:
    return {
        "demand_requests": requests,
        "demand_budget_usd": round(budget, 2),
        "supply_providers": providers,
        "supply_free_capacity": free,
        "gap": requests - free,
    }


def answered_rows(client: TestClient, viewer: Headers, **params: Any) -> dict[Key, Json]:
    return {
        (
            row["key"]["theme"],
            *(row["key"][d] for d in ("assistance_type", "language", "region")),
        ): {f: round(row[f], 2) if f == "demand_budget_usd" else row[f] for f in (*FIGURES, "gap")}
        for row in get_json(client, GAP, viewer, params)["groups"]
    }


def mismatches(gap: Gap, rows: dict[Key, Json], months: int) -> dict[Key, tuple[Json, Json]]:
    """Rows whose figures differ from the count, and demand the answer has no row for."""
    wrong = {key: (gap.row(key, months), got) for key, got in rows.items()}
    wrong |= {key: (gap.row(key, months), {}) for key in gap.demand if key not in rows}
    return {key: pair for key, pair in wrong.items() if pair[0] != pair[1]}


def test_demand_and_supply_match_an_independent_count(
    client: TestClient, db: Session, settings: Settings, viewer: Headers, roster: list[str]
) -> None:
    gap = Gap(client, db, settings, viewer, roster)
    assert mismatches(gap, answered_rows(client, viewer), 6) == {}


def test_supply_counts_the_windows_within_the_coming_months(
    client: TestClient, db: Session, settings: Settings, roster: list[str]
) -> None:
    officer = headers_of(db, settings, Role.ohchr_officer)
    gap = Gap(client, db, settings, officer, roster)
    supplies = {m: {k: gap.row(k, m)["supply_providers"] for k in gap.demand} for m in (1, 6, 12)}
    assert supplies[1] != supplies[6] != supplies[12]  # the scene tells the windows apart
    for months in (1, 6, 12):
        assert mismatches(gap, answered_rows(client, officer, months=months), months) == {}


# Requests each left unmatched for one reason (min score 0.7): their overrides, the provider
# that leaves them unserved, their State, whether they are published, and the reason.
UNMATCHED: list[tuple[Json, Json | None, str, bool, str]] = [
    ({"assistance_type": "transitional_justice"}, None, "WSM", False, "no_provider_offers_type"),
    ({"assistance_type": "treaty_reporting", "languages": ["ar"]},
     {"assistance_types": ["treaty_reporting"]}, "SEN", True, "no_provider_with_language"),
    ({"assistance_type": CIVIC, "modality": "regional"},
     {"assistance_types": [CIVIC], "modalities": ["remote", "in_country"]},
     "WSM", False, "no_provider_with_modality"),
    ({"assistance_type": "parliamentary_engagement"},
     {"assistance_types": ["parliamentary_engagement"], "kind": "peer_state",
      "home_state_code": "NPL"}, "NPL", True, "only_the_state_itself"),
    ({"assistance_type": "human_rights_education"},
     {"assistance_types": ["human_rights_education"],
      "availability": [{"start": "2031-01-01", "end": "2031-12-31"}]},
     "SEN", False, "none_available_in_window"),
    ({"assistance_type": "nmrf_support"}, {"assistance_types": ["nmrf_support"], "capacity": 0},
     "WSM", False, "none_with_capacity_left"),
    ({"assistance_type": LEGISLATIVE, "themes": ["A12"], "sdg_targets": ["16.3"],
      "languages": ["en", "fr"]}, {"assistance_types": [LEGISLATIVE], "themes": ["B31"],
      "capacity": 1}, "SEN", True, "below_minimum_score"),
]  # fmt: skip


def test_unmatched_requests_are_counted_by_reason_where_the_caller_sees_them(
    client: TestClient, db: Session, settings: Settings, viewer: Headers
) -> None:
    settings.matching_min_score = 0.7
    officer = headers_of(db, settings, Role.ohchr_officer)
    admin = headers_of(db, settings, Role.ohchr_admin)
    reasons: dict[str, str] = {}
    for overrides, provider, state, published, reason in UNMATCHED:
        rid = accepted_request(client, db, settings, officer, state=state, **overrides)
        if published:
            publish(client, db, settings, rid, state)
        if provider is not None:
            create(client, admin, **provider)
        reasons[rid] = reason
    rivals = [accepted_request(client, db, settings, officer, state="WSM") for _ in range(2)]
    create(client, admin, states_covered=["WSM"], capacity=1)  # one place for two equals
    run = client.post(RUNS, json=None, headers=officer)
    assert run.status_code == 202, run.text
    run_jobs(client.app)  # type: ignore[arg-type]
    done = client.get(run.headers["location"], headers=officer).json()
    (loser,) = set(done["unmatched"]) & set(rivals)
    reasons[loser] = "candidates_went_to_higher_weight"
    assert set(done["unmatched"]) == set(reasons)

    seen = {r["id"] for r in read_pages(client, REQUESTS, viewer)} & set(reasons)
    unmatched = get_json(client, GAP, viewer)["unmatched"]

    assert (unmatched["run_id"], unmatched["requests"]) == (done["id"], len(seen))
    assert {k: n for k, n in unmatched["by_reason"].items() if n} == Counter(
        reasons[rid] for rid in seen
    )
