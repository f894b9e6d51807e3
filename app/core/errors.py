"""Domain errors and their one rendering: RFC 9457 `application/problem+json`.

Services raise these; nothing else in the code builds an error response.
"""

from collections.abc import Sequence
from typing import Any, ClassVar

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "/problems/"


class Problem(Exception):
    """An error that the API answers with a problem document.

    `slug` names the problem type (`type` is `/problems/<slug>`); extension members travel in
    `extra` and appear at the top level of the document.
    """

    status: int = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.headers = headers or {}
        self.extra = extra

    @property
    def type_uri(self) -> str:
        return PROBLEM_BASE + self.slug

    def body(self, instance: str | None = None) -> dict[str, Any]:
        document: dict[str, Any] = {
            "type": self.type_uri,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            document["instance"] = instance
        document.update(self.extra)
        return document


class BadRequest(Problem):
    pass


class Unauthorized(Problem):
    status = 401
    slug = "unauthorized"
    title = "Authentication required"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"}, **extra)


class Forbidden(Problem):
    status = 403
    slug = "forbidden"
    title = "Not allowed for this caller"


class NotFound(Problem):
    status = 404
    slug = "not-found"
    title = "Not found"


class MethodNotAllowed(Problem):
    status = 405
    slug = "method-not-allowed"
    title = "Method not allowed"


class Conflict(Problem):
    status = 409
    slug = "conflict"
    title = "Conflict with the current state"


class IllegalTransition(Conflict):
    slug = "illegal-transition"
    title = "Move not open at this stage"

    def __init__(self, detail: str, *, allowed: Sequence[str]) -> None:
        super().__init__(detail, allowed=sorted(allowed))


class PreconditionFailed(Problem):
    status = 412
    slug = "precondition-failed"
    title = "The resource has changed"


class PayloadTooLarge(Problem):
    status = 413
    slug = "payload-too-large"
    title = "Request body too large"


class UnsupportedMediaType(Problem):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported media type"


class UnprocessableContent(Problem):
    status = 422
    slug = "validation-error"
    title = "The request is not valid"


class IdempotencyKeyReused(UnprocessableContent):
    slug = "idempotency-key-reused"
    title = "Idempotency-Key reused with a different request"


class InvalidCursor(UnprocessableContent):
    """A list `cursor` the server did not issue for this list and sort, or could not read."""

    slug = "invalid-cursor"
    title = "The cursor is not valid"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(
            detail or "pass next_cursor from the previous page of this list, unchanged",
            errors=[{"loc": ["query", "cursor"], "msg": "invalid cursor", "type": "value_error"}],
        )


class PreconditionRequired(Problem):
    status = 428
    slug = "precondition-required"
    title = "If-Match header required"


class TooManyRequests(Problem):
    status = 429
    slug = "too-many-requests"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int, **extra: Any) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))}, **extra)


class InternalError(Problem):
    status = 500
    slug = "internal-error"
    title = "Internal server error"


class ServiceUnavailable(Problem):
    status = 503
    slug = "service-unavailable"
    title = "Service temporarily unavailable"

    def __init__(self, detail: str | None = None, *, retry_after: int = 5) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class OAuthError(Problem):
    """A token-endpoint failure; `error` carries the RFC 6749 error code."""

    title = "Token request refused"

    def __init__(self, error: str, detail: str, *, status: int = 400) -> None:
        headers = {"WWW-Authenticate": "Basic"} if status == 401 else None
        super().__init__(detail, headers=headers, error=error)
        self.status = status

    @property
    def type_uri(self) -> str:
        return PROBLEM_BASE + "oauth-" + str(self.extra["error"]).replace("_", "-")
