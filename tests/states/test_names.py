from __future__ import annotations

import csv
from pathlib import Path

import pytest

from app.states import names
from app.states.names import StateName, StateNameResolver, UnknownStateName
from app.states.reference import default_resolver, load_reference_states

_REPO = Path(__file__).resolve().parents[2]
UPR_INFO_SAMPLE = _REPO.parent / "shared" / "data" / "samples" / "upr-info" / "1-5.csv"
UPR_INFO_PLACEHOLDER = "&#40;Unknown&#41;"

VARIANTS = [
    ("DPR Korea", "PRK"),
    ("DPRK", "PRK"),
    ("North Korea", "PRK"),
    ("South Korea", "KOR"),
    ("Democratic Republic of Congo", "COD"),
    ("DR Congo", "COD"),
    ("DRC", "COD"),
    ("Congo-Kinshasa", "COD"),
    ("Republic of Congo", "COG"),
    ("Congo-Brazzaville", "COG"),
    ("Congo", "COG"),
    ("Turkey", "TUR"),
    ("T\u00fcrkiye", "TUR"),
    ("Cote d'Ivoire", "CIV"),
    ("Ivory Coast", "CIV"),
    ("Swaziland", "SWZ"),
    ("Eswatini", "SWZ"),
    ("Macedonia", "MKD"),
    ("Macedonia FYR", "MKD"),
    ("The former Yugoslav Republic of Macedonia", "MKD"),
    ("FYROM", "MKD"),
    ("Laos", "LAO"),
    ("Lao PDR", "LAO"),
    ("Micronesia", "FSM"),
    ("Micronesia (Federated States of)", "FSM"),
    ("Guinea Bissau", "GNB"),
    ("St Kitts & Nevis", "KNA"),
    ("Saint Kitts and Nevis", "KNA"),
    ("Sao Tome & Principe", "STP"),
    ("Cape Verde", "CPV"),
    ("Cabo Verde", "CPV"),
    ("Holy See", "VAT"),
    ("Vatican", "VAT"),
    ("Palestine", "PSE"),
    ("State of Palestine", "PSE"),
    ("Burma", "MMR"),
    ("Russia", "RUS"),
    ("Syria", "SYR"),
    ("Iran", "IRN"),
    ("Vietnam", "VNM"),
    ("Tanzania", "TZA"),
    ("Moldova", "MDA"),
    ("Bolivia", "BOL"),
    ("Venezuela", "VEN"),
    ("UK", "GBR"),
    ("Great Britain", "GBR"),
    ("United Kingdom", "GBR"),
    ("USA", "USA"),
    ("United States", "USA"),
    ("East Timor", "TLS"),
    ("Brunei", "BRN"),
    ("Czech Republic", "CZE"),
    ("Kyrgyz Republic", "KGZ"),
    ("Slovak Republic", "SVK"),
    ("Libyan Arab Jamahiriya", "LBY"),
    ("Gambia", "GMB"),
    ("The Gambia", "GMB"),
    ("Bahamas", "BHS"),
    ("St Vincent & the Grenadines", "VCT"),
    ("St Lucia", "LCA"),
    ("Antigua & Barbuda", "ATG"),
    ("Trinidad & Tobago", "TTO"),
    ("Bosnia & Herzegovina", "BIH"),
    # Qualifiers, in the forms M49, pycountry and the groups file use.
    ("Bolivia (Plurinational State of)", "BOL"),
    ("Plurinational State of Bolivia", "BOL"),
    ("Bolivia, Plurinational State of", "BOL"),
    ("Netherlands (Kingdom of the)", "NLD"),
    ("Netherlands", "NLD"),
    ("Kingdom of the Netherlands", "NLD"),
    ("Korea, Republic of", "KOR"),
    ("Republic of Korea", "KOR"),
    ("Korea, Democratic People's Republic of", "PRK"),
    ("Congo, The Democratic Republic of the", "COD"),
    ("Gambia, The", "GMB"),
    ("Iran (Islamic Republic of)", "IRN"),
    # Exact State names that are part of other names.
    ("Guinea", "GIN"),
    ("Niger", "NER"),
    ("Dominica", "DMA"),
    ("Sudan", "SDN"),
]


@pytest.fixture(scope="module")
def resolver() -> StateNameResolver:
    return default_resolver()


@pytest.mark.parametrize(("name", "code"), VARIANTS)
def test_variant_resolves(resolver: StateNameResolver, name: str, code: str) -> None:
    assert resolver.resolve(name) == code
    assert resolver.require(name) == code


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Cote d\u2019Ivoire", "CIV"),
        ("C\u00f4te d'Ivoire", "CIV"),
        ("Turkiye", "TUR"),
        ("S\u00e3o Tom\u00e9 and Pr\u00edncipe", "STP"),
        ("COTE D\u00b4IVOIRE", "CIV"),
        ("  united   KINGDOM ", "GBR"),
        ("saint-lucia", "LCA"),
        ("St. Lucia", "LCA"),
        ("Democratic Peoples Republic of Korea", "PRK"),
        ("Trinidad &amp; Tobago", "TTO"),
    ],
)
def test_accents_case_spaces_and_punctuation(
    resolver: StateNameResolver, name: str, code: str
) -> None:
    assert resolver.resolve(name) == code


@pytest.mark.parametrize(("name", "code"), [("FRA", "FRA"), ("fr", "FRA"), ("NA", "NAM")])
def test_codes_resolve(resolver: StateNameResolver, name: str, code: str) -> None:
    assert resolver.resolve(name) == code


def test_every_state_resolves_by_its_name_and_codes(resolver: StateNameResolver) -> None:
    for state in load_reference_states():
        assert resolver.resolve(state.name) == state.code, state.name
        assert resolver.resolve(state.code) == state.code
        assert resolver.resolve(state.alpha2) == state.code


def test_every_curated_alias_resolves_to_its_code(resolver: StateNameResolver) -> None:
    for code, aliases in names._ALIASES.items():
        for alias in aliases:
            assert resolver.resolve(alias) == code, alias


def test_ambiguous_name_is_not_resolved(resolver: StateNameResolver) -> None:
    assert resolver.resolve("Korea") is None
    with pytest.raises(UnknownStateName, match=r"\(ambiguous: KOR, PRK\)") as caught:
        resolver.require("Korea")
    assert caught.value.suggestions == ["KOR", "PRK"]
    assert caught.value.name == "Korea"


@pytest.mark.parametrize(
    "name", ["Taiwan", "Puerto Rico", "Kosovo", "Hong Kong", "Greenland", "Atlantis", "", "the"]
)
def test_not_a_state(resolver: StateNameResolver, name: str) -> None:
    assert resolver.resolve(name) is None
    with pytest.raises(UnknownStateName):
        resolver.require(name)


def test_unknown_name_without_close_match(resolver: StateNameResolver) -> None:
    with pytest.raises(UnknownStateName) as caught:
        resolver.require("Atlantis")
    assert str(caught.value) == "unknown State name 'Atlantis'"
    assert caught.value.suggestions == []


def test_unknown_name_suggests_close_matches(resolver: StateNameResolver) -> None:
    with pytest.raises(UnknownStateName, match="did you mean: France") as caught:
        resolver.require("Frnace")
    assert caught.value.suggestions == ["France"]
    assert resolver.resolve("Frnace") is None


def test_unknown_state_name_is_a_value_error(resolver: StateNameResolver) -> None:
    with pytest.raises(ValueError, match="Kosovo"):
        resolver.require("Kosovo")


def test_exact_name_beats_derived_key() -> None:
    resolver = StateNameResolver(
        [
            StateName("COG", "Congo", "CG"),
            StateName("COD", "Democratic Republic of the Congo", "CD"),
        ]
    )
    # pycountry's "Congo, The Democratic Republic of the" also derives "congo" for COD.
    assert resolver.resolve("Congo") == "COG"


def test_only_the_given_states_resolve() -> None:
    resolver = StateNameResolver([StateName("FRA", "France", "FR")])
    assert resolver.resolve("France") == "FRA"
    assert resolver.resolve("Germany") is None
    assert resolver.resolve("DE") is None
    assert resolver.resolve("Russia") is None


def test_default_resolver_is_cached() -> None:
    assert default_resolver() is default_resolver()


def _upr_info_names() -> set[str]:
    # The export as its user saved it: MacRoman with bare CR line ends.
    with UPR_INFO_SAMPLE.open(encoding="mac_roman", newline="") as file:
        rows = list(csv.DictReader(file))
    return {row[column] for row in rows for column in ("To", "From")}


@pytest.mark.skipif(not UPR_INFO_SAMPLE.is_file(), reason=f"sample not found: {UPR_INFO_SAMPLE}")
def test_upr_info_names_all_resolve(resolver: StateNameResolver) -> None:
    found = _upr_info_names()
    assert UPR_INFO_PLACEHOLDER in found
    assert resolver.resolve(UPR_INFO_PLACEHOLDER) is None
    unresolved = sorted(n for n in found - {UPR_INFO_PLACEHOLDER} if resolver.resolve(n) is None)
    assert unresolved == []
    assert len(found) == 151
