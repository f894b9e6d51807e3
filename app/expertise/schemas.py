import datetime as dt
import uuid
from typing import Annotated, Self

from pydantic import BaseModel, Field, StringConstraints, model_validator

from app.core.pagination import Page
from app.core.schemas import JsonBool, JsonDate, JsonInt, LanguageCode, StateCode, Strict
from app.expertise.models import ProviderKind
from app.taxonomies.vocabularies import AssistanceType, Modality

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Term = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Region = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]


class Window(Strict):
    start: JsonDate
    end: JsonDate

    @model_validator(mode="after")
    def _in_order(self) -> Self:
        if self.start > self.end:
            raise ValueError("start must not be after end")
        return self


class ProviderFields(Strict):
    name: Name | None = None
    kind: ProviderKind | None = None
    organization: Annotated[str, Field(max_length=200)] | None = None
    assistance_types: Annotated[list[AssistanceType], Field(max_length=20)] | None = None
    themes: Annotated[list[Term], Field(max_length=100)] | None = None
    sdg_targets: Annotated[list[Term], Field(max_length=100)] | None = None
    languages: Annotated[list[LanguageCode], Field(max_length=20)] | None = None
    states_covered: Annotated[list[StateCode], Field(max_length=200)] | None = None
    regions_covered: Annotated[list[Region], Field(max_length=50)] | None = None
    duty_station: Annotated[str, Field(max_length=200)] | None = None
    home_state_code: StateCode | None = None
    modalities: Annotated[list[Modality], Field(max_length=3)] | None = None
    capacity: Annotated[JsonInt, Field(ge=0, le=100)] | None = None
    availability: Annotated[list[Window], Field(max_length=50)] | None = None
    user_id: uuid.UUID | None = None
    is_active: JsonBool | None = None
    notes: Annotated[str, Field(max_length=20_000)] | None = None

    @model_validator(mode="after")
    def _no_nulls_where_a_value_is_needed(self) -> Self:
        nullable = {"home_state_code", "user_id"}
        cleared = sorted(f for f in self.model_fields_set - nullable if getattr(self, f) is None)
        if cleared:
            raise ValueError(f"{', '.join(cleared)} cannot be null")
        for field in ("languages", "modalities"):
            if field in self.model_fields_set and not getattr(self, field):
                raise ValueError(f"{field} needs at least one value")
        return self


class ProviderCreate(ProviderFields):
    name: Name
    kind: ProviderKind
    languages: Annotated[list[LanguageCode], Field(min_length=1, max_length=20)]
    modalities: Annotated[list[Modality], Field(min_length=1, max_length=3)]
    capacity: Annotated[JsonInt, Field(ge=0, le=100)] = 1


class ProviderRead(BaseModel):
    id: uuid.UUID
    name: str
    kind: ProviderKind
    organization: str
    assistance_types: list[str]
    themes: list[str]
    sdg_targets: list[str]
    languages: list[str]
    states_covered: list[str]
    regions_covered: list[str]
    duty_station: str
    home_state_code: str | None
    modalities: list[str]
    capacity: int
    availability: list[Window]
    user_id: uuid.UUID | None
    is_active: bool
    notes: str
    active_assignments: int
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ProviderPage(Page[ProviderRead]):
    pass
