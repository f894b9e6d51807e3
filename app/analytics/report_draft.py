"""A State's implementation report draft (DOCX). Being written: see the analytics brief."""

from sqlmodel import Session

from app.core.principal import Principal


def build_report_draft(
    db: Session, who: Principal, state_code: str, *, mechanism: str | None, cycle: int | None
) -> bytes:
    raise NotImplementedError
