"""Who is calling: a person or a machine client, with one role and, for States, one State."""

import uuid
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    state_contributor = "state_contributor"
    state_focal_point = "state_focal_point"
    ohchr_officer = "ohchr_officer"
    ohchr_admin = "ohchr_admin"
    provider = "provider"

    @property
    def is_state_role(self) -> bool:
        return self in STATE_ROLES


STATE_ROLES = frozenset({Role.state_contributor, Role.state_focal_point})
OHCHR_ROLES = frozenset({Role.ohchr_officer, Role.ohchr_admin})


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
