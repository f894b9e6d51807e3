"""The 195 States (193 UN Member States and two observer States) from shipped reference data.

See data/SOURCES.md for where the files come from.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

from app.states.names import StateName, StateNameResolver

_DATA = resources.files("app.states") / "data"
_M49_FILE = "unsd_m49_raw.csv"
_GROUPS_FILE = "un_regional_groups.csv"
_OBSERVERS = frozenset({"VAT", "PSE"})


@dataclass(frozen=True)
class ReferenceState:
    code: str  # ISO 3166-1 alpha-3
    name: str  # M49 "Country or Area"
    alpha2: str
    m49_code: str  # zero-padded, e.g. "012"
    region: str
    sub_region: str  # the M49 intermediate region when there is one, else the sub-region
    regional_group: str | None  # None for the observer States
    is_member: bool
    is_ldc: bool
    is_lldc: bool
    is_sids: bool


def load_reference_states() -> list[ReferenceState]:
    """The 193 Member States and the two observer States, sorted by code."""
    rows = _read_m49()
    groups = _regional_groups(rows)
    states = [
        _reference_state(row, groups.get(row["ISO-alpha3 Code"]))
        for row in rows
        if row["ISO-alpha3 Code"] in groups.keys() | _OBSERVERS
    ]
    return sorted(states, key=lambda state: state.code)


def _read_m49() -> list[dict[str, str]]:
    # Plain csv, not pandas: Namibia's alpha-2 "NA" must stay a string.
    text = (_DATA / _M49_FILE).read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def _read_groups() -> list[tuple[str, str]]:
    """(country, regional group) rows, names as the file spells them."""
    text = (_DATA / _GROUPS_FILE).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    _header, *rows = csv.reader(lines)
    return [(country.strip(), group.strip()) for country, group in rows]


def _regional_groups(m49_rows: list[dict[str, str]]) -> dict[str, str]:
    """Alpha-3 code -> regional group; the groups file spells some names unlike M49."""
    resolver = StateNameResolver(
        StateName(row["ISO-alpha3 Code"], row["Country or Area"], row["ISO-alpha2 Code"])
        for row in m49_rows
    )
    groups: dict[str, str] = {}
    for country, group in _read_groups():
        code = resolver.require(country)
        if code in groups:
            raise ValueError(f"{_GROUPS_FILE}: {country!r} is a second row for {code}")
        groups[code] = group
    return groups


def _reference_state(row: dict[str, str], regional_group: str | None) -> ReferenceState:
    return ReferenceState(
        code=row["ISO-alpha3 Code"],
        name=row["Country or Area"],
        alpha2=row["ISO-alpha2 Code"],
        m49_code=row["M49 Code"],
        region=row["Region Name"],
        sub_region=row["Intermediate Region Name"] or row["Sub-region Name"],
        regional_group=regional_group,
        is_member=regional_group is not None,
        is_ldc=_flag(row["Least Developed Countries (LDC)"]),
        is_lldc=_flag(row["Land Locked Developing Countries (LLDC)"]),
        is_sids=_flag(row["Small Island Developing States (SIDS)"]),
    )


def _flag(value: str) -> bool:
    if value not in ("", "x"):
        raise ValueError(f"{_M49_FILE}: unexpected flag value {value!r}")
    return value == "x"


@cache
def default_resolver() -> StateNameResolver:
    """Every name the shipped States are known by."""
    states = load_reference_states()
    return StateNameResolver(StateName(s.code, s.name, s.alpha2) for s in states)
