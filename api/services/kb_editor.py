"""The knowledge editor: search, add, edit and retire curated entries, preview, publish.

The entry schema and its validation live in ``api/services/kb_entries.py``. The curated YAML
files stay the base. Every change made in the console is a new row of
``kb_entry_versions`` with its author and reason; the latest version of an entry is a draft
until it is published. The effective entry set is the YAML entries overlaid by the latest
*published* version of each entry id (a retired entry disappears). Publishing writes that
overlay into the index through ``api.services.knowledge.build_index``: the index is synced
incrementally (only changed entries are embedded again), ingested documents are kept, and
every other process holding the base reloads it by itself (``IndexWatcher``).

A preview answers a question against a private copy of the index in which the draft replaces
the published entry, so the editor sees what callers would get before anyone else does.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models.base import utcnow
from api.models.users import KbEntryVersion
from api.services import knowledge
from api.services.kb_entries import (
    EntryDetail,
    EntryExists,
    EntryIn,
    EntryInvalid,
    EntryNotFound,
    EntryRetired,
    EntrySummary,
    NothingToPublish,
    PreviewPublic,
    PublishResult,
    ReasonRequired,
    VersionPublic,
    entry_to_raw,
    validate,
)
from api.settings import Settings
from knowledge.catalog import Entry, load_entries, parse_entry
from knowledge.search import KnowledgeBase, doc_from_entry

log = logging.getLogger(__name__)

__all__ = [
    "EntryDetail",
    "EntryIn",
    "EntryInvalid",
    "EntrySummary",
    "PreviewPublic",
    "PublishResult",
    "VersionPublic",
    "entry_to_raw",
    "get_entry",
    "history",
    "preview",
    "publish",
    "pending",
    "published_overlay",
    "reject",
    "retire",
    "save",
    "save_many",
    "search",
    "validate",
]


# ---- state --------------------------------------------------------------------------------------
@dataclass
class _State:
    """One entry id: its YAML version and its editor versions, oldest first."""

    yaml: Entry | None = None
    versions: list[KbEntryVersion] = field(default_factory=list)

    @property
    def published_version(self) -> KbEntryVersion | None:
        done = [v for v in self.versions if v.published_at is not None]
        return done[-1] if done else None

    @property
    def draft_version(self) -> KbEntryVersion | None:
        """The latest version when it is not published yet."""
        if not self.versions or self.versions[-1].published_at is not None:
            return None
        return self.versions[-1]

    @property
    def published(self) -> dict[str, Any] | None:
        version = self.published_version
        if version is not None:
            return dict(version.data) if version.action != "retire" and version.data else None
        return entry_to_raw(self.yaml) if self.yaml is not None else None

    @property
    def status(self) -> str:
        version = self.published_version
        if version is not None:
            return "retired" if version.action == "retire" else "published"
        return "yaml" if self.yaml is not None else "new"

    def summary(self, entry_id: str) -> EntrySummary:
        draft = self.draft_version
        shown = (draft.data if draft is not None and draft.data else None) or self.published or {}
        return EntrySummary(
            id=entry_id,
            title=str(shown.get("title") or (shown.get("questions") or [""])[0]),
            topic=str(shown.get("topic") or ""),
            region=shown.get("region"),
            audience=str(shown.get("audience") or "public"),
            status=self.status,  # type: ignore[arg-type]
            draft=draft.action if draft is not None else None,  # type: ignore[arg-type]
        )


def _states(session: Session, settings: Settings) -> dict[str, _State]:
    states: dict[str, _State] = {e.id: _State(yaml=e) for e in load_entries(settings.kb_entries_dir)}
    for row in session.scalars(
        select(KbEntryVersion).order_by(KbEntryVersion.entry_id, KbEntryVersion.version)
    ):
        states.setdefault(row.entry_id, _State()).versions.append(row)
    return states


def _version_public(row: KbEntryVersion) -> VersionPublic:
    return VersionPublic.model_validate(row, from_attributes=True)


def _state_of(states: Mapping[str, _State], entry_id: str) -> _State:
    state = states.get(entry_id)
    if state is None:
        raise EntryNotFound(entry_id, entry_id=entry_id)
    return state


# ---- reading ------------------------------------------------------------------------------------
def search(
    session: Session, settings: Settings, *, query: str = "", limit: int = 50, include_retired: bool = False
) -> list[EntrySummary]:
    """Entries whose id, title, topic, region, questions or answer contain every word of ``query``,
    then (for a question-like query) the entries the search engine ranks best for it."""
    states = _states(session, settings)
    words = [w for w in re.split(r"\s+", query.strip().lower()) if w]
    found: list[str] = []
    for entry_id, state in states.items():
        if state.status == "retired" and not include_retired and state.draft_version is None:
            continue
        data = (state.draft_version.data if state.draft_version else None) or state.published or {}
        haystack = " ".join(
            [entry_id, str(data.get("title", "")), str(data.get("topic", "")), str(data.get("region") or "")]
            + [str(q) for q in data.get("questions", [])]
            + [str(data.get("answer", ""))]
        ).lower()
        if all(w in haystack for w in words):
            found.append(entry_id)
    if words and len(found) < limit:
        try:
            hits = knowledge.get_knowledge_base(settings).search(query, k=limit, audience="agent")
        except Exception:  # no model or no index yet: substring matches are still useful
            log.warning("kb_editor.search.semantic_unavailable", exc_info=True)
            hits = []
        for hit in hits:
            entry_id = hit.doc.key.split(":", 1)[1]
            if hit.doc.kind == "entry" and entry_id in states and entry_id not in found:
                found.append(entry_id)
    return [states[i].summary(i) for i in found[:limit]]


def get_entry(session: Session, settings: Settings, *, entry_id: str) -> EntryDetail:
    """An entry: what callers get now, the pending draft, and its full history (newest first)."""
    state = _state_of(_states(session, settings), entry_id)
    draft = state.draft_version
    return EntryDetail(
        summary=state.summary(entry_id),
        published=state.published,
        draft=dict(draft.data) if draft is not None and draft.data else None,
        history=[_version_public(v) for v in reversed(state.versions)],
    )


def history(session: Session, *, entry_id: str) -> list[VersionPublic]:
    """Every editor version of an entry, newest first."""
    rows = session.scalars(
        select(KbEntryVersion)
        .where(KbEntryVersion.entry_id == entry_id)
        .order_by(KbEntryVersion.version.desc())
    )
    return [_version_public(r) for r in rows]


# ---- changing -----------------------------------------------------------------------------------
def _reason(reason: str) -> str:
    cleaned = (reason or "").strip()
    if not cleaned:
        raise ReasonRequired("reason required")
    return cleaned[:2000]


def _add_version(
    session: Session,
    state: _State,
    entry_id: str,
    action: str,
    data: dict[str, Any] | None,
    author: str,
    reason: str,
    *,
    commit: bool = True,
) -> KbEntryVersion:
    row = KbEntryVersion(
        entry_id=entry_id,
        version=(state.versions[-1].version + 1) if state.versions else 1,
        action=action,
        data=data,
        author=author[:64],
        reason=reason,
        created_at=utcnow(),
    )
    session.add(row)
    state.versions.append(row)
    if commit:
        session.commit()
    log.info("kb_editor.%s entry=%s version=%s", action, entry_id, row.version)
    return row


def save(
    session: Session, settings: Settings, *, data: EntryIn, author: str, reason: str, create: bool
) -> VersionPublic:
    """Store a new draft version of an entry (``create``: a new id; else an edit of an existing one)."""
    reason = _reason(reason)
    entry = validate(data)
    states = _states(session, settings)
    state = states.get(entry.id)
    if create:
        if state is not None:
            raise EntryExists(entry.id, entry_id=entry.id)
        state = _State()
    else:
        if state is None:
            raise EntryNotFound(entry.id, entry_id=entry.id)
        if state.status == "retired" and state.draft_version is None:
            raise EntryRetired(entry.id, entry_id=entry.id)
    action = "create" if create or (state.status == "new") else "edit"
    return _version_public(
        _add_version(session, state, entry.id, action, entry_to_raw(entry), author, reason)
    )


def save_many(
    session: Session,
    settings: Settings,
    *,
    entries: Sequence[Entry],
    author: str,
    reason: str,
    dry_run: bool = False,
) -> dict[str, str]:
    """Store a draft version of each entry whose content differs from its latest version, without
    committing (an import is one transaction with its publish). Returns id -> what happened:
    ``create``, ``edit``, ``unchanged``, ``pending`` (unchanged, but its latest version is a draft)
    or ``retired`` (an editor retired it: left alone)."""
    reason = _reason(reason)
    states = _states(session, settings)
    outcome: dict[str, str] = {}
    for entry in entries:
        state = states.get(entry.id) or _State()
        latest = state.versions[-1] if state.versions else None
        if state.status == "retired" and state.draft_version is None:
            outcome[entry.id] = "retired"
            continue
        data = entry_to_raw(entry)
        current = (
            (latest.data if latest.action != "retire" else None) if latest is not None else state.published
        )
        if current == data:
            outcome[entry.id] = "pending" if state.draft_version is not None else "unchanged"
            continue
        action = "create" if not state.versions and state.yaml is None else "edit"
        outcome[entry.id] = action
        if not dry_run:
            states[entry.id] = state
            _add_version(session, state, entry.id, action, data, author, reason, commit=False)
    return outcome


def pending(session: Session, settings: Settings) -> list[tuple[EntrySummary, VersionPublic]]:
    """The review queue: every entry with an unpublished draft, and that draft (newest first)."""
    states = _states(session, settings)
    queue = [(i, s.draft_version) for i, s in states.items() if s.draft_version is not None]
    queue.sort(key=lambda item: item[1].created_at if item[1] else utcnow(), reverse=True)
    return [(states[i].summary(i), _version_public(v)) for i, v in queue if v is not None]


def reject(session: Session, settings: Settings, *, entry_id: str, author: str, reason: str) -> VersionPublic:
    """Reject a proposed entry that was never published: it leaves the queue for good (no index change).

    The rejection is a retirement published at once, so a proposal with the same id (a document
    ingested again, a cluster turned into a draft again) is not proposed a second time.
    """
    reason = _reason(reason)
    state = _state_of(_states(session, settings), entry_id)
    if state.status == "retired":
        raise EntryRetired(entry_id, entry_id=entry_id)
    if state.status != "new" or state.draft_version is None:
        raise EntryExists(entry_id, entry_id=entry_id)  # a published entry is retired, not rejected
    row = _add_version(session, state, entry_id, "retire", None, author, reason, commit=False)
    row.published_at = row.created_at
    row.published_by = author[:64]
    session.commit()
    return _version_public(row)


def retire(session: Session, settings: Settings, *, entry_id: str, author: str, reason: str) -> VersionPublic:
    """Draft the retirement of an entry (callers stop getting it once published)."""
    reason = _reason(reason)
    state = _state_of(_states(session, settings), entry_id)
    if state.status == "retired" and state.draft_version is None:
        raise EntryRetired(entry_id, entry_id=entry_id)
    return _version_public(_add_version(session, state, entry_id, "retire", None, author, reason))


def _overlay(states: Mapping[str, _State]) -> dict[str, Any]:
    latest = {i: s.published_version for i, s in states.items() if s.published_version is not None}
    entries = {
        i: dict(v.data) for i, v in latest.items() if v is not None and v.action != "retire" and v.data
    }
    retired = sorted(i for i, v in latest.items() if v is not None and v.action == "retire")
    return {"entries": entries, "retired": retired}


def published_overlay(session: Session, settings: Settings) -> dict[str, Any]:
    """What the editor published: the latest published data per entry id, and the retired ids."""
    return _overlay(_states(session, settings))


def publish(
    session: Session, settings: Settings, *, by: str, entry_ids: Sequence[str] | None = None
) -> PublishResult:
    """Publish the pending drafts (of ``entry_ids``, or all) and sync the index incrementally.

    The rows are marked first but committed only after the new index version is saved, so a
    failed sync publishes nothing.
    """
    states = _states(session, settings)
    wanted = set(entry_ids) if entry_ids else None
    now = utcnow()
    published: list[str] = []
    for entry_id, state in states.items():
        if state.draft_version is None or (wanted is not None and entry_id not in wanted):
            continue
        for row in state.versions:
            if row.published_at is None:
                row.published_at = now
                row.published_by = by[:64]
        published.append(entry_id)
    if not published:
        raise NothingToPublish("no drafts")
    try:
        # The overlay comes from the rows in memory: no write transaction is held while embedding.
        stats = knowledge.build_index(settings, overlay=_overlay(states), progress=False)
    except BaseException:
        session.rollback()
        raise
    session.commit()
    log.info("kb_editor.publish entries=%d stats=%s", len(published), stats)
    return PublishResult(published=sorted(published), **stats)


# ---- preview ------------------------------------------------------------------------------------
def preview(
    session: Session,
    settings: Settings,
    *,
    question: str,
    region: str | None = None,
    entry_id: str | None = None,
    data: EntryIn | None = None,
) -> PreviewPublic:
    """How ``question`` would be answered if the draft (``data``, or the stored draft of
    ``entry_id``) were published, next to how it is answered now."""
    draft_entry: Entry | None = None
    retired_id: str | None = None
    if data is not None:
        draft_entry = validate(data)
    elif entry_id:
        state = _state_of(_states(session, settings), entry_id)
        draft = state.draft_version
        if draft is not None and draft.action == "retire":
            retired_id = entry_id
        elif draft is not None and draft.data:
            draft_entry = parse_entry(dict(draft.data), f"editor:{entry_id}")
    audience = draft_entry.audience if draft_entry is not None else "public"
    live = knowledge.get_knowledge_base(settings)
    current = knowledge.render(
        knowledge.get_answerer(settings).decide(question, region=region, audience=audience)
    )
    copy = KnowledgeBase.load(settings.index_dir, live.embedder, hnsw_min_size=settings.hnsw_min_size)
    docs = dict(copy.docs)
    if retired_id:
        docs.pop(f"entry:{retired_id}", None)
    if draft_entry is not None:
        docs[f"entry:{draft_entry.id}"] = doc_from_entry(draft_entry)
    copy.sync(docs.values(), progress=False)
    decision = knowledge.make_answerer(copy, settings).decide(question, region=region, audience=audience)
    return PreviewPublic(question=question, draft=knowledge.render(decision), current=current)
