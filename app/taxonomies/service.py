"""Taxonomies: serving the vocabularies, loading the SDGs, and growing themes and persons."""

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import pycountry
from sqlalchemy import or_
from sqlmodel import Session, col, select

from app.taxonomies.models import AffectedPerson, SdgGoal, SdgTarget, Theme, term_key
from app.taxonomies.vocabularies import (
    ASSISTANCE_TYPE_LABELS,
    BARRIER_TYPE_LABELS,
    MECHANISM_LABELS_FR,
    MECHANISM_NAMES,
)

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
    """The items of one taxonomy, in `language` where the taxonomy is translated.

    The closed vocabularies (mechanisms, barrier and assistance types) carry `label_en` and
    `label_fr`; their `name` is the French label when French is asked for, else English."""
    if kind in ("mechanisms", "barrier-types", "assistance-types"):
        return [
            {"code": code, "name": fr if language == "fr" else en, "label_en": en, "label_fr": fr}
            for code, en, fr in _closed_labels(kind)
        ]
    if kind == "themes":
        themes = db.exec(select(Theme).order_by(Theme.key)).all()
        return [{"code": t.code, "name": t.name, "label_en": t.name} for t in themes]
    if kind == "affected-persons":
        persons = db.exec(select(AffectedPerson).order_by(AffectedPerson.key)).all()
        return [{"code": None, "name": p.name, "label_en": p.name} for p in persons]
    if kind == "sdg-goals":
        goals = db.exec(select(SdgGoal).order_by(SdgGoal.number)).all()  # type: ignore[arg-type]
        return [
            {
                "code": str(g.number),
                "name": g.short_names[language],
                "title": g.titles[language],
                "label_en": g.short_names["en"],
                "label_fr": g.short_names["fr"],
            }
            for g in goals
        ]
    targets = db.exec(select(SdgTarget)).all()
    ordered = sorted(targets, key=lambda t: (t.goal, _target_order(t.code)))
    return [
        {
            "code": t.code,
            "goal": str(t.goal),
            "name": t.texts[language],
            "label_en": t.texts["en"],
            "label_fr": t.texts["fr"],
        }
        for t in ordered
    ]


def _closed_labels(kind: str) -> list[tuple[str, str, str]]:
    if kind == "mechanisms":
        return [(m.value, name, MECHANISM_LABELS_FR[m]) for m, name in MECHANISM_NAMES.items()]
    labels = BARRIER_TYPE_LABELS if kind == "barrier-types" else ASSISTANCE_TYPE_LABELS
    return [(member.value, en, fr) for member, (en, fr) in labels.items()]


# --- one theme vocabulary: UHRI codes, UPR Info issues crosswalked to them -------------------


@dataclass(frozen=True)
class ThemeReference:
    names: dict[str, str]
    """UHRI code -> its English name (data/uhri_themes_seen.csv)."""
    code_by_name: dict[str, str]
    """term_key(UHRI name) -> code."""
    crosswalk: dict[str, tuple[str, ...]]
    """term_key(UPR Info issue) -> UHRI codes (data/upr_info_issue_crosswalk.csv)."""


@cache
def theme_reference() -> ThemeReference:
    names = {row["code"].strip(): row["name"].strip() for row in _reference_rows(UHRI_THEMES)}
    crosswalk = {
        term_key(row["issue"]): tuple(code.strip() for code in row["codes"].split(";"))
        for row in _reference_rows(CROSSWALK)
    }
    unknown = {code for codes in crosswalk.values() for code in codes} - names.keys()
    if unknown:  # pragma: no cover - guarded by a test of the shipped files
        raise ValueError(f"crosswalk names codes not in {UHRI_THEMES}: {sorted(unknown)}")
    return ThemeReference(
        names=names,
        code_by_name={term_key(name): code for code, name in names.items()},
        crosswalk=crosswalk,
    )


UHRI_THEMES = "uhri_themes_seen.csv"
CROSSWALK = "upr_info_issue_crosswalk.csv"


def reference_codes(term: str) -> tuple[str, ...]:
    """The UHRI codes a term stands for by the shipped reference alone; () when unknown."""
    reference = theme_reference()
    code = term.strip().upper()
    if code in reference.names:
        return (code,)
    key = term_key(term)
    if key in reference.crosswalk:
        return reference.crosswalk[key]
    if key in reference.code_by_name:
        return (reference.code_by_name[key],)
    return ()


def theme_codes(db: Session, terms: Iterable[str]) -> set[str]:
    """The UHRI codes that theme terms stand for, whichever way they are written: a code
    (`F13`, any case), a UHRI name (`Violence against women`) or a UPR Info issue
    (`Women's rights`, crosswalked to F11, F12, F13, F14). Two term lists share a theme when
    their `theme_codes` intersect.

    A term known neither to the reference nor to the catalogue's coded themes comes back as
    its `term_key` (lower case, spacing collapsed), so identical unknown names still meet;
    codes are upper case and never collide with such keys."""
    result: set[str] = set()
    pending: dict[str, str] = {}
    for term in terms:
        if not term or not term.strip():
            continue
        codes = reference_codes(term)
        if codes:
            result.update(codes)
        else:
            pending[term_key(term)] = term.strip().upper()
    if pending:
        for code, key in db.exec(
            select(Theme.code, Theme.key).where(
                col(Theme.code).is_not(None),
                or_(col(Theme.key).in_(pending), col(Theme.code).in_(pending.values())),
            )
        ).all():
            assert code is not None
            result.add(code)
            pending.pop(key, None)
            pending = {k: v for k, v in pending.items() if v != code}
        result.update(pending)
    return result


def _target_order(code: str) -> tuple[int, str]:
    suffix = code.split(".", 1)[1]
    return (int(suffix), "") if suffix.isdigit() else (1000, suffix)


class TermCache:
    """Finds or creates theme and affected-person rows for one import, one query per new term.

    Themes are stored by UHRI code: a coded term is linked to its code's row; an uncoded name
    (UPR Info issues) to the rows of the codes the crosswalk gives it, keeping the source's
    name as the link's label. A name the crosswalk does not know is kept as an uncoded theme
    and listed in `unknown_themes`, for the import report."""

    def __init__(self, db: Session) -> None:
        self.db = db
        self.themes_by_code = {t.code: t for t in db.exec(select(Theme)).all() if t.code}
        self.themes_by_key = {t.key: t for t in db.exec(select(Theme)).all()}
        self.persons = {p.key: p for p in db.exec(select(AffectedPerson)).all()}
        self.sdg_codes = {str(g) for g in db.exec(select(SdgGoal.number)).all()} | set(
            db.exec(select(SdgTarget.code)).all()
        )
        self.unknown_themes: dict[str, None] = {}
        # What each term came to, until a theme is added or coded: a file repeats a few
        # hundred terms thousands of times.
        self._codes: dict[str, tuple[str, ...]] = {}
        self._links: dict[tuple[str | None, str], list[tuple[int, str | None]]] = {}

    def _codes_of(self, name: str) -> tuple[str, ...]:
        if name not in self._codes:
            codes = reference_codes(name)
            if not codes:
                theme = self.themes_by_key.get(term_key(name))
                if theme is not None and theme.code:
                    codes = (theme.code,)
            self._codes[name] = codes
        return self._codes[name]

    def note_unknown(self, code: str | None, name: str) -> None:
        """Remember an uncoded name the crosswalk does not know (every row read, stored or
        not, so a re-import or a dry run reports it too)."""
        if not code and not self._codes_of(name):
            self.unknown_themes.setdefault(" ".join(name.split()), None)

    def theme_links(self, code: str | None, name: str) -> list[tuple[int, str | None]]:
        """The theme rows (id, label as the source writes it) one source term is linked to."""
        if (code, name) not in self._links:
            self._links[(code, name)] = self._theme_links(code, name)
        return self._links[(code, name)]

    def _theme_links(self, code: str | None, name: str) -> list[tuple[int, str | None]]:
        if code:
            return [(self.theme_id(code, name), None)]
        codes = self._codes_of(name)
        if not codes:
            self.note_unknown(code, name)
            return [(self.theme_id(None, name), None)]
        names = theme_reference().names
        label = " ".join(name.split())
        return [(self.theme_id(c, names.get(c, label)), label) for c in codes]

    def theme_id(self, code: str | None, name: str) -> int:
        theme = (self.themes_by_code.get(code) if code else None) or self.themes_by_key.get(
            term_key(name)
        )
        if theme is None:
            theme = Theme(code=code, name=" ".join(name.split()), key=term_key(name))
            self.db.add(theme)
            self.db.flush()
            self._forget_terms()
        elif code and theme.code is None and code not in self.themes_by_code:
            theme.code = code
            self.db.add(theme)
            self._forget_terms()
        if theme.code:
            self.themes_by_code[theme.code] = theme
        self.themes_by_key[theme.key] = theme
        assert theme.id is not None
        return theme.id

    def _forget_terms(self) -> None:
        self._codes.clear()
        self._links.clear()

    def person_id(self, name: str) -> int:
        person = self.persons.get(term_key(name))
        if person is None:
            person = AffectedPerson(name=" ".join(name.split()), key=term_key(name))
            self.db.add(person)
            self.db.flush()
            self.persons[person.key] = person
        assert person.id is not None
        return person.id


def term_errors(db: Session, values: dict[str, Any]) -> list[dict[str, Any]]:
    """The 422 `errors` for what a request or a provider names: themes from the taxonomy (code
    or name), SDG goals and targets that exist, ISO 639-1 languages. One check for both."""
    errors: list[dict[str, Any]] = []
    if values.get("themes"):
        themes = db.exec(select(Theme)).all()
        known = {t.code for t in themes if t.code} | {t.key for t in themes}
        errors += [
            {"loc": ["body", "themes"], "msg": f"unknown theme {theme!r}", "type": "value_error"}
            for theme in values["themes"]
            if theme.upper() not in known and term_key(theme) not in known
        ]
    if values.get("sdg_targets"):
        codes = {str(g) for g in db.exec(select(SdgGoal.number)).all()} | set(
            db.exec(select(SdgTarget.code)).all()
        )
        errors += [
            {
                "loc": ["body", "sdg_targets"],
                "msg": f"unknown SDG target {code!r}",
                "type": "value_error",
            }
            for code in values["sdg_targets"]
            if code not in codes
        ]
    errors += [
        {"loc": ["body", "languages"], "msg": f"unknown language {code!r}", "type": "value_error"}
        for code in values.get("languages") or []
        if pycountry.languages.get(alpha_2=code) is None
    ]
    return errors
