from enum import StrEnum
from typing import Annotated

from fastapi import Header, Response
from pydantic import BaseModel

from app.core.deps import DbSession
from app.core.guards import Anyone
from app.core.routing import api_router
from app.taxonomies import service

router = api_router("/taxonomies", tags=["taxonomies"])


class TaxonomyKind(StrEnum):
    mechanisms = "mechanisms"
    themes = "themes"
    affected_persons = "affected-persons"
    sdg_goals = "sdg-goals"
    sdg_targets = "sdg-targets"
    barrier_types = "barrier-types"
    assistance_types = "assistance-types"


class Term(BaseModel):
    code: str | None
    name: str
    title: str | None = None
    goal: str | None = None
    label_en: str | None = None
    label_fr: str | None = None


class TermList(BaseModel):
    items: list[Term]
    next_cursor: str | None = None


@router.get("/{kind}", response_model=TermList, operation_id="list_taxonomy")
def list_taxonomy(
    _who: Anyone,
    db: DbSession,
    kind: TaxonomyKind,
    response: Response,
    accept_language: Annotated[str | None, Header(max_length=200)] = None,
) -> TermList:
    """The terms of one vocabulary. SDG goals and targets come in the language of
    `Accept-Language` (en, fr, es, ar, ru, zh; English by default); mechanisms, barrier and
    assistance types in English or French. Every term carries `label_en` and, where
    translated, `label_fr`. Themes are UHRI-coded. Public."""
    language = service.negotiate_language(accept_language)
    closed = kind in (
        TaxonomyKind.mechanisms,
        TaxonomyKind.barrier_types,
        TaxonomyKind.assistance_types,
    )
    response.headers["Content-Language"] = language if not closed or language == "fr" else "en"
    response.headers["Vary"] = "Accept-Language"
    return TermList(items=[Term(**item) for item in service.vocabulary(db, kind.value, language)])
