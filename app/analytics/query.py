"""What an analytics question asks: its filters and the dimensions it groups by.

Filters read like the lists' (`region`, `priority_group`, `theme`, `sdg`, `from`, `to`, ...).
Places (State, region, group) are decided on the `states` table once per question; the rest of a
filter is applied by each figure set where its objects carry it.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Query
from sqlalchemy import ColumnElement, Select, select
from sqlmodel import col

from app.assistance.service import PriorityGroup
from app.core.errors import UnprocessableContent
from app.core.schemas import JsonDate
from app.states.models import State
from app.taxonomies.vocabularies import AssistanceType, Mechanism

# The dimensions each figure set groups by, in the order they are documented.
PLACE_DIMENSIONS = ("state", "region", "sub_region", "regional_group", "priority_group")
ASSISTANCE_DIMENSIONS = (
    *PLACE_DIMENSIONS,
    "priority",
    "assistance_type",
    "theme",
    "sdg",
    "language",
    "quarter",
    "year",
)
IMPLEMENTATION_DIMENSIONS = (
    *PLACE_DIMENSIONS,
    "mechanism",
    "body",
    "cycle",
    "theme",
    "sdg",
    "sdg_target",
    "position",
)
SHORTFALL_DIMENSIONS = (
    *PLACE_DIMENSIONS,
    "barrier_type",
    "severity",
    "theme",
    "resolved",
)
GAP_DIMENSIONS = ("theme", "assistance_type", "language", "region")

# The flags behind each priority group (the report, para. 46), by the name the API uses.
PRIORITY_FLAGS = {
    PriorityGroup.ldc: "is_ldc",
    PriorityGroup.lldc: "is_lldc",
    PriorityGroup.sids: "is_sids",
    PriorityGroup.conflict: "emerging_from_conflict",
    PriorityGroup.particular_needs: "particular_needs",
}
NO_GROUP = "none"

SDG = r"^\d{1,2}(\.[0-9a-z]{1,2})?$"


def priority_groups(state: State) -> list[str | None]:
    """The State's priority groups, or `none`."""
    groups = [group.value for group, flag in PRIORITY_FLAGS.items() if getattr(state, flag)]
    return list(groups) or [NO_GROUP]


def place_values(state: State, dimension: str) -> list[str | None]:
    """A State's value of a place dimension (several for `priority_group`)."""
    if dimension == "state":
        return [state.code]
    if dimension == "priority_group":
        return priority_groups(state)
    if dimension == "priority":
        return ["other" if priority_groups(state) == [NO_GROUP] else "priority"]
    return [getattr(state, dimension)]


@dataclass(frozen=True)
class Place:
    """Which States a question is about."""

    state: str | None = None
    region: str | None = None
    sub_region: str | None = None
    regional_group: str | None = None
    priority_group: PriorityGroup | None = None

    @property
    def is_everywhere(self) -> bool:
        return self == Place()

    def states_clause(self, state_code: object) -> ColumnElement[bool] | None:
        """`state_code IN (the States admitted)`, in SQL; None when every State is."""
        if self.is_everywhere:
            return None
        statement: Select[tuple[str]] = select(col(State.code))
        if self.state is not None:
            statement = statement.where(col(State.code) == self.state.upper())
        if self.region is not None:
            statement = statement.where(
                (col(State.region) == self.region) | (col(State.sub_region) == self.region)
            )
        if self.sub_region is not None:
            statement = statement.where(col(State.sub_region) == self.sub_region)
        if self.regional_group is not None:
            statement = statement.where(col(State.regional_group) == self.regional_group)
        if self.priority_group is not None:
            flag = getattr(State, PRIORITY_FLAGS[self.priority_group])
            statement = statement.where(col(flag).is_(True))
        return state_code.in_(statement)  # type: ignore[attr-defined,no-any-return]


@dataclass(frozen=True)
class Question:
    """One analytics question: where, when, about what, grouped how."""

    place: Place = field(default_factory=Place)
    start: dt.date | None = None
    end: dt.date | None = None
    theme: str | None = None
    sdg: str | None = None
    assistance_type: AssistanceType | None = None
    mechanism: Mechanism | None = None
    body: str | None = None
    cycle: int | None = None
    months: int = 6
    group_by: tuple[str, ...] = ()

    def in_period(self, day: dt.date | None) -> bool:
        if day is None:
            return self.start is None and self.end is None
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)

    @property
    def lists_needed(self) -> set[str]:
        """The lists an object holds (`themes`, `sdg_targets`, `languages`) that the question
        asks about."""
        asked = set(self.group_by)
        needed = set()
        if "theme" in asked or self.theme is not None:
            needed.add("themes")
        if {"sdg", "sdg_target"} & asked or self.sdg is not None:
            needed.add("sdg_targets")
        if "language" in asked:
            needed.add("languages")
        return needed

    def about_sdg(self, codes: Iterable[str]) -> bool:
        """A goal (`16`) matches its targets too; a target only itself."""
        if self.sdg is None:
            return True
        return any(code == self.sdg or code.split(".")[0] == self.sdg for code in codes)


def parse_group_by(value: str | None, allowed: tuple[str, ...]) -> tuple[str, ...]:
    if not value:
        return ()
    names = tuple(dict.fromkeys(name.strip() for name in value.split(",") if name.strip()))
    unknown = [name for name in names if name not in allowed]
    if unknown:
        raise UnprocessableContent(
            f"cannot group by {', '.join(unknown)}; group_by takes {', '.join(allowed)}"
        )
    return names


async def place_query(
    state: Annotated[
        str | None, Query(min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$")
    ] = None,
    region: Annotated[
        str | None, Query(max_length=60, description="an M49 region or sub-region")
    ] = None,
    sub_region: Annotated[str | None, Query(max_length=60)] = None,
    regional_group: Annotated[str | None, Query(max_length=60)] = None,
    priority_group: PriorityGroup | None = None,
) -> Place:
    return Place(state, region, sub_region, regional_group, priority_group)


PlaceQuery = Annotated[Place, Depends(place_query)]
From = Annotated[JsonDate | None, Query(alias="from", description="first day, inclusive")]
To = Annotated[JsonDate | None, Query(description="last day, inclusive")]
Theme = Annotated[
    str | None,
    Query(max_length=10, pattern=r"^[A-Za-z]\d{1,3}$", description="a UHRI theme code, e.g. A12"),
]
Sdg = Annotated[
    str | None,
    Query(max_length=5, pattern=SDG, description="an SDG goal (`16`) or target (`16.3`)"),
]
GroupBy = Annotated[str | None, Query(max_length=200, description="comma-separated dimensions")]


def _period(
    start: dt.date | None, end: dt.date | None, year: int | None
) -> tuple[dt.date | None, dt.date | None]:
    if year is not None:
        start = max(start, dt.date(year, 1, 1)) if start else dt.date(year, 1, 1)
        end = min(end, dt.date(year, 12, 31)) if end else dt.date(year, 12, 31)
    if start is not None and end is not None and start > end:
        raise UnprocessableContent(f"from ({start}) is after to ({end})")
    return start, end


async def assistance_question(
    place: PlaceQuery,
    from_: From = None,
    to: To = None,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="a calendar year")] = None,
    assistance_type: AssistanceType | None = None,
    theme: Theme = None,
    sdg: Sdg = None,
    group_by: GroupBy = None,
) -> Question:
    start, end = _period(from_, to, year)
    return Question(
        place=place,
        start=start,
        end=end,
        assistance_type=assistance_type,
        theme=theme and theme.upper(),
        sdg=sdg,
        group_by=parse_group_by(group_by, ASSISTANCE_DIMENSIONS),
    )


async def gap_question(
    place: PlaceQuery,
    assistance_type: AssistanceType | None = None,
    theme: Theme = None,
    sdg: Sdg = None,
    months: Annotated[int, Query(ge=1, le=24, description="how far ahead supply is counted")] = 6,
) -> Question:
    return Question(
        place=place,
        assistance_type=assistance_type,
        theme=theme and theme.upper(),
        sdg=sdg,
        months=months,
    )


def _about_the_catalogue(dimensions: tuple[str, ...]) -> Any:
    """The question of an answer about recommendations (or what concerns them), grouped by
    `dimensions`: which mechanism, body, cycle, theme or SDG, and when."""

    async def question(
        place: PlaceQuery,
        from_: From = None,
        to: To = None,
        mechanism: Mechanism | None = None,
        body: Annotated[str | None, Query(max_length=300)] = None,
        cycle: Annotated[int | None, Query(ge=1, le=99)] = None,
        theme: Theme = None,
        sdg: Sdg = None,
        group_by: GroupBy = None,
    ) -> Question:
        start, end = _period(from_, to, None)
        return Question(
            place=place,
            start=start,
            end=end,
            mechanism=mechanism,
            body=body,
            cycle=cycle,
            theme=theme and theme.upper(),
            sdg=sdg,
            group_by=parse_group_by(group_by, dimensions),
        )

    return question


implementation_question = _about_the_catalogue(IMPLEMENTATION_DIMENSIONS)
shortfall_question = _about_the_catalogue(SHORTFALL_DIMENSIONS)


AssistanceQuestion = Annotated[Question, Depends(assistance_question)]
GapQuestion = Annotated[Question, Depends(gap_question)]
ImplementationQuestion = Annotated[Question, Depends(implementation_question)]
ShortfallQuestion = Annotated[Question, Depends(shortfall_question)]
