"""Hypothesis strategies for rosters and requests.

Small vocabularies make languages, windows, modalities and peer States collide often and ties
in score common. Each provider and each request is decoded from 16 drawn bytes (a few draws per
example instead of a hundred), which keeps the generate phase cheap; shrinking the bytes
towards 0 shrinks every field towards its first value or the empty set.
"""

import datetime as dt
import random
from collections.abc import Sequence

from hypothesis import strategies as st

from app.matching.scoring import ProviderOffer, RequestNeeds

DAY_ZERO = dt.date(2030, 1, 1)
LANGUAGES = ("en", "fr", "es", "ar")
MODALITIES = ("remote", "in_country", "regional")
KINDS = ("peer_state", "consultant", "un_agency")
TYPES = ("legislative_review", "nmrf_support", "training_of_officials")
THEMES = ("a1", "b2", "d7")
SDG_TARGETS = ("16.3", "5.1")
# (code, region, sub-region), as the reference data has them
STATES = (
    ("WSM", "Oceania", "Polynesia"),
    ("FJI", "Oceania", "Melanesia"),
    ("NPL", "Asia", "Southern Asia"),
    ("CHN", "Asia", "Eastern Asia"),
)
CODES = tuple(code for code, _, _ in STATES)
REGIONS = ("Oceania", "Polynesia", "Melanesia", "Asia", "Southern Asia", "Eastern Asia")

# Random bytes, not st.integers: Hypothesis draws large integers mostly small, which would
# leave the high fields (availability) nearly always zero.
GENE = st.binary(min_size=16, max_size=16).map(lambda raw: int.from_bytes(raw, "little"))


class Bits:
    """Reads fields off an integer, lowest bits first."""

    def __init__(self, value: int) -> None:
        self.value = value

    def take(self, width: int) -> int:
        taken = self.value & ((1 << width) - 1)
        self.value >>= width
        return taken

    def below(self, bound: int) -> int:
        return self.take(bound.bit_length()) % bound

    def choice(self, values: Sequence[str]) -> str:
        return values[self.below(len(values))]

    def subset(self, values: Sequence[str]) -> frozenset[str]:
        mask = self.take(len(values))
        return frozenset(v for i, v in enumerate(values) if mask >> i & 1)

    def window(self, longest: int = 40) -> tuple[dt.date, dt.date]:
        start = DAY_ZERO + dt.timedelta(days=self.below(91))
        return start, start + dt.timedelta(days=self.below(longest + 1))


def decode_need(gene: int, request_id: str = "r0") -> RequestNeeds:
    bits = Bits(gene)
    state, region, sub_region = STATES[bits.below(len(STATES))]
    start, end = bits.window()
    return RequestNeeds(
        id=request_id,
        state_code=state,
        region=region,
        sub_region=sub_region,
        assistance_type=bits.choice(TYPES),
        themes=bits.subset(THEMES),
        languages=bits.subset(LANGUAGES) or frozenset({"en"}),
        modality=bits.choice(MODALITIES),
        window_start=start,
        window_end=end,
        sdg_targets=bits.subset(SDG_TARGETS),
        title=f"Request {request_id}",
    )


def decode_offer(gene: int, provider_id: str = "p0") -> ProviderOffer:
    """Biased towards providers that can serve (about a third of pairs), every constraint
    still broken often enough."""
    bits = Bits(gene)
    kind = bits.choice(KINDS)
    home = bits.choice(CODES)
    keeps_home = kind == "peer_state" or bits.take(1) == 1
    languages = bits.subset(LANGUAGES) | (frozenset({"en"}) if bits.take(1) else frozenset())
    modalities = frozenset(MODALITIES) if bits.take(1) else bits.subset(MODALITIES)
    capacity = bits.below(4) or bits.below(4)
    occupied = bits.below(capacity + 1) if bits.take(2) == 0 else 0
    return ProviderOffer(
        id=provider_id,
        kind=kind,
        home_state_code=home if keeps_home else None,
        assistance_types=bits.subset(TYPES),
        themes=bits.subset(THEMES),
        languages=languages,
        states_covered=bits.subset(CODES),
        regions_covered=bits.subset(REGIONS),
        modalities=modalities,
        capacity=capacity,
        occupied=occupied,
        availability=tuple(bits.window(longest=90) for _ in range(bits.below(4) or 1)),
        sdg_targets=bits.subset(SDG_TARGETS),
        name=f"Provider {bits.below(3)}",  # names collide, so that the id breaks the last ties
    )


needs = GENE.map(decode_need)
offers = GENE.map(decode_offer)


@st.composite
def rosters(draw: st.DrawFn, max_size: int = 6) -> list[ProviderOffer]:
    genes = draw(st.lists(GENE, max_size=max_size))
    # ids not in list order, so that a tie is broken by id, not by position
    names = [f"p{i:02d}" for i in range(len(genes))]
    random.Random(draw(st.integers(0, 2**16))).shuffle(names)
    return [decode_offer(gene, name) for gene, name in zip(genes, names, strict=True)]


@st.composite
def request_sets(draw: st.DrawFn, max_size: int = 6) -> list[RequestNeeds]:
    genes = draw(st.lists(GENE, max_size=max_size))
    return [decode_need(gene, f"r{i:02d}") for i, gene in enumerate(genes)]
