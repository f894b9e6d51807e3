from pydantic import BaseModel, ConfigDict

from app.core.pagination import Page
from app.core.schemas import JsonBool


class StateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    region: str
    sub_region: str
    regional_group: str | None
    is_member: bool
    is_ldc: bool
    is_lldc: bool
    is_sids: bool
    emerging_from_conflict: bool
    particular_needs: bool
    version: int


class StatePage(Page[StateRead]):
    pass


class StateUpdate(BaseModel):
    """Only the two flags that OHCHR administrators set; the rest is UN reference data."""

    model_config = ConfigDict(extra="forbid")

    emerging_from_conflict: JsonBool | None = None
    particular_needs: JsonBool | None = None
