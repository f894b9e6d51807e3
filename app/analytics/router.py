"""Analytics, charts, spreadsheets and report drafts: HTTP only."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from app.analytics import report_draft
from app.core.deps import DbSession
from app.core.errors import NotFound
from app.core.guards import require
from app.core.principal import Principal, Role
from app.states.service import get_state

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

router = APIRouter(prefix="/analytics", tags=["analytics"])
drafts_router = APIRouter(prefix="/states", tags=["analytics"])

StateOrOhchr = Annotated[
    Principal,
    Depends(
        require(
            Role.state_contributor, Role.state_focal_point, Role.ohchr_officer, Role.ohchr_admin
        )
    ),
]


def _document(content: bytes, filename: str) -> Response:
    return Response(
        content,
        media_type=DOCX,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@drafts_router.get(
    "/{code}/report-draft.docx",
    operation_id="get_state_report_draft",
    response_class=Response,
    responses={200: {"content": {DOCX: {"schema": {"type": "string", "format": "binary"}}}}},
)
def get_state_report_draft(
    who: StateOrOhchr,
    db: DbSession,
    code: Annotated[str, Path(min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$")],
    mechanism: Annotated[str | None, Query(max_length=40)] = None,
    cycle: Annotated[int | None, Query(ge=1, le=99)] = None,
) -> Response:
    """A State's implementation report draft as a Word document: its recommendations grouped by
    theme as the OHCHR matrices are, each with the latest progress, shortfalls and assistance
    received. The State's own members and OHCHR; another State's is not found."""
    state = get_state(db, code)
    if who.is_state and who.state_code != state.code:
        raise NotFound(f"no State with the code {code!r}")
    content = report_draft.build_report_draft(
        db, who, state.code, mechanism=mechanism, cycle=cycle
    )
    return _document(content, f"{state.code}-report-draft.docx")
