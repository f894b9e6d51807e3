"""The assistance request's lifecycles, as data.

    draft -submit-> submitted -start-triage-> in_triage -accept-> accepted -(a provider
    accepts an assignment: match)-> matched -start-delivery-> in_delivery -complete-> completed
    in_triage -request-info-> info_requested -provide-info-> in_triage
    in_triage -decline-> declined
    any stage before in_delivery -withdraw (the State)-> withdrawn

Declined, withdrawn and completed are final. The State's focal point may also publish a
submitted request to invite partners (`app.lifecycle.drafts.publication`). The engine
(`app.lifecycle.engine`) applies every verb; what a move records is in the service.
"""

from enum import StrEnum

from app.assistance.models import RequestStage as S
from app.core.principal import OHCHR_ROLES, STATE_ROLES, Role
from app.events.types import EventType
from app.lifecycle.drafts import FOCAL_POINT
from app.lifecycle.engine import PLATFORM


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


STATE = frozenset(STATE_ROLES)

TRANSITIONS: dict[tuple[str, str], str] = {
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

ROLES: dict[str, frozenset[Role]] = {
    Verb.submit: FOCAL_POINT,
    Verb.withdraw: FOCAL_POINT,
    Verb.provide_info: STATE,
    Verb.start_triage: OHCHR_ROLES,
    Verb.request_info: OHCHR_ROLES,
    Verb.accept: OHCHR_ROLES,
    Verb.decline: OHCHR_ROLES,
    Verb.start_delivery: OHCHR_ROLES,
    Verb.complete: OHCHR_ROLES,
    Verb.match: PLATFORM,
}

EVENTS: dict[str, EventType] = {
    Verb.submit: EventType.assistance_request_submitted,
    Verb.withdraw: EventType.assistance_request_withdrawn,
    Verb.start_triage: EventType.assistance_request_triage_started,
    Verb.request_info: EventType.assistance_request_info_requested,
    Verb.provide_info: EventType.assistance_request_info_provided,
    Verb.accept: EventType.assistance_request_accepted,
    Verb.decline: EventType.assistance_request_declined,
    Verb.match: EventType.assistance_request_matched,
    Verb.start_delivery: EventType.assistance_request_delivery_started,
    Verb.complete: EventType.assistance_request_completed,
}

NEEDS_MESSAGE = frozenset({Verb.request_info, Verb.provide_info})
NEEDS_REASON = frozenset({Verb.decline})
FINAL = frozenset({S.declined, S.withdrawn, S.completed})
# A draft is the State's alone; a withdrawn or declined request no longer invites anyone.
PUBLISHABLE = frozenset(S) - {S.draft, S.withdrawn, S.declined}
