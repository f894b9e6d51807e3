"""Imports every table module so that the metadata is complete (Alembic, tests)."""

from app.assistance import models as assistance_models
from app.audit import models as audit_models
from app.auth import models as auth_models
from app.console import models as console_models
from app.core import idempotency
from app.core.models import metadata
from app.events import models as events_models
from app.expertise import models as expertise_models
from app.jobs import models as jobs_models
from app.matching import models as matching_models
from app.progress import models as progress_models
from app.recommendations import models as recommendations_models
from app.reminders import models as reminders_models
from app.shortfalls import models as shortfalls_models
from app.states import models as states_models
from app.taxonomies import models as taxonomies_models
from app.webhooks import models as webhooks_models

__all__ = [
    "assistance_models",
    "audit_models",
    "auth_models",
    "console_models",
    "events_models",
    "expertise_models",
    "idempotency",
    "jobs_models",
    "matching_models",
    "metadata",
    "progress_models",
    "recommendations_models",
    "reminders_models",
    "shortfalls_models",
    "states_models",
    "taxonomies_models",
    "webhooks_models",
]
