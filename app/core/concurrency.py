"""`ETag` / `If-Match`: no client overwrites a change it has not seen."""

from typing import Annotated

from fastapi import Depends, Header, Response

from app.core.errors import PreconditionFailed, PreconditionRequired

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=200,
        description="The ETag of the version being changed; required (428 without, 412 if stale).",
    ),
]


def etag_of(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag_of(version)


def require_match(if_match: str | None, current_version: int) -> None:
    """Accept `*`, or any listed tag (weak or strong) equal to the current version."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequired("send If-Match with the ETag of the version you are changing")
    offered = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if "*" in offered or etag_of(current_version) in offered:
        return
    raise PreconditionFailed(
        f"the resource is at version {current_version}; reload it and retry",
        current_etag=etag_of(current_version),
    )


async def conditional_if_match(  # async: FastAPI runs a plain dependency in the thread pool
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            max_length=200,
            description="Optional: the ETag of the version you last read. When sent and stale, "
            "the answer is 412 and nothing is done.",
        ),
    ] = None,
) -> str | None:
    return if_match


# Action verbs honour `If-Match` when it is sent and do not require it (API.md).
ConditionalIfMatch = Annotated[str | None, Depends(conditional_if_match)]


def check_match(if_match: str | None, current_version: int) -> None:
    """`If-Match`, when sent, must name the current version (RFC 9110 section 13.1.1)."""
    if if_match is not None and if_match.strip():
        require_match(if_match, current_version)
