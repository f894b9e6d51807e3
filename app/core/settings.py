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
    """`PRIORITY_WEIGHTS`: the points each part of a request's priority is worth
    (applied in app/assistance/priority.py)."""

    ldc: float = 3.0
    sids: float = 3.0
    emerging_from_conflict: float = 3.0
    particular_needs: float = 2.0
    urgency: dict[str, float] = Field(
        default_factory=lambda: {"low": 0.0, "medium": 1.0, "high": 2.0, "critical": 3.0}
    )
    shortfall_severity: dict[str, float] = Field(
        default_factory=lambda: {"low": 0.5, "medium": 1.0, "high": 2.0, "critical": 3.0}
    )
    waiting_per_day: float = 0.05
    waiting_cap: float = 3.0


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
