"""`GET /analytics/implementation` and `/implementation/shortfalls` against an independent
count: plain Python over what the same caller reads through the catalogue, progress-report and
shortfall lists, for every dimension, every filter and each kind of caller (OHCHR, the public,
a State). `public_min_cell` is 1 so that public figures are exact.

The scene: 14 recommendations of five States (mechanisms, bodies, cycles, positions, themes,
SDG targets), 14 reports in every stage and visibility (a published one with a correction
submitted but not published, one with a correction being drafted, one unpublished), and 13
shortfalls of every barrier type and severity, some resolved, some published."""

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable
from itertools import product
from typing import Any
from urllib.parse import parse_qsl

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.principal import Role
from app.core.settings import Settings
from app.lifecycle.engine import apply
from app.shortfalls.schemas import ShortfallResolve
from tests.analytics.support import get_json, read_pages
from tests.factories import make_recommendation, make_user
from tests.progress import support
from tests.progress.support import REPORT, SHORTFALL, Headers, caller, make_owned, write

API = "/api/v1"
FIGURES = f"{API}/analytics/implementation"
SHORTFALL_FIGURES = f"{FIGURES}/shortfalls"
STATUSES = ("not_started", "in_progress", "partially_implemented", "fully_implemented")
SEVERITIES = ("low", "medium", "high", "critical")
THEMES = {"A12": "Acceptance of international norms", "B31": "Equality & non-discrimination"}
THEMES |= {"D21": "Right to life", "F13": "Violence against women"}
FIELDS = ("recommendations", "with_progress", "share_with_progress", "latest_status")
SHORTFALL_FIELDS = ("shortfalls", "open", "resolved", "by_severity", "recommendations")
Json = dict[str, Any]
Key = tuple[str | None, ...]

# state, mechanism, body, cycle, position, themes, SDG targets
CATALOGUE = [
    ("WSM", "upr", "UPR", 2, "supported", ("A12",), ("16.3",)),
    ("WSM", "upr", "UPR", 3, "noted", ("A12", "F13"), ("5.2", "16.3")),
    ("WSM", "cedaw", "CEDAW", None, None, ("F13",), ("5.2",)),
    ("WSM", "upr", "UPR", 3, "supported_in_part", (), ()),
    ("NPL", "upr", "UPR", 2, "supported", ("B31",), ("10.2",)),
    ("NPL", "crc", "CRC", None, None, ("D21", "B31"), ("16.1", "16.3")),
    ("NPL", "upr", "UPR", 3, "noted", ("A12",), ()),
    ("SEN", "upr", "UPR", 3, "supported", ("D21",), ("16.1",)),
    ("SEN", "cat", "CAT", None, None, ("A12",), ("16.3",)),
    ("SEN", "upr", "UPR", 2, "supported", ("F13", "B31"), ("5.2",)),
    ("KEN", "upr", "UPR", 2, "noted", ("B31",), ("10.2",)),
    ("KEN", "ccpr", "CCPR", None, None, ("D21",), ("16.1",)),
    ("ECU", "upr", "UPR", 3, "supported", ("A12",), ("16.3",)),
    ("ECU", "cedaw", "CEDAW", None, None, ("F13",), ("5.2", "5.1")),
]
# recommendations (indexes), period end, status, stage, then: corrected (submitted, not
# published), pending (correction drafted), unpublished
REPORTS = [
    ((0,), "2022-12-31", "not_started", "published", None),
    ((0, 1), "2023-12-31", "in_progress", "published", "corrected"),
    ((1,), "2024-06-30", "partially_implemented", "draft", None),
    ((2,), "2023-06-30", "in_progress", "submitted", None),
    ((4,), "2023-12-31", "partially_implemented", "published", None),
    ((4,), "2024-12-31", "fully_implemented", "submitted", None),
    ((5,), "2022-06-30", "in_progress", "published", "unpublished"),
    ((5, 6), "2024-03-31", "not_started", "draft", None),
    ((7,), "2023-03-31", "fully_implemented", "published", "pending"),
    ((9,), "2024-09-30", "in_progress", "submitted", None),
    ((9,), "2022-09-30", "not_started", "published", None),
    ((10,), "2023-12-31", "partially_implemented", "published", None),
    ((12,), "2024-12-31", "in_progress", "published", None),
    ((12,), "2021-12-31", "not_started", "submitted", None),
]
# recommendations, barrier type, severity, stage, resolved on
SHORTFALLS = [
    ((0,), "financial", "high", "published", None),
    ((1,), "legislative", "critical", "published", "2024-06-30"),
    ((2,), "technical_expertise", "low", "submitted", None),
    ((3,), "data_and_statistics", "medium", "draft", None),
    ((4,), "institutional_coordination", "medium", "published", None),
    ((5,), "human_resources", "low", "submitted", "2024-01-15"),
    ((6,), "crisis_or_emergency", "critical", "draft", None),
    ((7,), "conflict_or_insecurity", "high", "published", "2023-11-30"),
    ((9,), "other", "low", "published", None),
    ((9,), "financial", "medium", "submitted", None),
    ((10,), "financial", "critical", "published", None),
    ((12,), "legislative", "high", "submitted", None),
    ((13,), "technical_expertise", "medium", "published", None),
]
# Each question as a query string.
DIMENSIONS = "state region mechanism body cycle theme sdg sdg_target position region,mechanism"
GROUPINGS = [f"group_by={d}" for d in (*DIMENSIONS.split(), "state,theme")]
FILTERS = """mechanism=upr body=CEDAW cycle=3 theme=F13 sdg=16 sdg=5.2 region=Africa
    region=Southern+Asia from=2023-01-01&to=2023-12-31 from=2024-01-01 to=2022-12-31&cycle=2"""
FILTERED = [f"group_by=state&{f}" for f in FILTERS.split()]
SHORTFALL_QUERIES = """barrier_type severity theme resolved state state,severity
    barrier_type&theme=A12 severity&mechanism=cedaw theme&region=Africa severity&sdg=16
    barrier_type&body=CEDAW severity&cycle=3"""
SHORTFALL_GROUPINGS = [f"group_by={q}" for q in SHORTFALL_QUERIES.split()]


@pytest.fixture(params=["officer", "anonymous", "state"])
def viewer(request: pytest.FixtureRequest, db: Session, settings: Settings) -> Headers:
    settings.public_min_cell = 1
    role = {"officer": Role.ohchr_officer, "anonymous": None, "state": Role.state_contributor}
    return caller(db, settings, role[request.param], state="WSM")


@pytest.fixture
def scene(db: Session) -> None:
    """The scene above, written by each State's focal point."""
    recs = [
        make_recommendation(
            db, state=s, mechanism=m, body=b, cycle=c, position=p, sdgs=sdgs,
            themes=tuple((code, THEMES[code]) for code in themes),
        ).id
        for s, m, b, c, p, themes, sdgs in CATALOGUE
    ]  # fmt: skip
    focal = {s: support.principal_of(make_user(db, role=Role.state_focal_point, state=s))
             for s in {row[0] for row in CATALOGUE}}  # fmt: skip
    for rows, end, status, stage, then in REPORTS:
        body = support.report_body(*(recs[i] for i in rows), period_start=f"{end[:4]}-01-01",
                                   period_end=end, status=status)  # fmt: skip
        who = focal[CATALOGUE[rows[0]][0]]
        report = write(db, who, REPORT, body, stage=stage, corrected=then == "corrected",
                       pending_revision=then == "pending")  # fmt: skip
        if then == "unpublished":
            apply(db, who, report, "unpublish")
    for rows, barrier, severity, stage, resolved_on in SHORTFALLS:
        body = support.shortfall_body(*(recs[i] for i in rows), barrier_type=barrier,
                                      severity=severity)  # fmt: skip
        who = focal[CATALOGUE[rows[0]][0]]
        shortfall = write(db, who, SHORTFALL, body, stage=stage)
        if resolved_on:
            resolution = ShortfallResolve(resolved_on=dt.date.fromisoformat(resolved_on))
            apply(db, who, shortfall, "resolve", resolution)


def answered(client: TestClient, url: str, headers: Headers, query: Json) -> dict[Key, Json]:
    """The figures of each group, keyed by its key's values in `group_by` order."""
    body = get_json(client, url, headers, query)
    assert [g for g in body["groups"] if g["suppressed"] or g["suppressed_figures"]] == []
    return {
        tuple(key_of(g["key"][d]) for d in body["group_by"]): {
            f: round(g[f], 9) if isinstance(g.get(f), float) else g.get(f, "missing")
            for f in (SHORTFALL_FIELDS if url == SHORTFALL_FIGURES else FIELDS)
        }
        for g in body["groups"]
    }


def key_of(value: Any) -> str | None:
    """Key values compared as text: the spec does not say whether a cycle is 2 or "2"."""
    return None if value is None else str(value)


class Catalogue:
    """What a caller reads back through the lists, with each object's dimension values."""

    def __init__(self, client: TestClient, headers: Headers) -> None:
        self.client, self.headers = client, headers
        self.recs = {r["id"]: r for r in read_pages(client, f"{API}/recommendations", {})}
        codes = {r["state_code"] for r in self.recs.values()}
        self.states = {c: client.get(f"{API}/states/{c}").json() for c in codes}
        self.reports = read_pages(client, f"{API}/progress-reports", headers)
        self.shortfalls = read_pages(client, f"{API}/shortfalls", headers)

    def mismatches(self, url: str, queries: list[str]) -> dict[str, tuple[Any, Any]]:
        """Each query whose answer differs from the independent count: (expected, answered)."""
        expect = self.shortfall_figures if url == SHORTFALL_FIGURES else self.implementation
        pairs = {
            text: (expect(query), answered(self.client, url, self.headers, query))
            for text, query in ((text, dict(parse_qsl(text))) for text in queries)
        }
        return {text: pair for text, pair in pairs.items() if pair[0] != pair[1]}

    def values(self, rec: Json) -> dict[str, list[Any]]:
        state = self.states[rec["state_code"]]
        targets = sorted(rec["sdg_targets"])
        return {d: [rec[d]] for d in ("mechanism", "body", "cycle", "position")} | {
            "state": [rec["state_code"]],
            "region": [state["region"]],
            "sub_region": [state["sub_region"]],
            "theme": sorted({t["code"] for t in rec["themes"]}) or [None],
            "sdg_target": targets or [None],
            "sdg": sorted({t.split(".")[0] for t in targets}) or [None],
        }

    def matches(self, rec: Json, query: Json) -> bool:
        values = self.values(rec)
        sdg = query.get("sdg")
        return all((
            query.get("mechanism") in (None, rec["mechanism"]),
            query.get("body") in (None, rec["body"]),
            query.get("cycle") in (None, key_of(rec["cycle"])),
            query.get("theme") in (None, *values["theme"]),
            sdg is None or sdg in values["sdg"] + values["sdg_target"],
            query.get("region") in (None, *values["region"], *values["sub_region"]),
        ))  # fmt: skip

    def latest_status(self, query: Json) -> dict[str, str]:
        """Each recommendation's status in its latest report (period end, then update time)
        among the reports whose period ends within `from`/`to`."""
        first, last = query.get("from", "0000"), query.get("to", "9999")
        best: dict[str, tuple[tuple[str, dt.datetime], str]] = {}
        for report in self.reports:
            if not first <= report["period_end"] <= last:
                continue
            rank = (report["period_end"], dt.datetime.fromisoformat(report["updated_at"]))
            for rid in report["recommendation_ids"]:
                if rid not in best or rank > best[rid][0]:
                    best[rid] = (rank, report["status"])
        return {rid: status for rid, (_, status) in best.items()}

    def implementation(self, query: Json) -> dict[Key, Json]:
        latest = self.latest_status(query)
        recs = [r for r in self.recs.values() if self.matches(r, query)]
        return figures_by_group(recs, query, self.values, lambda ids: progress(ids, latest))

    def shortfall_values(self, shortfall: Json) -> dict[str, list[Any]]:
        linked = [self.recs[r] for r in shortfall["recommendation_ids"]]
        themes = sorted({t for rec in linked for t in self.values(rec)["theme"] if t})
        return {d: [shortfall[d]] for d in ("barrier_type", "severity")} | {
            "state": [shortfall["state_code"]],
            "resolved": ["resolved" if shortfall["resolved_on"] else "open"],
            "theme": themes or [None],
        }

    def shortfall_figures(self, query: Json) -> dict[Key, Json]:
        chosen = [
            s
            for s in self.shortfalls
            if any(self.matches(self.recs[r], query) for r in s["recommendation_ids"])
        ]
        by_id = {s["id"]: s for s in chosen}
        return figures_by_group(
            chosen, query, self.shortfall_values, lambda ids: shortfall_counts(ids, by_id)
        )


def figures_by_group(
    items: list[Json],
    query: Json,
    values_of: Callable[[Json], dict[str, list[Any]]],
    figures: Callable[[list[str]], Json],
) -> dict[Key, Json]:
    """Each item in every group its (multi-valued) dimensions put it in."""
    dimensions = query["group_by"].split(",")
    members: dict[Key, list[str]] = defaultdict(list)
    for item in items:
        values = values_of(item)
        for combination in product(*(values[d] for d in dimensions)):
            members[tuple(key_of(v) for v in combination)].append(item["id"])
    return {key: figures(ids) for key, ids in members.items()}


def progress(ids: list[str], latest: dict[str, str]) -> Json:
    reported = sum(1 for rid in ids if rid in latest)
    statuses = Counter(latest.get(rid, "no_report") for rid in ids)
    return {
        "recommendations": len(ids),
        "with_progress": reported,
        "share_with_progress": round(reported / len(ids), 9),
        "latest_status": {s: statuses[s] for s in (*STATUSES, "no_report")},
    }


def shortfall_counts(ids: list[str], by_id: dict[str, Json]) -> Json:
    chosen = [by_id[i] for i in ids]
    resolved = sum(1 for s in chosen if s["resolved_on"])
    severities = Counter(s["severity"] for s in chosen)
    return {
        "shortfalls": len(chosen),
        "open": len(chosen) - resolved,
        "resolved": resolved,
        "by_severity": {s: severities[s] for s in SEVERITIES},
        "recommendations": len({r for s in chosen for r in s["recommendation_ids"]}),
    }


@pytest.mark.usefixtures("scene")
def test_every_dimension_counts_as_the_caller_reads_the_lists(
    client: TestClient, viewer: Headers
) -> None:
    assert Catalogue(client, viewer).mismatches(FIGURES, GROUPINGS) == {}


@pytest.mark.usefixtures("scene")
def test_every_filter_narrows_as_the_caller_reads_the_lists(
    client: TestClient, viewer: Headers
) -> None:
    assert Catalogue(client, viewer).mismatches(FIGURES, FILTERED) == {}


@pytest.mark.usefixtures("scene")
def test_shortfall_figures_count_as_the_caller_reads_the_lists(
    client: TestClient, viewer: Headers
) -> None:
    assert Catalogue(client, viewer).mismatches(SHORTFALL_FIGURES, SHORTFALL_GROUPINGS) == {}


def test_the_public_reads_the_published_status_while_a_correction_awaits_publication(
    client: TestClient, db: Session, settings: Settings
) -> None:
    settings.public_min_cell = 1
    make_owned(db, settings, REPORT, state="TON", stage="published", corrected=True)

    def latest(role: Role | None) -> Json:
        query = {"state": "TON", "group_by": "state"}
        (figures,) = answered(client, FIGURES, caller(db, settings, role, "TON"), query).values()
        return {s: n for s, n in figures["latest_status"].items() if n}

    assert latest(None) == {"in_progress": 1}
    assert latest(Role.provider) == {"in_progress": 1}
    assert latest(Role.ohchr_officer) == {"fully_implemented": 1}
    assert latest(Role.state_focal_point) == {"fully_implemented": 1}


def test_a_state_counts_its_own_drafts_and_no_other_states(
    client: TestClient, db: Session, settings: Settings
) -> None:
    settings.public_min_cell = 1
    make_owned(db, settings, REPORT, state="TON")
    make_owned(db, settings, REPORT, state="FJI")
    query = {"group_by": "state", "region": "Oceania"}
    tonga = answered(client, FIGURES, caller(db, settings, Role.state_contributor, "TON"), query)

    assert tonga[("TON",)]["with_progress"] == 1
    assert tonga[("FJI",)]["with_progress"] == 0
    officer = answered(client, FIGURES, caller(db, settings, Role.ohchr_officer), query)
    assert (officer[("TON",)]["with_progress"], officer[("FJI",)]["with_progress"]) == (0, 0)
