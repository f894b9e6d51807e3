import datetime as dt
import uuid
from typing import Annotated, Any, Self

from pydantic import BaseModel, Field, StringConstraints, model_validator
from pydantic.json_schema import SkipJsonSchema

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


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def unset() -> Any:
    """Optional in a partial update but never null: the schema shows neither null nor a
    default, and a null sent is 422 (`Strict.nullable`)."""
    return Field(default=None, json_schema_extra=_no_default)


Absent = SkipJsonSchema[None]


class ProviderFields(Strict):
    """Every field optional: the shape of PATCH. Only `home_state_code` and `user_id` may be
    cleared with null; the others take a value or are left out."""

    nullable = frozenset({"home_state_code", "user_id"})

    name: Name | Absent = unset()
    kind: ProviderKind | Absent = unset()
    organization: Annotated[str, Field(max_length=200)] | Absent = unset()
    assistance_types: Annotated[list[AssistanceType], Field(max_length=20)] | Absent = unset()
    themes: Annotated[list[Term], Field(max_length=100)] | Absent = unset()
    sdg_targets: Annotated[list[Term], Field(max_length=100)] | Absent = unset()
    languages: Annotated[list[LanguageCode], Field(max_length=20)] | Absent = unset()
    states_covered: Annotated[list[StateCode], Field(max_length=200)] | Absent = unset()
    regions_covered: Annotated[list[Region], Field(max_length=50)] | Absent = unset()
    duty_station: Annotated[str, Field(max_length=200)] | Absent = unset()
    home_state_code: StateCode | None = None
    modalities: Annotated[list[Modality], Field(max_length=3)] | Absent = unset()
    capacity: Annotated[JsonInt, Field(ge=0, le=100)] | Absent = unset()
    availability: Annotated[list[Window], Field(max_length=50)] | Absent = unset()
    user_id: uuid.UUID | None = None
    is_active: JsonBool | Absent = unset()
    notes: Annotated[str, Field(max_length=20_000)] | Absent = unset()

    @model_validator(mode="after")
    def _languages_and_modalities_not_empty(self) -> Self:
        for field in ("languages", "modalities"):
            if field in self.model_fields_set and getattr(self, field) == []:
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
