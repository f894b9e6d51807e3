"""Who is calling: a person or a machine client, with one role and, for States, one State."""

import uuid
from dataclasses import dataclass
from enum import StrEnum

from app.auth.models import OHCHR_ROLES, STATE_ROLES, Role


class PrincipalKind(StrEnum):
    user = "user"
    client = "client"


@dataclass(frozen=True)
class Principal:
    id: uuid.UUID
    kind: PrincipalKind
    role: Role
    state_code: str | None

    @property
    def subject(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def is_state(self) -> bool:
        return self.role in STATE_ROLES

    @property
    def is_ohchr(self) -> bool:
        return self.role in OHCHR_ROLES
