"""Shapes shared by every domain's schemas."""

import datetime as dt
import re
from collections.abc import Iterator
from itertools import islice
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic import Strict as StrictType
from pydantic_core import PydanticCustomError

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]")


def _date_text(value: Any) -> Any:
    if isinstance(value, dt.date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise ValueError("a date is written YYYY-MM-DD")


def _datetime_text(value: Any) -> Any:
    if isinstance(value, dt.datetime) or (isinstance(value, str) and _ISO_DATETIME.match(value)):
        return value
    raise ValueError("a time is written as in RFC 3339, e.g. 2025-01-31T09:00:00Z")


# JSON's own types, taken as they come: lax parsing would read 0 as false, "5" as 5 and a
# number, or a string of digits, as a date (seconds since 1970), storing a client's mistake
# instead of refusing it.
JsonBool = Annotated[bool, StrictType()]
JsonInt = Annotated[int, StrictType()]
JsonNumber = Annotated[float, StrictType()]
JsonDate = Annotated[dt.date, BeforeValidator(_date_text)]
IsoDateTime = Annotated[AwareDatetime, BeforeValidator(_datetime_text)]

# Codes taken in either case and kept as the reference data writes them: "en" (ISO 639-1),
# "WSM" (ISO 3166-1 alpha-3).
LanguageCode = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z]{2}$", to_lower=True, min_length=2, max_length=2)
]
StateCode = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z]{3}$", to_upper=True, min_length=3, max_length=3)
]


Location = tuple[str | int, ...]
_NUL = "text must not contain NUL characters"


def _nul_locations(value: Any, here: Location = ()) -> Iterator[Location]:
    """Where text with a NUL character sits in raw JSON data (a key's at its object)."""
    if isinstance(value, str):
        if "\x00" in value:
            yield here
    elif isinstance(value, dict):
        if any(isinstance(key, str) and "\x00" in key for key in value):
            yield here
        for key, item in value.items():
            yield from _nul_locations(item, (*here, key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _nul_locations(item, (*here, index))


class Strict(BaseModel):
    """Writes refuse unknown fields, so a misspelt or forbidden field is never silently dropped:
    `state_code`, `stage`, `version` and the like in a body are 422, never applied. Text with a
    NUL character is refused too (PostgreSQL cannot store it). In a partial update, `null` is
    refused for the fields not listed in `nullable`."""

    model_config = ConfigDict(extra="forbid")
    nullable: ClassVar[frozenset[str] | None] = None

    @model_validator(mode="before")
    @classmethod
    def _no_nul_characters(cls, data: Any) -> Any:
        # Checked on the raw data, before any field (or nested model) sees it, and reported
        # at each field that holds it: a nested location is prefixed with this model's.
        locations = list(islice(_nul_locations(data), 20))
        if locations:
            error = PydanticCustomError("value_error", _NUL)
            raise ValidationError.from_exception_data(
                cls.__name__,
                [{"type": error, "loc": location, "input": None} for location in locations],
            )
        return data

    @model_validator(mode="after")
    def _no_null_where_a_value_is_needed(self) -> Self:
        if self.nullable is None:
            return self
        cleared = sorted(
            f for f in self.model_fields_set - self.nullable if getattr(self, f) is None
        )
        if cleared:
            raise ValueError(f"{', '.join(cleared)} cannot be null")
        return self
