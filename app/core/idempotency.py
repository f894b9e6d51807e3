"""`Idempotency-Key` on creating POSTs: a retried request gets the first answer, never a twin.

The record is written in the same transaction as the object it created, so either both exist or
neither does. Two requests racing with one key collide on the unique (owner, key) constraint;
the loser rolls back its savepoint and replays the winner's answer.
"""

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import BigInteger, Integer, UniqueConstraint, delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, select

from app.core.concurrency import etag_of
from app.core.errors import IdempotencyKeyReused
from app.core.models import JSONType, UTCDateTime, utcnow

KEY_LIFETIME = timedelta(hours=24)
REPLAY_HEADER = "Idempotent-Replayed"

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Repeat a creating request safely: the same key and body replay the first "
        "answer for 24 hours; the same key with another body is 422.",
    ),
]


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("owner", "key"),)

    id: int | None = Field(
        default=None, primary_key=True, sa_type=BigInteger().with_variant(Integer(), "sqlite")
    )
    owner: str = Field(max_length=80)
    key: str = Field(max_length=255)
    fingerprint: str = Field(max_length=64)
    status_code: int
    body: dict[str, Any] = Field(sa_type=JSONType)
    location: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


Created = tuple[BaseModel, str]
"""What a create function returns: the object as the API shows it, and its URL."""


def fingerprint(method: str, path: str, body: BaseModel | None) -> str:
    payload = body.model_dump(mode="json", exclude_unset=True) if body is not None else None
    canonical = json.dumps([method, path, payload], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _headers(body: dict[str, Any], location: str | None) -> dict[str, str]:
    headers = {"Location": location} if location else {}
    if isinstance(body.get("version"), int):
        headers["ETag"] = etag_of(body["version"])
    return headers


def created_response(obj: BaseModel, location: str, status_code: int = 201) -> JSONResponse:
    body = obj.model_dump(mode="json")
    return JSONResponse(body, status_code=status_code, headers=_headers(body, location))


def create_once(
    db: Session,
    *,
    owner: str,
    key: str | None,
    request_fingerprint: str,
    create: Callable[[], Created],
    never_replayed: frozenset[str] = frozenset(),
    status_code: int = 201,
) -> JSONResponse:
    """Run `create` unless this owner already used `key`; answer `status_code` (201, or 202 for
    work queued as a job) or replay the first answer.

    Fields in `never_replayed` (secrets shown once) are not stored, so a replay omits them.
    """
    if key is None:
        return created_response(*create(), status_code=status_code)
    existing = _live_record(db, owner, key)
    if existing is not None:
        return _replay(existing, request_fingerprint)
    try:
        with db.begin_nested():
            obj, location = create()
            kept = obj.model_dump(mode="json", exclude=set(never_replayed))
            db.add(_record(owner, key, request_fingerprint, kept, location, status_code))
            db.flush()
    except IntegrityError:
        existing = _live_record(db, owner, key)
        if existing is None:
            raise
        return _replay(existing, request_fingerprint)
    return created_response(obj, location, status_code)


def _record(
    owner: str,
    key: str,
    request_fingerprint: str,
    body: dict[str, Any],
    location: str,
    status_code: int,
) -> IdempotencyRecord:
    return IdempotencyRecord(
        owner=owner,
        key=key,
        fingerprint=request_fingerprint,
        status_code=status_code,
        body=body,
        location=location,
    )


def _live_record(db: Session, owner: str, key: str) -> IdempotencyRecord | None:
    record = db.exec(
        select(IdempotencyRecord).where(
            IdempotencyRecord.owner == owner, IdempotencyRecord.key == key
        )
    ).first()
    if record is not None and record.created_at < utcnow() - KEY_LIFETIME:
        db.exec(delete(IdempotencyRecord).where(IdempotencyRecord.id == record.id))  # type: ignore[arg-type]
        db.flush()
        return None
    return record


def _replay(record: IdempotencyRecord, request_fingerprint: str) -> JSONResponse:
    if record.fingerprint != request_fingerprint:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was used for a different request; use a new key"
        )
    headers = _headers(record.body, record.location) | {REPLAY_HEADER: "true"}
    return JSONResponse(record.body, status_code=record.status_code, headers=headers)


def purge_expired(db: Session) -> int:
    cutoff = utcnow() - KEY_LIFETIME
    result = db.exec(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff))  # type: ignore[arg-type]
    return int(result.rowcount or 0)
