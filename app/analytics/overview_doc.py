"""OHCHR's technical cooperation overview for a year (DOCX). Being written."""

from sqlmodel import Session

from app.analytics.reader import Reader
from app.core.settings import Settings


def build_overview(db: Session, reader: Reader, settings: Settings, year: int) -> bytes:
    raise NotImplementedError
