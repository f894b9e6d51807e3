"""Parsers of the files States and OHCHR hold (UPR Info and UHRI exports, OHCHR matrices) into
streams of parsed rows. No database here: the catalogue's import service consumes the rows."""

from app.recommendations.importers.base import (
    ImportFormat,
    ParsedRecommendation,
    ParsedRow,
    RowRejection,
    ThemeTerm,
    UnreadableFile,
)
from app.recommendations.importers.detect import detect_format, read_recommendations

__all__ = [
    "ImportFormat",
    "ParsedRecommendation",
    "ParsedRow",
    "RowRejection",
    "ThemeTerm",
    "UnreadableFile",
    "detect_format",
    "read_recommendations",
]
