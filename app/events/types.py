"""The one vocabulary of events: `<resource>.<happening>`, the happening in the past tense.

Audit actions and outbox events of the same change carry the same type. Names are public
contract (API.md): add members freely, rename none.
"""

from enum import StrEnum


class Visibility(StrEnum):
    """Who may see an object, and so who may be told of an event about it: `state` (the State
    alone), `ohchr` (the State and OHCHR), `public` (everyone, anonymous callers included).
    An event that names no State is OHCHR's alone."""

    state = "state"
    ohchr = "ohchr"
    public = "public"


class EventType(StrEnum):
    progress_report_created = "progress_report.created"
    progress_report_updated = "progress_report.updated"
    progress_report_deleted = "progress_report.deleted"
    progress_report_submitted = "progress_report.submitted"
    progress_report_published = "progress_report.published"
    progress_report_unpublished = "progress_report.unpublished"
    progress_report_revised = "progress_report.revised"
    progress_report_revision_drafted = "progress_report.revision_drafted"
    progress_report_revision_updated = "progress_report.revision_updated"

    shortfall_created = "shortfall.created"
    shortfall_updated = "shortfall.updated"
    shortfall_deleted = "shortfall.deleted"
    shortfall_submitted = "shortfall.submitted"
    shortfall_published = "shortfall.published"
    shortfall_unpublished = "shortfall.unpublished"
    shortfall_resolved = "shortfall.resolved"

    assistance_request_created = "assistance_request.created"
    assistance_request_updated = "assistance_request.updated"
    assistance_request_submitted = "assistance_request.submitted"
    assistance_request_withdrawn = "assistance_request.withdrawn"
    assistance_request_triage_started = "assistance_request.triage_started"
    assistance_request_info_requested = "assistance_request.info_requested"
    assistance_request_info_provided = "assistance_request.info_provided"
    assistance_request_accepted = "assistance_request.accepted"
    assistance_request_declined = "assistance_request.declined"
    assistance_request_matched = "assistance_request.matched"
    assistance_request_delivery_started = "assistance_request.delivery_started"
    assistance_request_completed = "assistance_request.completed"
    assistance_request_published = "assistance_request.published"
    assistance_request_unpublished = "assistance_request.unpublished"
    assistance_request_overdue = "assistance_request.overdue"
    assistance_message_created = "assistance_message.created"

    assignment_offered = "assignment.offered"
    assignment_accepted = "assignment.accepted"
    assignment_declined = "assignment.declined"
    assignment_completed = "assignment.completed"
    assignment_withdrawn = "assignment.withdrawn"
    assignment_overdue = "assignment.overdue"

    matching_run_succeeded = "matching_run.succeeded"
    matching_run_failed = "matching_run.failed"
    recommendation_import_succeeded = "recommendation_import.succeeded"
    recommendation_import_failed = "recommendation_import.failed"
    reporting_deadline_due_soon = "reporting_deadline.due_soon"
    reporting_deadline_passed = "reporting_deadline.passed"
    reporting_deadline_created = "reporting_deadline.created"
    reporting_deadline_updated = "reporting_deadline.updated"
    reporting_deadline_deleted = "reporting_deadline.deleted"

    @property
    def resource(self) -> str:
        """The kind of object the event is about: `progress_report`, `assignment`, ..."""
        return self.value.partition(".")[0]
