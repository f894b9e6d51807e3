from __future__ import annotations

import pytest

from app.states.reference import ReferenceState, load_reference_states

REGIONAL_GROUPS = {
    "African States",
    "Asia-Pacific States",
    "Eastern European States",
    "Latin American and Caribbean States",
    "Western European and other States",
}


@pytest.fixture(scope="module")
def states() -> dict[str, ReferenceState]:
    return {state.code: state for state in load_reference_states()}


def test_195_states_sorted_by_code() -> None:
    codes = [state.code for state in load_reference_states()]
    assert len(codes) == 195
    assert codes == sorted(set(codes))


def test_193_members_each_in_one_of_the_five_groups(states: dict[str, ReferenceState]) -> None:
    members = [state for state in states.values() if state.is_member]
    assert len(members) == 193
    assert {state.regional_group for state in members} == REGIONAL_GROUPS


@pytest.mark.parametrize("code", ["VAT", "PSE"])
def test_observer_states(states: dict[str, ReferenceState], code: str) -> None:
    assert not states[code].is_member
    assert states[code].regional_group is None


def test_flags(states: dict[str, ReferenceState]) -> None:
    assert states["WSM"].is_sids
    assert states["NPL"].is_ldc
    assert states["NPL"].is_lldc
    assert not states["FRA"].is_ldc
    assert not states["FRA"].is_sids


def test_namibia_alpha2_is_not_missing(states: dict[str, ReferenceState]) -> None:
    assert states["NAM"].alpha2 == "NA"


@pytest.mark.parametrize(
    ("code", "region", "sub_region"),
    [
        ("SEN", "Africa", "Western Africa"),
        ("JAM", "Americas", "Caribbean"),
        ("IND", "Asia", "Southern Asia"),
        ("TON", "Oceania", "Polynesia"),
    ],
)
def test_region_and_sub_region(
    states: dict[str, ReferenceState], code: str, region: str, sub_region: str
) -> None:
    assert (states[code].region, states[code].sub_region) == (region, sub_region)


def test_names_and_codes_come_from_m49(states: dict[str, ReferenceState]) -> None:
    assert states["CIV"].name == "C\u00f4te d\u2019Ivoire"
    assert states["NLD"].name == "Netherlands (Kingdom of the)"
    assert states["DZA"].m49_code == "012"


def test_groups_file_names_matched_to_m49(states: dict[str, ReferenceState]) -> None:
    assert states["CIV"].regional_group == "African States"
    assert states["NLD"].regional_group == "Western European and other States"
    assert states["TUR"].regional_group == "Western European and other States"
