"""UN Member and observer States, from the UN M49 and regional-group reference data."""

from sqlmodel import Field

from app.core.models import Versioned


class State(Versioned, table=True):
    __tablename__ = "states"

    code: str = Field(primary_key=True, min_length=3, max_length=3)
    name: str = Field(max_length=120)
    alpha2: str = Field(max_length=2)
    m49_code: str = Field(max_length=3)
    region: str = Field(max_length=60, index=True)
    sub_region: str = Field(max_length=60, index=True)
    regional_group: str | None = Field(default=None, max_length=60)
    is_member: bool
    is_ldc: bool = False
    is_lldc: bool = False
    is_sids: bool = False
    # Set by OHCHR administrators; they raise a request's priority (SG report, para. 46).
    emerging_from_conflict: bool = False
    particular_needs: bool = False
