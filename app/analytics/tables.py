"""Analytics answers as tables: one row per group, the key's dimensions first, then every figure
by its dotted path (`outcomes.accepted.requests`), as CSV or as an XLSX workbook."""

import csv
import io
from collections.abc import Iterator
from typing import Any

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOT_FIGURES = ("key", "suppressed", "suppressed_figures")


def _flat(values: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for name, value in values.items():
        path = f"{prefix}{name}"
        if isinstance(value, dict):
            yield from _flat(value, f"{path}.")
        else:
            yield path, value


def table(answer: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """(columns, rows) of an answer's groups."""
    dimensions = list(answer["group_by"])
    figure_rows = [
        dict(_flat({k: v for k, v in group.items() if k not in NOT_FIGURES}))
        for group in answer["groups"]
    ]
    figure_columns = list(dict.fromkeys(path for row in figure_rows for path in row))
    rows = [
        [group["key"].get(d) for d in dimensions]
        + [group["suppressed"]]
        + [figures.get(path) for path in figure_columns]
        for group, figures in zip(answer["groups"], figure_rows, strict=True)
    ]
    return [*dimensions, "suppressed", *figure_columns], rows


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def as_csv(answer: dict[str, Any]) -> bytes:
    columns, rows = table(answer)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return out.getvalue().encode()


def as_xlsx(answer: dict[str, Any], title: str) -> bytes:
    """A workbook with the figures and a sheet saying what they were drawn from."""
    from openpyxl import Workbook  # imported when a workbook is asked for: it is large

    columns, rows = table(answer)
    book = Workbook(write_only=True)
    figures = book.create_sheet("figures")
    figures.append(columns)
    for row in rows:
        figures.append(row)
    about = book.create_sheet("about")
    about.append(["title", title])
    for name, value in _flat({k: v for k, v in answer.items() if k != "groups"}):
        about.append([name, ", ".join(value) if isinstance(value, list) else _text(value)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _text(value: Any) -> Any:
    """What a spreadsheet cell holds: numbers and text as they are, the rest as text."""
    if value is None or isinstance(value, int | float | str):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
