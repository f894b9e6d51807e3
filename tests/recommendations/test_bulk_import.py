"""The bulk path of an import (COPY on PostgreSQL, one executemany on SQLite): rows, links and
search as an ORM insert leaves them; all or nothing, also when the database refuses a row or
the file turns unreadable part-way; first rows remembered as digests; the term cache
forgetting what coding a theme changes."""

import csv
import datetime
import io
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.core.models import utcnow
from app.recommendations import importing
from app.recommendations.importers import ImportFormat, UnreadableFile, read_recommendations
from app.recommendations.importing import FirstRows, bulk_insert
from app.recommendations.models import (
    Recommendation,
    RecommendationImport,
    RecommendationTheme,
    RecommendingState,
)
from app.taxonomies.models import Theme
from app.taxonomies.service import TermCache
from tests.recommendations.test_import_jobs import HEADER, count, upr_info_csv

TRICKY_TEXTS = [
    "Tabs\there, a backslash \\ and \\N, quotes ' \" and a newline\nthen a second line",
    "Côte d\u2019Ivoire, Türkiye, São Tomé; 中文; 🙂",
    "\\.",  # the end of data in COPY's text format
    "Ratify 100% of 'them' %s {} $1 ? :name",
]


def _values(key: str, text: str) -> dict[str, Any]:
    now = utcnow()
    return {
        "id": uuid.uuid4(),
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "source_key": key,
        "source_format": "test",
        "uhri_id": None,
        "state_code": "WSM",
        "mechanism": "upr",
        "body": "UPR",
        "cycle": 2,
        "session": 25,
        "document_symbol": "A/HRC/25/5",
        "paragraph": "186.28",
        "position_source": "Supported/Noted",
        "date": datetime.date(2014, 1, 16),
        "text": text,
        "position": "supported_in_part",
        "action_category": 5,
        "content_hash": "f" * 64,
        "last_import_id": uuid.uuid4(),
    }


def _stored(db: Session, key: str) -> dict[str, Any]:
    db.expire_all()
    row = db.exec(select(Recommendation).where(Recommendation.source_key == key)).one()
    return row.model_dump(exclude={"id", "source_key", "last_import_id"})


@pytest.mark.parametrize("text", TRICKY_TEXTS)
def test_bulk_insert_stores_rows_and_links_as_an_orm_insert_does(
    client: TestClient, db: Session, text: str
) -> None:
    bulk, orm = _values(f"bulk:{text}", text), _values(f"orm:{text}", text)
    orm |= {"created_at": bulk["created_at"], "updated_at": bulk["updated_at"]}
    theme_id = TermCache(db).theme_id("A12", "Acceptance of international norms")
    bulk_insert(db, Recommendation, [bulk])
    bulk_insert(db, RecommendingState, [{"recommendation_id": bulk["id"], "state_code": "NZL"}])
    bulk_insert(
        db,
        RecommendationTheme,
        [{"recommendation_id": bulk["id"], "theme_id": theme_id, "label": text[:300]}],
    )
    db.execute(insert(Recommendation), [orm])
    db.execute(insert(RecommendingState), [{"recommendation_id": orm["id"], "state_code": "NZL"}])
    db.execute(
        insert(RecommendationTheme),
        [{"recommendation_id": orm["id"], "theme_id": theme_id, "label": text[:300]}],
    )

    assert _stored(db, bulk["source_key"]) == _stored(db, orm["source_key"])
    api = {
        key: client.get(f"/api/v1/recommendations/{values['id']}").json()
        for key, values in (("bulk", bulk), ("orm", orm))
    }
    assert api["bulk"].pop("id") == str(bulk["id"])
    assert api["orm"].pop("id") == str(orm["id"])
    for read in api.values():
        read["source"].pop("import_id")
    assert api["bulk"] == api["orm"]
    assert api["bulk"]["recommending_states"] == ["NZL"]
    assert api["bulk"]["themes"][0]["source_label"] == text[:300]


def test_bulk_inserted_rows_are_found_by_words(client: TestClient, db: Session) -> None:
    bulk, orm = _values("bulk:words", "Abolish flogging"), _values("orm:words", "Abolish flogging")
    bulk_insert(db, Recommendation, [bulk])
    db.execute(insert(Recommendation), [orm])
    db.flush()
    found = client.get("/api/v1/recommendations", params={"q": "flogging"}).json()["items"]
    assert {item["id"] for item in found} == {str(bulk["id"]), str(orm["id"])}


def test_a_row_the_database_refuses_part_way_undoes_the_whole_import(
    db: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The refusal comes from the third chunk's bulk insert (a State that does not exist):
    SQLAlchemy's IntegrityError reaches the caller, and the chunks before it are undone."""
    monkeypatch.setattr(importing, "CHUNK_SIZE", 10)
    real_columns = importing._columns

    def unknown_state_on_row_25(*args: Any) -> dict[str, Any]:
        columns = real_columns(*args)
        return columns | {"state_code": "ZZZ"} if args[0].row == 25 else columns

    monkeypatch.setattr(importing, "_columns", unknown_state_on_row_25)
    path = tmp_path / "export.csv"
    path.write_bytes(upr_info_csv(40))

    with pytest.raises(IntegrityError):
        importing.import_file(db, None, path, filename=path.name)
    assert count(db, Recommendation) == 0


def _unreadable_at_the_end(path: Path, rows: int) -> Path:
    """A UTF-8 export whose last row is in Latin-1, past the first 512 KiB (where the encoding
    is decided), so the file is found unreadable only part-way."""
    table = [HEADER, ["Samoa", "", "", "Côte d'Ivoire first", "Fiji", "", "", "", "", "", "11"]]
    for n in range(rows):
        text = f"Ratify convention number {n} " + "on the rights of persons " * 10
        table.append(["Samoa", "Asia", "", text, "Fiji", "Asia", "", "Accepted", "4", "", "11"])
    buffer = io.StringIO()
    csv.writer(buffer).writerows(table)
    latin_1_row = "Samoa,caf\xe9,Fiji,,,,,,,,11\r\n".encode("latin-1")
    path.write_bytes(buffer.getvalue().encode() + latin_1_row)
    assert path.stat().st_size > 600_000
    return path


def test_a_file_unreadable_part_way_fails_counting_the_rows_before_it(
    db: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importing, "CHUNK_SIZE", 100)
    path = _unreadable_at_the_end(tmp_path / "export.csv", 2_500)
    readable = 0
    with pytest.raises(UnreadableFile):
        for _ in read_recommendations(path, ImportFormat.upr_info):
            readable += 1
    assert readable > 1_000

    report = importing.import_file(db, None, path, filename=path.name)

    assert report.status == "failed"
    assert report.error is not None and "cannot be read" in report.error
    assert report.rows_read == readable
    assert report.created == readable // 100 * 100  # the chunks stored, then undone
    assert count(db, Recommendation) == 0
    assert db.get(RecommendationImport, report.id) is not None


def test_first_rows_tell_duplicates_from_conflicts() -> None:
    first = FirstRows()
    assert first.earlier("upr_info:WSM:1", 2, "a" * 64) is None
    assert first.earlier("upr_info:WSM:2", 3, "b" * 64) is None
    assert first.earlier("upr_info:WSM:1", 7, "a" * 64) == (2, True)
    assert first.earlier("upr_info:WSM:1", 9, "c" * 64) == (2, False)
    assert first.earlier("upr_info:WSM:2", 70_000, "b" * 64) == (3, True)


def test_term_cache_forgets_what_coding_a_theme_changes(db: Session) -> None:
    terms = TermCache(db)
    name = "Zorblax rights"
    ((uncoded, label),) = terms.theme_links(None, name)
    assert label is None and terms.unknown_themes == {name: None}
    assert terms.theme_links("Z99", name) == [(uncoded, None)]  # the same row, now coded

    assert terms.theme_links(None, name) == [(uncoded, name)]  # through its code, labelled
    theme = db.get(Theme, uncoded)
    assert theme is not None and theme.code == "Z99"
    assert db.exec(select(Theme).where(col(Theme.key) == "zorblax rights")).one().id == uncoded
