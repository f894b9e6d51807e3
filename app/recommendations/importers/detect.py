"""Which source format a file is, by its content, and reading it as that format."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from app.recommendations.importers import ohchr_matrix, uhri, upr_info
from app.recommendations.importers.base import (
    Container,
    ImportFormat,
    ParsedRow,
    RememberingResolver,
    UnreadableFile,
    open_table,
    sniff_container,
)
from app.states.names import StateNameResolver, UnknownStateName
from app.states.reference import default_resolver

_EXPECTED = "expected a UPR Info or UHRI export (.csv, .xls, .xlsx) or an OHCHR matrix (.docx)"
_READERS = {
    ImportFormat.uhri: uhri.read,
    ImportFormat.ohchr_matrix: ohchr_matrix.read,
    ImportFormat.upr_info: upr_info.read,
}


def detect_format(path: Path, filename: str | None = None) -> ImportFormat:
    """The format of the file at `path`, from its bytes and then its header row.

    The name is never trusted: `filename` (the name the user gave) only words the error when
    its extension contradicts the content.
    """
    try:
        container = sniff_container(path)
        if container is Container.docx:
            return ImportFormat.ohchr_matrix
        table = open_table(path)
    except UnreadableFile as error:
        raise UnreadableFile(f"{error}; {_EXPECTED}") from None
    if upr_info.matches(table.header):
        return ImportFormat.upr_info
    if uhri.matches(table.header):
        return ImportFormat.uhri
    header = ", ".join(name for name in table.header if name)
    raise UnreadableFile(
        f"the file is {container}{_misnamed(filename, container)} whose first row "
        f"({_shorten(header)}) is not the header of a UPR Info or UHRI export"
    )


def read_recommendations(
    path: Path,
    fmt: ImportFormat,
    *,
    state: str | None = None,
    resolver: StateNameResolver | None = None,
) -> Iterator[ParsedRow]:
    """Parse the file as `fmt`: a ParsedRecommendation or a RowRejection for each row.

    `state` (alpha-3) is the State under review wherever the file does not name it. Raises
    UnreadableFile before any row when the file as a whole is not of the format or is damaged;
    a defect found only further into a stream (an undecodable byte, a broken CSV quote) raises
    it from the iteration, and the caller should then drop the rows it already received.
    """
    names = RememberingResolver(resolver or default_resolver())
    if state is not None:
        try:
            state = names.require(state)
        except UnknownStateName as error:
            raise UnreadableFile(f"the given state: {error}") from None
    return _READERS[fmt](path, state=state, resolver=names)


_EXTENSIONS = {
    Container.text: ("csv", "txt", "tsv"),
    Container.xls: ("xls",),
    Container.xlsx: ("xlsx", "xlsm"),
}


def _misnamed(filename: str | None, container: Container) -> str:
    extension = filename.rsplit(".", 1)[-1].casefold() if filename and "." in filename else ""
    if not extension or extension in _EXTENSIONS.get(container, ()):
        return ""
    return f" (though its name ends in .{extension})"


def _shorten(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
