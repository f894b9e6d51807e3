"""The assistance figures as CSV and XLSX: the same rows as the JSON groups, flattened (the key's
dimensions first, then each figure by its dotted path), named as a file to download; a grouping
or a format the API does not know is a 422 problem."""

import csv
import io
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.analytics import support
from tests.analytics.support import ANALYTICS, Dataset, Headers, Json, Observed, analytics
from tests.core.test_problems import assert_problem

connection = support.module_connection
built = support.built_once
rolled_back_each_test = support.savepoint_per_test

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# (who asks, what): an officer's figures with a null key (no theme), the public's with
# withheld cells, and the single group of no grouping.
CASES = {
    "officer by region and theme": ("officer", {"group_by": "region,theme"}),
    "public by state": ("anonymous", {"group_by": "state"}),
    "officer, no grouping, one filter": ("officer", {"region": "Americas"}),
}


def headers_of(who: str, data: Dataset) -> Headers:
    return data.officer if who == "officer" else {}


def expected_rows(answer: Json) -> list[dict[str, Any]]:
    """Each group as one row: its key by dimension, then its figures by dotted path."""
    rows = []
    for group in answer["groups"]:
        figures = {k: v for k, v in group.items() if k not in ("key", "suppressed_figures")}
        rows.append({**group["key"], **support.flatten(figures)})
    return rows


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def download(client: TestClient, headers: Headers, media: str, **params: str) -> httpx.Response:
    response: httpx.Response = client.get(ANALYTICS, params=params, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media
    return response


def csv_rows(response: httpx.Response) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(response.content.decode("utf-8")))
    return list(reader.fieldnames or []), list(reader)


def assert_columns(columns: list[str], answer: Json) -> None:
    """The dimensions first, by name, then every figure (and no `key.` prefix anywhere)."""
    dimensions = answer["group_by"]
    assert columns[: len(dimensions)] == dimensions
    figures = set(expected_rows(answer)[0]) - set(dimensions)
    # The withheld figures' names may be listed too; their nulls already say which they are.
    assert figures <= set(columns[len(dimensions) :]) <= figures | {"suppressed_figures"}
    assert len(columns) == len(set(columns))
    assert "outcomes.accepted.requests" in columns
    assert "time_to_stage.completed.p90_working_days" in columns


def assert_same_value(found: Any, wanted: Any, where: object) -> None:
    if isinstance(wanted, float) and found not in ("", None):
        assert float(found) == pytest.approx(wanted), where
    else:
        assert found == wanted, where


@pytest.mark.parametrize("case", list(CASES))
def test_csv_rows_are_the_json_groups_flattened(
    client: TestClient, built: tuple[Dataset, Observed], case: str
) -> None:
    who, params = CASES[case]
    headers = headers_of(who, built[0])
    answer = analytics(client, headers, **params)

    columns, rows = csv_rows(download(client, headers, "text/csv", format="csv", **params))

    assert_columns(columns, answer)
    wanted = expected_rows(answer)
    assert len(rows) == len(wanted) >= 1
    for row, group in zip(rows, wanted, strict=True):
        for column, value in group.items():
            assert_same_value(
                row[column], value if isinstance(value, float) else as_text(value), column
            )


@pytest.mark.parametrize("case", list(CASES))
def test_accept_text_csv_gives_the_same_csv_as_format_csv(
    client: TestClient, built: tuple[Dataset, Observed], case: str
) -> None:
    who, params = CASES[case]
    headers = headers_of(who, built[0])
    by_parameter = download(client, headers, "text/csv", format="csv", **params)
    by_header = download(client, {**headers, "Accept": "text/csv"}, "text/csv", **params)
    assert by_header.content == by_parameter.content


@pytest.mark.parametrize("case", list(CASES))
def test_the_workbook_holds_the_same_rows(
    client: TestClient, built: tuple[Dataset, Observed], case: str
) -> None:
    who, params = CASES[case]
    headers = headers_of(who, built[0])
    answer = analytics(client, headers, **params)

    content = download(client, headers, XLSX, format="xlsx", **params).content

    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert_columns(header, answer)
    wanted = expected_rows(answer)
    assert len(rows) == len(wanted)
    for row, group in zip(rows, wanted, strict=True):
        found = dict(zip(header, row, strict=True))
        for column, value in group.items():
            assert_same_value(found[column], value, column)


def test_accept_of_the_workbook_type_gives_the_workbook(
    client: TestClient, built: tuple[Dataset, Observed]
) -> None:
    headers = {**built[0].officer, "Accept": XLSX}
    by_header = download(client, headers, XLSX, group_by="year")
    sheet = load_workbook(io.BytesIO(by_header.content)).worksheets[0]
    assert next(sheet.iter_rows(values_only=True))[0] == "year"


@pytest.mark.parametrize(
    ("fmt", "media", "suffix"), [("csv", "text/csv", ".csv"), ("xlsx", XLSX, ".xlsx")]
)
def test_a_download_names_its_file(
    client: TestClient, built: tuple[Dataset, Observed], fmt: str, media: str, suffix: str
) -> None:
    response = download(client, {}, media, format=fmt, group_by="region")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment")
    assert 'filename="' in disposition
    assert disposition.rstrip('"').endswith(suffix)


def test_json_stays_the_default_whatever_else_is_accepted(
    client: TestClient, built: tuple[Dataset, Observed]
) -> None:
    response = client.get(ANALYTICS, headers={"Accept": "*/*"})
    assert response.headers["content-type"].startswith("application/json")
    assert "content-disposition" not in response.headers


@pytest.mark.parametrize(
    "params",
    [
        {"group_by": "colour"},
        {"group_by": "region,colour"},
        {"group_by": "mechanism"},
        {"format": "pdf"},
        {"format": "xlsx", "group_by": "nothing"},
    ],
)
def test_an_unknown_grouping_or_format_is_a_422_problem(
    client: TestClient, built: tuple[Dataset, Observed], params: dict[str, str]
) -> None:
    for headers in ({}, built[0].officer, {"Accept": "text/csv"}):
        assert_problem(
            client.get(ANALYTICS, params=params, headers=headers), 422, "validation-error"
        )
