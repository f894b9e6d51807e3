"""Settings from the environment; names and defaults are part of the public contract (API.md)."""

import secrets
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

VAR_DIR = Path("var")
DEV_SECRET_FILE = VAR_DIR / "jwt_secret"
MIN_SECRET_LENGTH = 32


class PriorityWeights(BaseModel):
    """`PRIORITY_WEIGHTS`: the points each part of a request's priority is worth, the one
    place where they are set (applied and explained in app/assistance/priority.py).

    - Countries with special needs (the report, para. 46, and the UN grouping of LDCs, LLDCs
      and SIDS), conflict and particular needs are the largest parts, each a flag of the State.
    - What a State declares about its own request (urgency, the worst severity of its linked
      shortfalls) counts together for at most `self_declared_cap`, which must stay below the
      smallest of those weights: marking everything "critical" never buys the rank of one of
      them. Settings refuse to load otherwise.
    - Waiting earns `waiting_per_day` per whole day, up to `waiting_cap`.

    Given as JSON with any of these fields, e.g. `{"ldc": 4, "waiting_per_day": 0.1}`.
    """

    ldc: float = Field(default=3.0, ge=0, description="least developed country")
    lldc: float = Field(default=2.0, ge=0, description="landlocked developing country")
    sids: float = Field(default=3.0, ge=0, description="small island developing State")
    emerging_from_conflict: float = Field(
        default=3.0, ge=0, description="emerging from conflict (set by OHCHR)"
    )
    particular_needs: float = Field(
        default=2.0, ge=0, description="other particular needs (set by OHCHR)"
    )
    urgency: dict[str, float] = Field(
        default_factory=lambda: {"low": 0.0, "medium": 0.5, "high": 1.0, "critical": 1.5},
        description="urgency the State declared, by level (self-declared)",
    )
    shortfall_severity: dict[str, float] = Field(
        default_factory=lambda: {"low": 0.25, "medium": 0.5, "high": 1.0, "critical": 1.5},
        description="worst severity of the linked shortfalls, by level (self-declared)",
    )
    self_declared_cap: float = Field(
        default=1.5,
        ge=0,
        description="most that urgency and shortfall severity add together; below every "
        "special-needs weight",
    )
    waiting_per_day: float = Field(default=0.05, ge=0, description="per whole day waited")
    waiting_cap: float = Field(default=3.0, ge=0, description="most that waiting adds")

    @field_validator("urgency", "shortfall_severity")
    @classmethod
    def _levels_not_negative(cls, levels: dict[str, float]) -> dict[str, float]:
        negative = sorted(level for level, points in levels.items() if points < 0)
        if negative:
            raise ValueError(f"levels may not weigh less than 0: {', '.join(negative)}")
        return levels

    def special_needs(self) -> dict[str, float]:
        """The weights that what a State declares about itself must never outweigh."""
        return {
            "ldc": self.ldc,
            "lldc": self.lldc,
            "sids": self.sids,
            "emerging_from_conflict": self.emerging_from_conflict,
            "particular_needs": self.particular_needs,
        }

    @model_validator(mode="after")
    def _self_declared_below_special_needs(self) -> "PriorityWeights":
        name, smallest = min(self.special_needs().items(), key=lambda item: item[1])
        if self.self_declared_cap >= smallest:
            raise ValueError(
                f"PRIORITY_WEIGHTS: self_declared_cap ({self.self_declared_cap:g}) must be below "
                f"the smallest special-needs weight ({name} = {smallest:g}), so that declared "
                "urgency and shortfall severity never outweigh being an LDC, LLDC, SIDS, "
                "emerging from conflict or with particular needs"
            )
        return self


class Environment(StrEnum):
    development = "development"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = f"sqlite:///{VAR_DIR / 'item10.db'}"
    jwt_secret: str = ""
    environment: Environment = Environment.development
    access_token_minutes: int = Field(default=60, ge=1, le=24 * 60)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    max_upload_bytes: int = Field(default=52_428_800, ge=1024)
    rate_limit_per_minute: int = Field(default=600, ge=0)
    # Matching: a pairing scoring below this (of 1) is never a candidate nor proposed
    # (MATCHING_MIN_SCORE). The type and modality, both required, give 0.25; 0.4 asks 0.15 more
    # of languages, themes, SDG targets, geography, availability and capacity together: a
    # remote provider speaking the one requested language passes on that alone, one speaking
    # one of three, covering no theme, free a tenth of the window and nearly full does not.
    matching_min_score: float = Field(default=0.4, ge=0.0, le=1.0)
    login_attempts_per_minute: int = Field(default=10, ge=1)
    redis_url: str | None = None
    cors_origins: Annotated[list[str], NoDecode] = []
    jwt_issuer: str = "item10-platform"
    jwt_audience: str = "item10-api"
    log_level: str = "INFO"
    # JSON objects, applied in app/assistance/priority.py and app/assistance/queue.py.
    priority_weights: PriorityWeights = Field(default_factory=PriorityWeights)
    service_targets: dict[str, int] = Field(
        default_factory=lambda: {"submitted": 10, "in_triage": 15, "accepted": 30}
    )
    # Days a provider has to answer an offer (app/matching/lifecycle.py).
    offer_response_days: int = Field(default=10, ge=1, le=365)

    # Background work (app/jobs): unset, the web process runs a worker in development only.
    worker_in_process: bool | None = None
    worker_concurrency: int = Field(default=2, ge=1, le=64)
    worker_poll_seconds: float = Field(default=0.5, gt=0, le=60)
    worker_lease_seconds: float = Field(default=60.0, ge=1, le=3600)
    # Push (app/webhooks): the address resources are linked from in events, e.g.
    # `https://item10.ohchr.org`; empty links by path alone (`/api/v1/...`).
    public_url: str = ""
    webhook_allow_private_addresses: bool = False
    webhook_disable_after_days: float = Field(default=3.0, gt=0, le=90)
    # Longest wait of one delivery attempt (connecting takes at most 5 s of it).
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # Reminders (app/reminders): e-mail through this relay; none configured, e-mail is off.
    smtp_url: str | None = None
    smtp_from: str = "item10@localhost"
    reporting_deadline_notice_days: int = Field(default=30, ge=1, le=365)
    # Analytics (app/analytics): a figure anyone but OHCHR reads, drawn from fewer of other
    # States' objects than this, is suppressed (`PUBLIC_MIN_CELL`).
    public_min_cell: int = Field(default=3, ge=1, le=100)
    # Anonymous reads of public data may be kept by shared caches this long, in seconds
    # (app/core/http_cache.py); 0: never (`PUBLIC_CACHE_SECONDS`).
    public_cache_seconds: int = Field(default=60, ge=0, le=86_400)
    # The officer console (app/console): how long a sign-in lasts (`CONSOLE_SESSION_HOURS`).
    console_session_hours: int = Field(default=8, ge=1, le=24 * 7)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @model_validator(mode="after")
    def _secret_is_real_in_production(self) -> "Settings":
        if self.environment is Environment.production and len(self.jwt_secret) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"JWT_SECRET must be set to at least {MIN_SECRET_LENGTH} characters in production"
            )
        return self

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.production

    @property
    def runs_worker_in_process(self) -> bool:
        """`WORKER_IN_PROCESS`, by default on in development and off in production."""
        if self.worker_in_process is None:
            return not self.is_production
        return self.worker_in_process

    def signing_secret(self) -> str:
        """The configured secret, or in development one generated once and kept under ./var/."""
        if self.jwt_secret:
            return self.jwt_secret
        if not DEV_SECRET_FILE.exists():
            VAR_DIR.mkdir(parents=True, exist_ok=True)
            DEV_SECRET_FILE.write_text(secrets.token_urlsafe(48))
            DEV_SECRET_FILE.chmod(0o600)
        self.jwt_secret = DEV_SECRET_FILE.read_text().strip()
        return self.jwt_secret


@cache
def get_settings() -> Settings:
    return Settings()
