"""The catalogue's answers are written straight from plain values (`read_models.json_answer`),
not through the response models: they must be, byte for byte, what the models would write.
Each answer is read back into its model and written again by it; the bytes must not move."""

from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlmodel import Session

from app.core.principal import Role
from app.core.settings import Settings
from app.recommendations.schemas import RecommendationPage, RecommendationRead
from tests.factories import auth, make_recommendation, make_user
from tests.recommendations.test_imports import _csv_bytes, _upload, _upr_info_rows, needs_samples

CATALOGUE = "/api/v1/recommendations"


def _as_the_model_writes_it(model: type[BaseModel], body: bytes) -> bytes:
    return model.model_validate_json(body).model_dump_json(by_alias=True).encode()


def _assert_pages_as_the_model_writes_them(client: TestClient, query: str) -> int:
    seen, url = 0, f"{CATALOGUE}?limit=100&{query}"
    while url:
        answer = client.get(url)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "application/json"
        assert answer.content == _as_the_model_writes_it(RecommendationPage, answer.content)
        for item in answer.json()["items"]:
            one = client.get(f"{CATALOGUE}/{item['id']}")
            assert one.content == _as_the_model_writes_it(RecommendationRead, one.content)
            assert one.headers["etag"] == f'"{item["version"]}"'
            seen += 1
        cursor = answer.json()["next_cursor"]
        url = f"{CATALOGUE}?limit=100&{query}&cursor={cursor}" if cursor else ""
    return seen


def test_awkward_recommendations_are_written_as_their_model_writes_them(
    client: TestClient, db: Session
) -> None:
    make_recommendation(
        db,
        text='Garantir l\'accès à la justice — « sans délai » et 無料で \\ "quoted"',
        cycle=None,
        session=None,
        position=None,
        recommending=("NZL", "FRA", "BRA"),
        themes=((None, "Women's rights"), ("B31", "Equality & non-discrimination")),
        persons=(),
        sdgs=("16", "5.c", "16.10", "4.1"),
        document_symbol="A/HRC/39/8",
        paragraph="186.28",
    )
    make_recommendation(db, mechanism="crc", body="CRC", recommending=(), themes=(), sdgs=())
    db.commit()
    assert _assert_pages_as_the_model_writes_them(client, "state=WSM") == 2


@needs_samples
def test_imported_recommendations_are_written_as_their_model_writes_them(
    client: TestClient, db: Session, settings: Settings
) -> None:
    admin = auth(settings, make_user(db, role=Role.ohchr_admin))
    report = _upload(client, admin, "part.csv", _csv_bytes(_upr_info_rows(150)))
    assert report["created"] == 150
    assert _assert_pages_as_the_model_writes_them(client, "") >= 150
