"""Shapes shared by every domain's schemas."""

from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, model_validator


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


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
        if _has_nul(data):
            raise ValueError("text must not contain NUL characters")
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
