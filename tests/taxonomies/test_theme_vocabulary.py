"""One theme vocabulary: the shipped crosswalk, `theme_codes`, the migration that converts
stored uncoded themes, and closed vocabularies labelled in English and French."""

import csv
import importlib.util
import io
import uuid
from pathlib import Path
from types import ModuleType

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.recommendations.models import RecommendationTheme
from app.taxonomies.models import Theme, term_key
from app.taxonomies.service import theme_codes, theme_reference
from app.taxonomies.vocabularies import AssistanceType, BarrierType, Mechanism
from tests.factories import make_recommendation

ROOT = Path(__file__).resolve().parents[2]
UPR_INFO_CSV = ROOT.parent / "shared" / "data" / "samples" / "upr-info" / "1-5.csv"
MIGRATION = ROOT / "migrations" / "versions" / "2026_12_04_1945_one_theme_vocabulary.py"


def _items(client: TestClient, kind: str, **headers: str) -> list[dict[str, str]]:
    response = client.get(f"/api/v1/taxonomies/{kind}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


@pytest.mark.skipif(not UPR_INFO_CSV.exists(), reason="shared samples not present")
def test_the_crosswalk_knows_every_issue_of_the_real_upr_info_sample() -> None:
    text = UPR_INFO_CSV.read_bytes().decode("mac_roman")
    issues = {
        term_key(name)
        for row in csv.DictReader(io.StringIO(text, newline=""))
        for name in row["Issue"].split(",")
        if name.strip()
    }
    reference = theme_reference()
    assert len(issues) == 54
    assert issues <= reference.crosswalk.keys()
    assert len(reference.names) == 90
    for codes in reference.crosswalk.values():
        assert codes and set(codes) <= reference.names.keys()


def test_the_crosswalk_says_why_and_where_it_is_a_judgment_call() -> None:
    path = ROOT / "app" / "taxonomies" / "data" / "upr_info_issue_crosswalk.csv"
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert all(row["reasoning"].strip() for row in rows)
    assert {row["judgment_call"] for row in rows} == {"yes", "no"}
    women = next(row for row in rows if row["issue"] == "Women's rights")
    assert women["codes"].split(";") == ["F11", "F12", "F13", "F14"]


def test_theme_codes_accept_codes_uhri_names_and_upr_info_issues(db: Session) -> None:
    assert theme_codes(db, ["f13"]) == {"F13"}
    assert theme_codes(db, ["Violence against women"]) == {"F13"}
    assert theme_codes(db, [" women's  RIGHTS "]) == {"F11", "F12", "F13", "F14"}
    assert theme_codes(db, ["NHRI", "Death penalty", ""]) == {"A45", "D23"}
    # a code the catalogue holds beyond the shipped reference (here G3) is a code too
    db.add(Theme(code="G3", name="Indigenous peoples (UHRI)", key="indigenous peoples (uhri)"))
    db.flush()
    assert theme_codes(db, ["g3", "Indigenous peoples (UHRI)"]) == {"G3"}
    # unknown names stay comparable by their normalised text
    assert theme_codes(db, ["Space  Exploration"]) == {"space exploration"}
    assert theme_codes(db, ["NHRI"]) & theme_codes(db, ["A45"])


def _migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("one_theme_vocabulary", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _themes_of(db: Session, rid: uuid.UUID) -> set[tuple[str | None, str | None]]:
    rows = db.exec(
        select(Theme.code, RecommendationTheme.label)
        .join(RecommendationTheme, RecommendationTheme.theme_id == Theme.id)  # type: ignore[arg-type]
        .where(RecommendationTheme.recommendation_id == rid)
    ).all()
    return set(rows)


def test_the_migration_converts_stored_uncoded_themes(db: Session) -> None:
    """Data stored before the crosswalk: uncoded UPR Info issues beside coded UHRI themes."""
    before = make_recommendation(db, themes=(("F12", "Discrimination against women"),))
    other = make_recommendation(db, themes=())
    legacy: dict[str, int] = {}
    for name in ("Women's rights", "Death penalty", "Space exploration"):
        theme = Theme(code=None, name=name, key=term_key(name))
        db.add(theme)
        db.flush()
        assert theme.id is not None
        legacy[name] = theme.id
    for rid, name in (
        (before.id, "Women's rights"),
        (before.id, "Death penalty"),
        (before.id, "Space exploration"),
        (other.id, "Women's rights"),
    ):
        db.add(RecommendationTheme(recommendation_id=rid, theme_id=legacy[name]))
    db.flush()
    assert not db.exec(select(Theme).where(Theme.code == "D23")).first()

    _migration().convert_uncoded_themes(db.connection())
    db.expire_all()

    assert _themes_of(db, before.id) == {
        ("F11", "Women's rights"),
        ("F12", None),  # already coded by its source: kept as it was
        ("F13", "Women's rights"),
        ("F14", "Women's rights"),
        ("D23", "Death penalty"),
        (None, None),  # "Space exploration": known nowhere, left uncoded
    }
    assert _themes_of(db, other.id) == {(c, "Women's rights") for c in ("F11", "F12", "F13", "F14")}
    uncoded = db.exec(select(Theme.name).where(Theme.code == None)).all()  # noqa: E711
    assert uncoded == ["Space exploration"]
    assert db.exec(select(Theme.name).where(Theme.code == "D23")).one() == "Death penalty"
    # idempotent
    _migration().convert_uncoded_themes(db.connection())
    db.expire_all()
    assert len(_themes_of(db, before.id)) == 6


def test_closed_vocabularies_read_in_english_and_french(client: TestClient) -> None:
    kinds = {
        "mechanisms": len(Mechanism),
        "barrier-types": len(BarrierType),
        "assistance-types": len(AssistanceType),
    }
    for kind, count in kinds.items():
        english = _items(client, kind)
        french = _items(client, kind, **{"Accept-Language": "fr"})
        assert len(english) == len(french) == count
        for en, fr in zip(english, french, strict=True):
            assert en["label_en"] and en["label_fr"] and en["label_en"] != en["code"]
            assert "_" not in en["label_en"] and "_" not in en["label_fr"]
            assert en["label_en"][0].isupper() and en["label_fr"][0].isupper()
            assert (en["name"], fr["name"]) == (en["label_en"], en["label_fr"])
    barriers = {t["code"]: t for t in _items(client, "barrier-types")}
    assert (
        barriers["data_and_statistics"]["label_en"],
        barriers["data_and_statistics"]["label_fr"],
    ) == (
        "Data and statistics",
        "Données et statistiques",
    )
    mechanisms = {t["code"]: t for t in _items(client, "mechanisms")}
    assert mechanisms["upr"]["label_fr"] == "Examen périodique universel"
    response = client.get("/api/v1/taxonomies/mechanisms", headers={"Accept-Language": "fr"})
    assert response.headers["Content-Language"] == "fr"
    response = client.get("/api/v1/taxonomies/mechanisms", headers={"Accept-Language": "es"})
    assert response.headers["Content-Language"] == "en"
    goals = _items(client, "sdg-goals", **{"Accept-Language": "fr"})
    assert goals[0]["label_en"] != goals[0]["label_fr"] == goals[0]["name"]
