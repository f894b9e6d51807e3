"""How urgent a request is for OHCHR: the one place where priority is computed and weighted.

Every part is shown to officers; the score is their sum, unrounded. The report to the Council
(para. 46) asks for priority to least developed countries, small island developing States,
countries emerging from conflict and other countries with particular needs; urgency, the
severity of the barriers behind the request and time waited complete the picture.

Weights are configuration: `PRIORITY_WEIGHTS` in the environment, as JSON with any of the
fields of `app.core.settings.PriorityWeights` (e.g. `{"ldc": 4, "waiting_per_day": 0.1}`).
"""

import datetime as dt
from dataclasses import dataclass

from pydantic import BaseModel

from app.core.settings import PriorityWeights


@dataclass(frozen=True)
class PriorityInputs:
    is_ldc: bool
    is_sids: bool
    emerging_from_conflict: bool
    particular_needs: bool
    urgency: str
    worst_shortfall_severity: str | None
    submitted_at: dt.datetime | None


class Priority(BaseModel):
    score: float
    parts: dict[str, float]


def priority(inputs: PriorityInputs, weights: PriorityWeights, now: dt.datetime) -> Priority:
    # Whole days: two matching runs a moment apart must weigh requests the same.
    waited_days = (now.date() - inputs.submitted_at.date()).days if inputs.submitted_at else 0
    parts = {
        "ldc": weights.ldc if inputs.is_ldc else 0.0,
        "sids": weights.sids if inputs.is_sids else 0.0,
        "emerging_from_conflict": (
            weights.emerging_from_conflict if inputs.emerging_from_conflict else 0.0
        ),
        "particular_needs": weights.particular_needs if inputs.particular_needs else 0.0,
        "urgency": weights.urgency.get(inputs.urgency, 0.0),
        "shortfall_severity": (
            weights.shortfall_severity.get(inputs.worst_shortfall_severity, 0.0)
            if inputs.worst_shortfall_severity
            else 0.0
        ),
        "waiting": min(max(waited_days, 0) * weights.waiting_per_day, weights.waiting_cap),
    }
    return Priority(score=sum(parts.values()), parts=parts)
