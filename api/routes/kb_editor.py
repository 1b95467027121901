"""Knowledge editor API (editors and admins): search, read with history, add, edit, retire,
preview a draft's answer, publish (the index is updated incrementally, nothing restarts)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from api.deps import Principal, SessionDep, SettingsDep, require_role
from api.errors import DomainError
from api.services import kb_editor as service

router = APIRouter(prefix="/api/kb", tags=["knowledge editor"])

EditorDep = Annotated[Principal, Depends(require_role("editor"))]
EntryId = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class ChangeIn(BaseModel):
    entry: service.EntryIn
    reason: str = Field(default="", max_length=2000)


class RetireIn(BaseModel):
    reason: str = Field(default="", max_length=2000)


class PreviewIn(BaseModel):
    question: str = Field(min_length=1, max_length=1000)
    region: str | None = Field(default=None, max_length=64)
    entry_id: str | None = Field(default=None, max_length=64)
    entry: service.EntryIn | None = None


class PublishIn(BaseModel):
    entry_ids: list[Annotated[str, Field(max_length=64)]] | None = Field(default=None, max_length=500)


class IdMismatch(DomainError):
    status_code = 422
    key = "invalid_request"


@router.get("/entries", response_model=list[service.EntrySummary])
def list_entries(
    session: SessionDep,
    settings: SettingsDep,
    editor: EditorDep,
    q: Annotated[str, Query(max_length=200)] = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    include_retired: bool = False,
) -> list[service.EntrySummary]:
    """Entries matching the words of ``q`` (curated YAML plus the editor's changes)."""
    return service.search(session, settings, query=q, limit=limit, include_retired=include_retired)


@router.get("/entries/{entry_id}", response_model=service.EntryDetail)
def read_entry(
    entry_id: EntryId, session: SessionDep, settings: SettingsDep, editor: EditorDep
) -> service.EntryDetail:
    """One entry: published content, pending draft, history."""
    return service.get_entry(session, settings, entry_id=entry_id)


@router.get("/entries/{entry_id}/history", response_model=list[service.VersionPublic])
def entry_history(entry_id: EntryId, session: SessionDep, editor: EditorDep) -> list[service.VersionPublic]:
    """Every version of an entry with author and reason, newest first."""
    return service.history(session, entry_id=entry_id)


@router.post("/entries", response_model=service.VersionPublic, status_code=201)
def create_entry(
    body: ChangeIn, session: SessionDep, settings: SettingsDep, editor: EditorDep
) -> service.VersionPublic:
    """Add a new entry as a draft."""
    return service.save(
        session, settings, data=body.entry, author=editor.name, reason=body.reason, create=True
    )


@router.put("/entries/{entry_id}", response_model=service.VersionPublic)
def edit_entry(
    entry_id: EntryId, body: ChangeIn, session: SessionDep, settings: SettingsDep, editor: EditorDep
) -> service.VersionPublic:
    """Store an edited version of an entry as a draft."""
    if body.entry.id and body.entry.id != entry_id:
        raise IdMismatch("entry id differs from the path")
    entry = body.entry.model_copy(update={"id": entry_id})
    return service.save(session, settings, data=entry, author=editor.name, reason=body.reason, create=False)


@router.post("/entries/{entry_id}/retire", response_model=service.VersionPublic)
def retire_entry(
    entry_id: EntryId, body: RetireIn, session: SessionDep, settings: SettingsDep, editor: EditorDep
) -> service.VersionPublic:
    """Draft the retirement of an entry."""
    return service.retire(session, settings, entry_id=entry_id, author=editor.name, reason=body.reason)


@router.post("/preview", response_model=service.PreviewPublic)
def preview(
    body: PreviewIn, session: SessionDep, settings: SettingsDep, editor: EditorDep
) -> service.PreviewPublic:
    """How a question would be answered with the draft published, beside today's answer."""
    return service.preview(
        session, settings, question=body.question, region=body.region, entry_id=body.entry_id, data=body.entry
    )


@router.post("/publish", response_model=service.PublishResult)
def publish(
    body: PublishIn, session: SessionDep, settings: SettingsDep, editor: EditorDep
) -> service.PublishResult:
    """Publish the pending drafts (all, or the listed entries) into the live index."""
    return service.publish(session, settings, by=editor.name, entry_ids=body.entry_ids)
