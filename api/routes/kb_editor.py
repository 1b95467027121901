"""Knowledge editor API (editors and admins): search, read with history, add, edit, retire,
preview a draft's answer, publish (the index is updated incrementally, nothing restarts), and
import an FAQ spreadsheet."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.deps import Principal, SessionDep, SettingsDep, require_role
from api.errors import DomainError
from api.services import kb_clusters, kb_drafts, kb_health, kb_import
from api.services import kb_editor as service
from api.texts import text

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


class UploadTooLarge(DomainError):
    status_code = 413
    key = "kb_import_too_large"


MAX_IMPORT_MB = 10


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


# ---- review queue, learning from the line, stale and conflicting entries -------------------------
ClusterKey = Annotated[str, PathParam(pattern=r"^[0-9a-f]{10}$")]


@router.get("/drafts", response_model=list[kb_drafts.QueueItem])
def draft_queue(
    session: SessionDep,
    settings: SettingsDep,
    editor: EditorDep,
    origin: Annotated[kb_drafts.Origin | None, Query()] = None,
) -> list[kb_drafts.QueueItem]:
    """The review queue: pending drafts with their origin (document, line, import, editor)."""
    return kb_drafts.queue(session, settings, origin=origin)


@router.post("/drafts/{entry_id}/accept", response_model=service.PublishResult)
def accept_draft(
    entry_id: EntryId, session: SessionDep, settings: SettingsDep, editor: EditorDep
) -> service.PublishResult:
    """Publish one reviewed draft."""
    return kb_drafts.accept(session, settings, entry_id=entry_id, by=editor.name)


@router.post("/drafts/{entry_id}/reject", response_model=service.VersionPublic)
def reject_draft(
    entry_id: EntryId, body: RetireIn, session: SessionDep, settings: SettingsDep, editor: EditorDep
) -> service.VersionPublic:
    """Drop a proposed entry that was never published (it is not proposed again)."""
    return kb_drafts.reject(session, settings, entry_id=entry_id, by=editor.name, reason=body.reason)


@router.get("/review", response_model=kb_health.KbReview)
def review(session: SessionDep, settings: SettingsDep, editor: EditorDep) -> kb_health.KbReview:
    """Published entries past their review date, and pairs of entries whose figures disagree."""
    return kb_health.review(session, settings)


@router.get("/clusters", response_model=list[kb_clusters.LineCluster])
def line_clusters(
    session: SessionDep,
    settings: SettingsDep,
    editor: EditorDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> list[kb_clusters.LineCluster]:
    """Questions the bot declined or handed over, grouped by meaning (masked), largest first."""
    return kb_clusters.clusters(session, settings, limit=limit)


@router.post("/clusters/{key}/draft", response_model=service.VersionPublic, status_code=201)
def cluster_draft(
    key: ClusterKey, session: SessionDep, settings: SettingsDep, editor: EditorDep
) -> service.VersionPublic:
    """Turn a cluster with an agent's answer into a draft entry of the review queue."""
    return kb_clusters.make_draft(session, settings, key=key, author=editor.name)


@router.post("/import", response_model=kb_import.ImportReport)
def import_sheet(
    session: SessionDep,
    settings: SettingsDep,
    editor: EditorDep,
    file: Annotated[UploadFile, File()],
    draft: Annotated[bool, Form()] = False,
    dry_run: Annotated[bool, Form()] = False,
) -> Any:
    """Import an FAQ sheet (CSV or XLSX); with any bad row nothing is written and the report (422)
    lists every problem by row."""
    data = file.file.read(MAX_IMPORT_MB * 1024 * 1024 + 1)
    if len(data) > MAX_IMPORT_MB * 1024 * 1024:
        raise UploadTooLarge("upload too large", limit=MAX_IMPORT_MB)
    report = kb_import.import_sheet(
        session,
        settings,
        data=data,
        filename=file.filename or "upload.csv",
        author=editor.name,
        draft=draft,
        dry_run=dry_run,
    )
    if not report.ok:
        body = {
            "message": text("kb_import_rejected", count=len(report.errors)),
            **report.model_dump(mode="json"),
        }
        return JSONResponse(status_code=422, content=body)
    return report
