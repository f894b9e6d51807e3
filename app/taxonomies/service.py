"""Taxonomies: serving the vocabularies, loading the SDGs, and growing themes and persons."""

import csv
import io
from collections.abc import Iterator
from importlib import resources
from typing import Any

from sqlmodel import Session, select

from app.taxonomies.models import AffectedPerson, SdgGoal, SdgTarget, Theme, term_key
from app.taxonomies.vocabularies import MECHANISM_NAMES, AssistanceType, BarrierType

LANGUAGES = ("en", "fr", "es", "ar", "ru", "zh")
_CSV_LANGUAGE = {"zh": "zh-Hans"}


def negotiate_language(accept_language: str | None) -> str:
    """The best of the six UN languages for an `Accept-Language` header; English by default."""
    if not accept_language:
        return "en"
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        language = tag.strip().lower().split("-")[0]
        if language in LANGUAGES and weight > 0:
            ranked.append((-weight, position, language))
    return min(ranked)[2] if ranked else "en"


def _reference_rows(filename: str) -> Iterator[dict[str, str]]:
    text = resources.files("app.taxonomies").joinpath("data", filename).read_text("utf-8-sig")
    yield from csv.DictReader(io.StringIO(text, newline=""))


def _by_language(row: dict[str, str], prefix: str) -> dict[str, str]:
    return {lang: row[f"{prefix}_{_CSV_LANGUAGE.get(lang, lang)}"].strip() for lang in LANGUAGES}


def sync_reference_sdgs(db: Session) -> int:
    """Insert or refresh the 17 goals and 169 targets; idempotent. Returns rows changed."""
    changed = 0
    for row in _reference_rows("derived_sdg_goals_6lang.csv"):
        goal = SdgGoal(
            number=int(row["goal"]),
            short_names=_by_language(row, "short"),
            titles=_by_language(row, "title"),
        )
        changed += _upsert(db, SdgGoal, goal.number, goal)
    db.flush()
    for row in _reference_rows("derived_sdg_targets_6lang.csv"):
        target = SdgTarget(
            code=row["target"], goal=int(row["goal"]), texts=_by_language(row, "target")
        )
        changed += _upsert(db, SdgTarget, target.code, target)
    db.flush()
    return changed


def _upsert(db: Session, model: Any, key: object, fresh: Any) -> int:
    existing = db.get(model, key)
    if existing is None:
        db.add(fresh)
        return 1
    values = fresh.model_dump()
    if existing.model_dump() == values:
        return 0
    for field, value in values.items():
        setattr(existing, field, value)
    return 1


def vocabulary(db: Session, kind: str, language: str) -> list[dict[str, Any]]:
    """The items of one taxonomy, in `language` where the taxonomy is translated."""
    if kind == "mechanisms":
        return [{"code": m.value, "name": name} for m, name in MECHANISM_NAMES.items()]
    if kind == "barrier-types":
        return [{"code": b.value, "name": b.value.replace("_", " ")} for b in BarrierType]
    if kind == "assistance-types":
        return [{"code": a.value, "name": a.value.replace("_", " ")} for a in AssistanceType]
    if kind == "themes":
        themes = db.exec(select(Theme).order_by(Theme.key)).all()
        return [{"code": t.code, "name": t.name} for t in themes]
    if kind == "affected-persons":
        persons = db.exec(select(AffectedPerson).order_by(AffectedPerson.key)).all()
        return [{"code": None, "name": p.name} for p in persons]
    if kind == "sdg-goals":
        goals = db.exec(select(SdgGoal).order_by(SdgGoal.number)).all()  # type: ignore[arg-type]
        return [
            {"code": str(g.number), "name": g.short_names[language], "title": g.titles[language]}
            for g in goals
        ]
    targets = db.exec(select(SdgTarget)).all()
    ordered = sorted(targets, key=lambda t: (t.goal, _target_order(t.code)))
    return [{"code": t.code, "goal": str(t.goal), "name": t.texts[language]} for t in ordered]


def _target_order(code: str) -> tuple[int, str]:
    suffix = code.split(".", 1)[1]
    return (int(suffix), "") if suffix.isdigit() else (1000, suffix)


class TermCache:
    """Finds or creates theme and affected-person rows for one import, one query per new term."""

    def __init__(self, db: Session) -> None:
        self.db = db
        self.themes_by_code = {t.code: t for t in db.exec(select(Theme)).all() if t.code}
        self.themes_by_key = {t.key: t for t in db.exec(select(Theme)).all()}
        self.persons = {p.key: p for p in db.exec(select(AffectedPerson)).all()}
        self.sdg_codes = {str(g) for g in db.exec(select(SdgGoal.number)).all()} | set(
            db.exec(select(SdgTarget.code)).all()
        )

    def theme_id(self, code: str | None, name: str) -> int:
        theme = (self.themes_by_code.get(code) if code else None) or self.themes_by_key.get(
            term_key(name)
        )
        if theme is None:
            theme = Theme(code=code, name=" ".join(name.split()), key=term_key(name))
            self.db.add(theme)
            self.db.flush()
        elif code and theme.code is None and code not in self.themes_by_code:
            theme.code = code
            self.db.add(theme)
        if theme.code:
            self.themes_by_code[theme.code] = theme
        self.themes_by_key[theme.key] = theme
        assert theme.id is not None
        return theme.id

    def person_id(self, name: str) -> int:
        person = self.persons.get(term_key(name))
        if person is None:
            person = AffectedPerson(name=" ".join(name.split()), key=term_key(name))
            self.db.add(person)
            self.db.flush()
            self.persons[person.key] = person
        assert person.id is not None
        return person.id
