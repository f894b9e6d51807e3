"""Map the State names used by real files to ISO 3166-1 alpha-3 codes, without guessing.

Names from UPR Info exports, OHCHR documents and UHRI exports differ in spelling ("Cote
d'Ivoire", "DPR Korea", "Trinidad & Tobago", "Korea, Republic of"). A name is normalised and
looked up in a table of keys built from the M49 names, pycountry's names and a curated alias
table. A name that is not in the table, or whose key belongs to two States, is not resolved:
the caller gets None, or an UnknownStateName error naming the candidates.
"""

from __future__ import annotations

import difflib
import html
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pycountry


@dataclass(frozen=True)
class StateName:
    code: str  # ISO 3166-1 alpha-3
    name: str  # official UN short name as in M49, e.g. "Bolivia (Plurinational State of)"
    alpha2: str


class UnknownStateName(ValueError):
    """The name is not a known name of any State, or is a name of several States."""

    name: str
    suggestions: list[str]

    def __init__(self, name: str, suggestions: list[str], *, ambiguous: bool = False) -> None:
        self.name = name
        self.suggestions = suggestions
        self.ambiguous = ambiguous
        super().__init__(self._message())

    def _message(self) -> str:
        message = f"unknown State name {self.name!r}"
        if self.ambiguous:
            return f"{message} (ambiguous: {', '.join(self.suggestions)})"
        if self.suggestions:
            return f"{message} (did you mean: {', '.join(self.suggestions)}?)"
        return message


# Short forms and former names found in real files that neither M49 nor pycountry spell out.
_ALIASES: dict[str, tuple[str, ...]] = {
    "ARE": ("UAE",),
    "BRN": ("Brunei",),
    "CIV": ("Ivory Coast",),
    "COD": (
        "Democratic Republic of Congo",
        "DR Congo",
        "DRC",
        "Congo-Kinshasa",
        "Congo, Dem. Rep.",
        "Zaire",
    ),
    "COG": ("Republic of Congo", "Congo-Brazzaville", "Congo, Rep."),
    "CPV": ("Cape Verde",),
    "CZE": ("Czech Republic",),
    "EGY": ("Egypt, Arab Rep.",),
    "FSM": ("Micronesia, Fed. Sts.",),
    "GBR": ("UK", "Great Britain", "Britain", "United Kingdom"),
    "IRN": ("Iran, Islamic Rep.",),
    "KGZ": ("Kyrgyz Republic",),
    "KOR": ("South Korea", "Korea, Rep."),
    "LAO": ("Laos", "Lao PDR"),
    "LBY": ("Libyan Arab Jamahiriya",),
    "MDA": ("Moldova",),
    "MKD": (
        "Macedonia",
        "Macedonia FYR",
        "FYR Macedonia",
        "FYROM",
        "The former Yugoslav Republic of Macedonia",
        "Republic of Macedonia",
    ),
    "MMR": ("Burma",),
    "PRK": ("DPR Korea", "Korea DPR", "DPRK", "North Korea", "Korea, Dem. People's Rep."),
    "PSE": ("Palestine", "Occupied Palestinian Territory"),
    "RUS": ("Russia",),
    "SVK": ("Slovak Republic",),
    "SWZ": ("Swaziland",),
    "SYR": ("Syria",),
    "TLS": ("East Timor",),
    "TUR": ("Turkey",),
    "TZA": ("Tanzania",),
    "USA": ("United States", "U.S.", "U.S.A."),
    "VAT": ("Vatican", "Vatican City", "Vatican City State"),
    "VEN": ("Venezuela, RB",),
    "VNM": ("Vietnam",),
    "YEM": ("Yemen, Rep.",),
}

# Lower tiers win: an exact official name beats an alias, an alias beats a derived key.
_EXACT, _ALIAS, _DERIVED = range(3)

_APOSTROPHES = str.maketrans(dict.fromkeys("\u2019\u2018`\u00b4", "'"))
_POSSESSIVE = re.compile(r"'(?=s\b)")  # "People's" and "Peoples" both occur
_NON_WORD = re.compile(r"[\W_]+")
_CODE_LIKE = re.compile(r"[A-Za-z]{2,3}")
_PAREN = re.compile(r"(?P<base>[^()]+?)\s*\((?P<qualifier>[^()]+)\)\s*")
_COMMA = re.compile(r"(?P<base>[^,]+),(?P<qualifier>[^,]+)")


class StateNameResolver:
    """Resolve names to alpha-3 codes among the given States only."""

    def __init__(self, states: Iterable[StateName]) -> None:
        states = list(states)
        self._names = {state.code: state.name for state in states}
        self._codes = {c.upper(): s.code for s in states for c in (s.code, s.alpha2) if c}
        self._keys = _best_keys(_candidates(states))

    def resolve(self, name: str) -> str | None:
        codes = self._lookup(name)
        return codes[0] if len(codes) == 1 else None

    def require(self, name: str) -> str:
        codes = self._lookup(name)
        if len(codes) == 1:
            return codes[0]
        if codes:
            raise UnknownStateName(name, list(codes), ambiguous=True)
        raise UnknownStateName(name, self._suggest(name))

    def _lookup(self, name: str) -> tuple[str, ...]:
        stripped = name.strip()
        if _CODE_LIKE.fullmatch(stripped) and (code := self._codes.get(stripped.upper())):
            return (code,)
        return self._keys.get(_normalise(name), ())

    def _suggest(self, name: str) -> list[str]:
        close = difflib.get_close_matches(_normalise(name), self._keys, n=10, cutoff=0.7)
        names = dict.fromkeys(self._names[code] for key in close for code in self._keys[key])
        return list(names)[:3]


def _candidates(states: list[StateName]) -> Iterator[tuple[int, str, str]]:
    """(tier, key, code) for every name each State is known by."""
    for state in states:
        full, *bases = _name_keys(state.name)
        yield _EXACT, full, state.code
        others = [key for other in _pycountry_names(state.code) for key in _name_keys(other)]
        yield from ((_DERIVED, key, state.code) for key in [*bases, *others])
        yield from ((_ALIAS, _normalise(a), state.code) for a in _ALIASES.get(state.code, ()))


def _best_keys(candidates: Iterable[tuple[int, str, str]]) -> dict[str, tuple[str, ...]]:
    """Key -> codes of its best tier; more than one code means the key is ambiguous."""
    best: dict[str, tuple[int, set[str]]] = {}
    for tier, key, code in candidates:
        current = best.get(key)
        if key and (current is None or tier < current[0]):
            best[key] = (tier, {code})
        elif current is not None and tier == current[0]:
            current[1].add(code)
    return {key: tuple(sorted(codes)) for key, (_, codes) in best.items()}


def _pycountry_names(code: str) -> list[str]:
    country = pycountry.countries.get(alpha_3=code)
    attributes = ("name", "official_name", "common_name")
    return [value for a in attributes if (value := getattr(country, a, None))]


def _normalise(name: str) -> str:
    return _name_keys(name)[0]


def _name_keys(name: str) -> list[str]:
    """The normalised name, then its base when it has a qualifier ("bolivia" for Bolivia)."""
    folded = _fold(name)
    split = _split_qualifier(folded)
    if split is None:
        return [_join(folded)]
    base, qualifier = split
    return [_join(f"{qualifier} {base}"), _join(base)]


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", html.unescape(text).translate(_APOSTROPHES))
    text = "".join(char for char in text if not unicodedata.combining(char))
    return text.casefold().replace("&", " and ")


def _split_qualifier(text: str) -> tuple[str, str] | None:
    """("x", "republic of") for "x (republic of)" and "x, republic of"; else None."""
    text = text.strip()
    match = _PAREN.fullmatch(text) or _COMMA.fullmatch(text)
    if match is None or _words(match["qualifier"])[-1:] not in (["of"], ["the"]):
        return None
    return match["base"], match["qualifier"]


def _join(text: str) -> str:
    return " ".join(_words(text))


def _words(text: str) -> list[str]:
    words = _NON_WORD.sub(" ", _POSSESSIVE.sub("", text)).split()
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    return ["saint" if word == "st" else word for word in words]
