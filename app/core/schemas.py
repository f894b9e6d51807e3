"""Shapes shared by every domain's schemas."""

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Writes refuse unknown fields, so a misspelt or forbidden field is never silently dropped:
    `state_code`, `stage`, `version` and the like in a body are 422, never applied."""

    model_config = ConfigDict(extra="forbid")
