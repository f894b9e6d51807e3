"""The assistance request lifecycle, as data: `(stage, verb) -> stage` and who may call each verb.

    draft -submit-> submitted -start-triage-> in_triage -accept-> accepted -(a provider
    accepts an assignment: match)-> matched -start-delivery-> in_delivery -complete-> completed
    in_triage -request-info-> info_requested -provide-info-> in_triage
    in_triage -decline-> declined
    any stage before in_delivery -withdraw (the State)-> withdrawn

Declined, withdrawn and completed are final. One function applies a verb (service.apply_verb);
everything else reads this table.
"""

from enum import StrEnum

from app.assistance.models import RequestStage as S
from app.core.principal import OHCHR_ROLES, Role


class Verb(StrEnum):
    submit = "submit"
    withdraw = "withdraw"
    start_triage = "start-triage"
    request_info = "request-info"
    provide_info = "provide-info"
    accept = "accept"
    decline = "decline"
    match = "match"
    start_delivery = "start-delivery"
    complete = "complete"


FOCAL_POINT = frozenset({Role.state_focal_point})
STATE = frozenset({Role.state_focal_point, Role.state_contributor})
SYSTEM: frozenset[Role] = frozenset()  # moved by the platform itself (an accepted assignment)

TRANSITIONS: dict[tuple[S, Verb], S] = {
    (S.draft, Verb.submit): S.submitted,
    (S.submitted, Verb.start_triage): S.in_triage,
    (S.in_triage, Verb.request_info): S.info_requested,
    (S.info_requested, Verb.provide_info): S.in_triage,
    (S.in_triage, Verb.accept): S.accepted,
    (S.in_triage, Verb.decline): S.declined,
    (S.accepted, Verb.match): S.matched,
    (S.matched, Verb.start_delivery): S.in_delivery,
    (S.in_delivery, Verb.complete): S.completed,
    **{
        (stage, Verb.withdraw): S.withdrawn
        for stage in (S.draft, S.submitted, S.in_triage, S.info_requested, S.accepted, S.matched)
    },
}

ROLES: dict[Verb, frozenset[Role]] = {
    Verb.submit: FOCAL_POINT,
    Verb.withdraw: FOCAL_POINT,
    Verb.provide_info: STATE,
    Verb.start_triage: OHCHR_ROLES,
    Verb.request_info: OHCHR_ROLES,
    Verb.accept: OHCHR_ROLES,
    Verb.decline: OHCHR_ROLES,
    Verb.start_delivery: OHCHR_ROLES,
    Verb.complete: OHCHR_ROLES,
    Verb.match: SYSTEM,
}

NEEDS_MESSAGE = frozenset({Verb.request_info, Verb.provide_info})
NEEDS_REASON = frozenset({Verb.decline})
FINAL = frozenset({S.declined, S.withdrawn, S.completed})


def next_stage(stage: S, verb: Verb) -> S | None:
    return TRANSITIONS.get((stage, verb))


def open_verbs(stage: S, role: Role) -> list[str]:
    """The verbs this role may call now, in the order of the table."""
    return [
        verb.value
        for (from_stage, verb) in TRANSITIONS
        if from_stage is stage and role in ROLES[verb]
    ]
