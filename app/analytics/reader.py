"""Who reads an analytics answer, and so what it is computed from and what it may show."""

from dataclasses import dataclass

from app.core.principal import Principal
from app.core.settings import Settings
from app.lifecycle.visibility import Audience, Visibility


@dataclass(frozen=True)
class Reader:
    who: Principal | None
    audience: Audience
    """`ohchr` (everything submitted), `state` (published, and its own State's objects) or
    `public` (published only)."""
    own_state: str | None
    min_cell: int | None
    """Figures drawn from fewer of other States' objects are withheld; None for OHCHR."""

    @classmethod
    def of(cls, who: Principal | None, settings: Settings) -> "Reader":
        if who is not None and who.is_ohchr:
            return cls(who, Visibility.ohchr, None, None)
        if who is not None and who.is_state:
            return cls(who, Visibility.state, who.state_code, settings.public_min_cell)
        return cls(who, Visibility.public, None, settings.public_min_cell)

    def foreign(self, state_code: str) -> bool:
        """Counts towards the suppression threshold: not the reader's own State's."""
        return state_code != self.own_state
