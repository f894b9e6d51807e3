"""How urgent a request is for OHCHR: the one place where priority is computed and explained.

Every part is shown to officers with its weight and a sentence; the score is their sum,
unrounded. The report to the Council (para. 46) asks for priority to least developed countries,
small island developing States, countries emerging from conflict and other countries with
particular needs; the UN groups landlocked developing countries with LDCs and SIDS as countries
with special needs, so they count too. These are the largest parts. What a State declares about
its own request (urgency, the severity of the shortfalls behind it) counts for at most
`self_declared_cap` together, below every one of those parts, so that declaring everything
"critical" never buys rank. Time waited completes the picture.

Weights are configuration: `PRIORITY_WEIGHTS` in the environment, as JSON with any of the
fields of `app.core.settings.PriorityWeights` (e.g. `{"ldc": 4, "waiting_per_day": 0.1}`),
where each is described.
"""

import datetime as dt
from dataclasses import dataclass

from pydantic import BaseModel, Field

from app.core.settings import PriorityWeights


@dataclass(frozen=True)
class PriorityInputs:
    is_ldc: bool
    is_lldc: bool
    is_sids: bool
    emerging_from_conflict: bool
    particular_needs: bool
    urgency: str
    worst_shortfall_severity: str | None
    submitted_at: dt.datetime | None


class PriorityPart(BaseModel):
    part: str = Field(description="the part's label, a key of `parts`")
    points: float = Field(description="what it adds to the score, unrounded")
    text: str = Field(description='e.g. "least developed country +3"')
    weight: float = Field(
        description="its configured weight: per flag, per declared level, or per day waited"
    )
    value: str | None = Field(
        default=None,
        description="what the part counts: the declared urgency, the worst linked shortfall's "
        "severity, or the whole days waited; null for a State's flags",
    )


class Priority(BaseModel):
    score: float = Field(description="the sum of the parts, unrounded")
    parts: dict[str, float]
    explanation: list[PriorityPart] = Field(
        description="every part with its weight and a sentence; the points sum to the score"
    )


# part, the State's flag in the inputs, what it says when set, and when not
FLAGS = (
    ("ldc", "is_ldc", "least developed country", "not a least developed country"),
    ("lldc", "is_lldc", "landlocked developing country", "not a landlocked developing country"),
    ("sids", "is_sids", "small island developing State", "not a small island developing State"),
    (
        "emerging_from_conflict",
        "emerging_from_conflict",
        "emerging from conflict",
        "not emerging from conflict",
    ),
    ("particular_needs", "particular_needs", "other particular needs", "no particular needs"),
)


def _signed(points: float) -> str:
    return f"+{points:g}" if points >= 0 else f"{points:g}"


def _declared(inputs: PriorityInputs, weights: PriorityWeights) -> tuple[float, float, float]:
    """The weights of the declared urgency and shortfall severity, and the scale that brings
    their sum down to the cap."""
    severity = inputs.worst_shortfall_severity
    urgency_weight = weights.urgency.get(inputs.urgency, 0.0)
    severity_weight = weights.shortfall_severity.get(severity, 0.0) if severity else 0.0
    declared = urgency_weight + severity_weight
    scale = weights.self_declared_cap / declared if declared > weights.self_declared_cap else 1.0
    return urgency_weight, severity_weight, scale


def _waited(
    inputs: PriorityInputs, weights: PriorityWeights, now: dt.datetime
) -> tuple[int, float]:
    """The whole days waited, and their points."""
    # Whole days: two matching runs a moment apart must weigh requests the same.
    waited_days = (now.date() - inputs.submitted_at.date()).days if inputs.submitted_at else 0
    waited_days = max(waited_days, 0)
    return waited_days, min(waited_days * weights.waiting_per_day, weights.waiting_cap)


def _self_declared(inputs: PriorityInputs, weights: PriorityWeights) -> list[PriorityPart]:
    """Urgency and shortfall severity, scaled down together to at most the cap."""
    severity = inputs.worst_shortfall_severity
    urgency_weight, severity_weight, scale = _declared(inputs, weights)

    def part(name: str, what: str, weight: float, value: str | None) -> PriorityPart:
        points = weight * scale
        capped = f"capped from {_signed(weight)}" if scale < 1 else "capped"
        text = f"{what} {_signed(points)} (self-declared, {capped})"
        return PriorityPart(part=name, points=points, text=text, weight=weight, value=value)

    urgency = part("urgency", f"urgency declared {inputs.urgency}", urgency_weight, inputs.urgency)
    what = f"worst linked shortfall declared {severity}" if severity else "no linked shortfall"
    shortfall = part("shortfall_severity", what, severity_weight, severity)
    return [urgency, shortfall]


def score(inputs: PriorityInputs, weights: PriorityWeights, now: dt.datetime) -> float:
    """`priority(...).score` without the explanation: what a queue is sorted by. The same
    points added in the same order, so the same float."""
    flags = [getattr(weights, name) if getattr(inputs, flag) else 0.0 for name, flag, _, _ in FLAGS]
    urgency_weight, severity_weight, scale = _declared(inputs, weights)
    _, waiting = _waited(inputs, weights, now)
    return sum([*flags, urgency_weight * scale, severity_weight * scale, waiting])


def priority(inputs: PriorityInputs, weights: PriorityWeights, now: dt.datetime) -> Priority:
    explanation = []
    for name, flag, label, unset in FLAGS:
        weight: float = getattr(weights, name)
        if getattr(inputs, flag):
            text, points = f"{label} {_signed(weight)}", weight
        else:
            text, points = f"{unset} +0", 0.0
        explanation.append(PriorityPart(part=name, points=points, text=text, weight=weight))
    explanation += _self_declared(inputs, weights)
    waited_days, waiting = _waited(inputs, weights, now)
    days = f"{waited_days} day{'' if waited_days == 1 else 's'}"
    capped = " (capped)" if waiting < waited_days * weights.waiting_per_day else ""
    text = f"waiting {days} {_signed(waiting)}{capped}"
    explanation.append(
        PriorityPart(
            part="waiting",
            points=waiting,
            text=text,
            weight=weights.waiting_per_day,
            value=str(waited_days),
        )
    )
    parts = {p.part: p.points for p in explanation}
    return Priority(score=sum(parts.values()), parts=parts, explanation=explanation)
