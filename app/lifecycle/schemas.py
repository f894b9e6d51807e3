from typing import Annotated

from pydantic import StringConstraints

from app.core.schemas import Strict

Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)]


class VerbBody(Strict):
    """The body of every action verb; both optional unless the verb says it needs one."""

    message: Note | None = None
    reason: Note | None = None
