"""The shapes of analytics answers. A figure withheld from a small cell is null, and its group
says `suppressed` and names it in `suppressed_figures` (dotted paths, as the CSV columns are)."""

import datetime as dt
import uuid

from pydantic import BaseModel, Field

from app.events.types import Visibility

Key = dict[str, str | None]


class GroupBase(BaseModel):
    key: Key = Field(
        description="the group's value of each `group_by` dimension (null: none, e.g. a request "
        "with no theme); `{}` without `group_by`"
    )
    suppressed: bool = Field(description="some figures are withheld: too few objects")
    suppressed_figures: list[str]


class AnswerBase(BaseModel):
    audience: Visibility = Field(
        description="what the figures are drawn from: published material (`public`), with the "
        "caller's own State's too (`state`), or everything submitted (`ohchr`)"
    )
    min_cell: int | None = Field(
        description="figures drawn from fewer of other States' objects are withheld; null for "
        "OHCHR (`PUBLIC_MIN_CELL`)"
    )
    group_by: list[str]


class Money(BaseModel):
    requests: int | None
    budget_estimate_usd: float | None
    co_funding_usd: float | None


class Outcomes(BaseModel):
    waiting: Money
    in_triage: Money = Field(description="in triage, including waiting for the State's information")
    accepted: Money = Field(description="accepted, no provider has accepted yet")
    matched: Money
    in_delivery: Money
    completed: Money
    declined: Money
    withdrawn: Money


class StageTime(BaseModel):
    requests: int | None = Field(description="requests that reached the stage")
    median_working_days: float | None
    p90_working_days: float | None


class TimesToStage(BaseModel):
    """Working days from submission to the first entry into each stage."""

    in_triage: StageTime
    accepted: StageTime
    matched: StageTime
    in_delivery: StageTime
    completed: StageTime


class PastTarget(BaseModel):
    requests: int | None = Field(description="requests that stayed at the stage")
    past: int | None = Field(description="of them, those that stayed longer than its target")
    share: float | None


class AssistanceGroup(GroupBase):
    requests: int | None = Field(description="submitted requests, whatever their outcome")
    budget_estimate_usd: float | None = Field(description="the sum of their estimates")
    co_funding_usd: float | None
    outcomes: Outcomes
    acceptance_rate: float | None = Field(
        description="ever accepted / (ever accepted + ever declined)"
    )
    matching_rate: float | None = Field(description="ever matched / ever accepted")
    completion_rate: float | None = Field(description="ever completed / ever accepted")
    time_to_stage: TimesToStage
    past_target: dict[str, PastTarget] = Field(
        description="by stage with a service target (`SERVICE_TARGETS`, in working days)"
    )


class AssistanceAnswer(AnswerBase):
    as_of: dt.datetime = Field(description="the instant stays still open are counted to")
    groups: list[AssistanceGroup]


class GapGroup(GroupBase):
    demand_requests: int | None = Field(
        description="accepted requests without an accepted assignment"
    )
    demand_budget_usd: float | None
    supply_providers: int | None = Field(
        description="active providers who could serve them in the coming months"
    )
    supply_free_capacity: int | None = Field(
        description="their capacity not taken by proposed or accepted assignments"
    )
    gap: int | None = Field(description="demand_requests - supply_free_capacity")


class Unmatched(BaseModel):
    run_id: uuid.UUID | None = Field(description="the latest succeeded matching run")
    finished_at: dt.datetime | None
    requests: int
    by_reason: dict[str, int]


class GapAnswer(AnswerBase):
    months: int
    groups: list[GapGroup]
    unmatched: Unmatched


class StatusCounts(BaseModel):
    not_started: int | None
    in_progress: int | None
    partially_implemented: int | None
    fully_implemented: int | None
    no_report: int | None


class ImplementationGroup(GroupBase):
    recommendations: int | None
    with_progress: int | None = Field(description="recommendations with a report the caller sees")
    share_with_progress: float | None
    latest_status: StatusCounts = Field(
        description="the status of each recommendation's latest report"
    )


class ImplementationAnswer(AnswerBase):
    groups: list[ImplementationGroup]


class SeverityCounts(BaseModel):
    low: int | None
    medium: int | None
    high: int | None
    critical: int | None


class ShortfallGroup(GroupBase):
    shortfalls: int | None
    open: int | None
    resolved: int | None
    by_severity: SeverityCounts
    recommendations: int | None = Field(description="distinct recommendations they concern")


class ShortfallAnswer(AnswerBase):
    groups: list[ShortfallGroup]
