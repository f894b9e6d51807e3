"""Offers sent at the same moment, with real commits on real connections: capacity and the
one-live-offer rule must hold under a race, not only one request at a time."""

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import col, func, select

from app.core.db import Database
from app.core.principal import Role
from app.core.settings import Settings
from app.expertise.models import OCCUPYING, Assignment, Provider, ProviderKind
from app.main import create_app
from tests.conftest import make_settings
from tests.factories import auth, make_user
from tests.matching.support import ALL_YEAR, ASSIGNMENTS, Headers, stored_request

RACERS = 6


@dataclass
class Live:
    app: FastAPI
    settings: Settings
    database: Database

    def send_all(self, requests: list[dict[str, Any]]) -> list[httpx.Response]:
        async def run() -> list[httpx.Response]:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return list(await asyncio.gather(*(client.request(**r) for r in requests)))

        return asyncio.run(run())


@pytest.fixture
def live(fresh_database: str) -> Iterator[Live]:
    settings = make_settings(fresh_database)
    app_database = Database.from_url(fresh_database)
    database = Database.from_url(fresh_database)
    try:
        yield Live(create_app(settings, app_database), settings, database)
    finally:
        app_database.dispose()
        database.dispose()


def roster_entry(live: Live, capacity: int) -> uuid.UUID:
    with live.database.transaction() as db:
        provider = Provider(
            name=f"Racer {uuid.uuid4().hex[:6]}",
            kind=ProviderKind.human_rights_adviser,
            assistance_types=["training_of_officials"],
            languages=["en"],
            modalities=["in_country"],
            capacity=capacity,
            availability=ALL_YEAR,
        )
        db.add(provider)
        db.flush()
        return provider.id


def setup(live: Live, *, requests: int) -> tuple[Headers, list[str]]:
    with live.database.transaction() as db:
        officer = auth(live.settings, make_user(db, role=Role.ohchr_officer))
        ids = [stored_request(db, state="NPL") for _ in range(requests)]
    return officer, ids


def live_offers(live: Live, column: Any, value: object) -> int:
    with live.database.session() as db:
        return int(
            db.exec(
                select(func.count())
                .select_from(Assignment)
                .where(column == value, col(Assignment.status).in_(OCCUPYING))
            ).one()
        )


def offer_call(officer: Headers, request_id: str, provider_id: object) -> dict[str, Any]:
    body = {"request_id": request_id, "provider_id": str(provider_id)}
    return {"method": "POST", "url": ASSIGNMENTS, "json": body, "headers": officer}


def test_racing_offers_never_exceed_a_providers_capacity(live: Live) -> None:
    """Bug on PostgreSQL: `offer` counts the provider's live assignments and inserts with no
    lock, so under READ COMMITTED several racers all see a free slot and all win
    (app/matching/service.py, `offer`)."""
    officer, requests = setup(live, requests=RACERS)
    provider_id = roster_entry(live, capacity=1)

    responses = live.send_all([offer_call(officer, r, provider_id) for r in requests])

    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [409] * (RACERS - 1), [r.text for r in responses]
    assert live_offers(live, Assignment.provider_id, provider_id) == 1


def test_racing_offers_of_one_request_leave_one_live_offer(live: Live) -> None:
    """Bug on PostgreSQL: the check for a pending offer and the insert are not atomic and no
    constraint backs them (app/matching/service.py, `offer`)."""
    officer, (request_id,) = setup(live, requests=1)
    providers = [roster_entry(live, capacity=1) for _ in range(RACERS)]

    responses = live.send_all([offer_call(officer, request_id, p) for p in providers])

    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [409] * (RACERS - 1), [r.text for r in responses]
    assert live_offers(live, Assignment.request_id, uuid.UUID(request_id)) == 1
