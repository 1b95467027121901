"""The answering service: one ``answer`` for the API, the Rasa actions, the IVR and the CLI.

The knowledge base is loaded once per process from the index folder; when the curated
entries (or configured documents) changed since the index was written, only the changed
ones are re-embedded before the first answer.

The entries are the YAML files overlaid by what the knowledge editor published (stored in
the index as ``extra["overlay"]``, next to the ingested ``extra["documents"]``, so that
``hotline kb build`` keeps both). Every process holding the base (API, action server, CLI)
reloads it by itself within about a second after another process saved a new version.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from api.schemas import AnswerPublic, SourcePublic
from api.settings import Settings, get_settings
from api.texts import text
from knowledge.answering import Answerer, Decision
from knowledge.catalog import Entry, load_entries, parse_entry
from knowledge.embed import Embedder
from knowledge.facets import points_text, statement
from knowledge.index import IndexCorruptError
from knowledge.ingest import DocPassage, ingest_file, iter_documents
from knowledge.policy import Policy
from knowledge.regions import region_table
from knowledge.search import Doc, Hit, IndexWatcher, KnowledgeBase, docs_for

log = logging.getLogger(__name__)

_lock = threading.Lock()
_state: dict[str, object] = {}
_embedders: dict[tuple[str, int], Embedder] = {}
RELOAD_CHECK_S = 1.0  # how often a process looks for a version saved by another process


def make_embedder(settings: Settings) -> Embedder:
    """The embedder of the configured model, one per process (reloading the base keeps the model)."""
    path = settings.require_model("embedding_model")
    key = (str(path), settings.embedding_threads)
    with _lock:
        embedder = _embedders.get(key)
        if embedder is None:
            embedder = Embedder(
                path, setting_name="HOTLINE_EMBEDDING_MODEL", threads=settings.embedding_threads
            )
            _embedders[key] = embedder
        return embedder


def apply_overlay(entries: Sequence[Entry], overlay: Mapping[str, Any] | None) -> list[Entry]:
    """The YAML entries with the editor's published versions: replaced, added, retired ones removed."""
    if not overlay:
        return list(entries)
    replaced = {
        str(i): parse_entry(raw, f"editor:{i}") for i, raw in dict(overlay.get("entries") or {}).items()
    }
    retired = {str(i) for i in overlay.get("retired") or []}
    result = [replaced.pop(e.id, e) for e in entries if e.id not in retired]
    result.extend(e for i, e in sorted(replaced.items()) if i not in retired)
    return result


def current_docs(
    settings: Settings, extra_documents: Sequence[Path] = (), overlay: Mapping[str, Any] | None = None
) -> list[Doc]:
    """Every doc the base should hold: curated entries (with the editor's overlay) plus documents."""
    entries = apply_overlay(load_entries(settings.kb_entries_dir), overlay)
    passages: list[DocPassage] = []
    for path in iter_documents([*settings.kb_documents, *extra_documents]):
        passages.extend(ingest_file(path))
    return docs_for(entries, passages)


@contextlib.contextmanager
def _writer_lock(settings: Settings) -> Iterator[None]:
    """One writer of the index at a time across processes (build, ingest, publish)."""
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.index_dir / ".write.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _overlay_of(kb: KnowledgeBase) -> dict[str, Any] | None:
    overlay = kb.extra.get("overlay")
    return overlay if isinstance(overlay, dict) else None


def _documents_of(kb: KnowledgeBase) -> list[str]:
    documents = kb.extra.get("documents")
    return [str(p) for p in documents] if isinstance(documents, list) else []


def build_index(
    settings: Settings,
    *,
    extra_documents: Sequence[Path] = (),
    overlay: Mapping[str, Any] | None = None,
    progress: bool = True,
) -> dict[str, int]:
    """Bring the stored index up to date with the current docs (incrementally) and save it.

    The ingested documents and the editor's published overlay stored in the index are kept;
    ``overlay`` (from a publish) replaces the stored one.
    """
    embedder = make_embedder(settings)
    with _writer_lock(settings):
        try:
            kb = KnowledgeBase.load(settings.index_dir, embedder, hnsw_min_size=settings.hnsw_min_size)
        except FileNotFoundError:
            kb = KnowledgeBase(embedder, hnsw_min_size=settings.hnsw_min_size)
        except IndexCorruptError as exc:
            log.warning("%s: building a fresh index", exc)
            kb = KnowledgeBase(embedder, hnsw_min_size=settings.hnsw_min_size)
        documents = sorted({*_documents_of(kb), *map(str, extra_documents)})
        if overlay is not None:
            kb.extra["overlay"] = dict(overlay)
        stats = kb.sync(
            current_docs(settings, [Path(p) for p in documents], _overlay_of(kb)), progress=progress
        )
        kb.extra["documents"] = documents
        kb.save(settings.index_dir)
    reset()
    return stats


def get_knowledge_base(settings: Settings | None = None) -> KnowledgeBase:
    """The process-wide knowledge base, built or refreshed on first use."""
    settings = settings or get_settings()
    key = (str(settings.index_dir), str(settings.kb_entries_dir), settings.embedding_model)
    embedder = make_embedder(settings)
    with _lock:
        kb = _state.get("kb")
        if isinstance(kb, KnowledgeBase) and _state.get("key") == key:
            watcher = _state.get("watcher")
            if not (isinstance(watcher, IndexWatcher) and watcher.changed()):
                return kb
            log.info("knowledge index: a new version was saved (%s), reloading", watcher.version)
        _state.clear()
        kb = _load_current(settings, embedder)
        docs = current_docs(settings, [Path(p) for p in _documents_of(kb)], _overlay_of(kb))
        stats = kb.sync(docs, progress=False)
        if stats["added_or_changed"] or stats["removed"]:
            kb.save(settings.index_dir)
        _state["kb"] = kb
        _state["key"] = key
        _state["watcher"] = IndexWatcher(settings.index_dir, kb.version, interval=RELOAD_CHECK_S)
        return kb


def _load_current(settings: Settings, embedder: Embedder) -> KnowledgeBase:
    """Load CURRENT; retried when another process replaced it while we read it."""
    for attempt in range(3):
        try:
            return KnowledgeBase.load(settings.index_dir, embedder, hnsw_min_size=settings.hnsw_min_size)
        except FileNotFoundError as exc:
            if attempt == 2 or not (settings.index_dir / "CURRENT").exists():
                log.info("%s; building the index now", exc)
                break
        except IndexCorruptError as exc:
            if attempt == 2:
                log.info("%s; building the index now", exc)
                break
    return KnowledgeBase(embedder, hnsw_min_size=settings.hnsw_min_size)


def make_answerer(kb: KnowledgeBase, settings: Settings) -> Answerer:
    """An answerer over ``kb`` with the calibrated policy (or the configured threshold)."""
    policy = Policy.calibrated()
    if settings.answer_threshold is not None:
        policy.threshold = settings.answer_threshold
    policy.review_months = settings.kb_review_months
    return Answerer(kb, region_table(), policy)


def get_answerer(settings: Settings | None = None) -> Answerer:
    settings = settings or get_settings()
    kb = get_knowledge_base(settings)
    with _lock:
        answerer = _state.get("answerer")
        if isinstance(answerer, Answerer) and answerer.kb is kb:
            return answerer
        answerer = make_answerer(kb, settings)
        _state["answerer"] = answerer
        return answerer


def reset() -> None:
    """Forget the loaded base (after a rebuild or a publish) so the next call reloads it."""
    with _lock:
        _state.clear()


def _facet_reply(decision: Decision) -> str | None:
    """The reply to a follow-up by facet: the asked points, or the honest 'not stated'."""
    found = decision.facet
    if found is None or decision.chosen is None:
        return None
    doc = decision.chosen.doc
    if found.sentences:
        return text("facet_points", title=doc.title, points="；".join(found.sentences) + "。")
    labels = "、".join(f.label for f in found.facets)
    if found.doc is None:
        return text("facet_missing", title=doc.title, labels=labels)
    missing = [f.label for f in found.facets if not statement(doc, f)]
    reply = text("facet_points", title=doc.title, points=points_text(doc, found.facets))
    if not found.points_only:  # a sibling entry: the asked points first, then all it says
        reply += doc.answer
    if missing:
        reply += text("facet_not_stated", labels="、".join(missing))
    return reply


def render(decision: Decision) -> AnswerPublic:
    """Turn a decision into the caller-facing answer with its sources."""
    table = region_table()
    if decision.kind == "answer" and decision.chosen is not None:
        doc = decision.chosen.doc
        reply = _facet_reply(decision) or doc.answer
        if doc.region and not table.applies(doc.region, decision.region):
            reply += text("region_note", region=table.display(doc.region))
        if decision.stale_since:
            reply += text("stale_note", date=decision.stale_since)
        sources = [_source(decision.chosen)] + [
            _source(h)
            for h in decision.hits[:3]
            if h is not decision.chosen and h.doc.region == doc.region and h.doc.topic == doc.topic
        ][:2]
        return AnswerPublic(
            kind="answer",
            text=reply,
            sources=sources,
            confidence=round(decision.confidence, 4),
            topic=doc.topic or None,
            region=doc.region,
            entry_id=doc.key.split(":", 1)[1],
            points=doc.points,
        )
    if decision.kind == "clarify_region":
        if decision.chosen is not None:  # an overview that gives examples and asks the region itself
            reply = decision.chosen.doc.answer
        else:
            reply = text("clarify_region")
            if decision.candidate_regions:
                reply += text("clarify_known_regions", regions="、".join(decision.candidate_regions))
        top = (
            decision.chosen.doc
            if decision.chosen is not None
            else decision.hits[0].doc
            if decision.hits
            else None
        )
        return AnswerPublic(
            kind="clarify_region",
            text=reply,
            confidence=round(decision.confidence, 4),
            topic=top.topic if top else None,
        )
    if decision.reason == "facet_missing":
        return AnswerPublic(kind="abstain", text=_facet_reply(decision) or text("abstain"), confidence=0.0)
    key = {
        "empty": "empty_question",
        "too_long": "question_too_long",
        "no_chinese": "no_language",
        "no_rule_for_region": "abstain_region",
    }.get(decision.reason, "abstain")
    fmt: dict[str, object] = {}
    if key == "question_too_long":
        fmt["limit"] = 1000
    if key == "abstain_region":
        fmt["region"] = table.display(decision.region)
    return AnswerPublic(kind="abstain", text=text(key, **fmt), confidence=round(decision.confidence, 4))


def _source(hit: Hit) -> SourcePublic:
    doc = hit.doc
    return SourcePublic(
        id=doc.key.split(":", 1)[1],
        title=doc.title,
        region=doc.region,
        score=round(hit.score, 4),
        source=doc.source,
    )


def answer(
    question: str,
    region: str | None = None,
    audience: str = "public",
    history: Sequence[str] = (),
    *,
    topic: str | None = None,
    previous_entry: str | None = None,
    story: bool = True,
    settings: Settings | None = None,
) -> AnswerPublic:
    """Answer a caller's (or an agent's) question, ask for the 参保地, or abstain.

    ``topic`` and ``previous_entry`` carry the dialogue's state, ``story`` whether a long turn may be
    answered by the question it ends with (see ``Answerer.decide``).
    """
    decision = get_answerer(settings).decide(
        question,
        region=region,
        audience=audience,
        history=history,
        topic=topic,
        previous_entry=previous_entry,
        story=story,
    )
    log.info("answer kind=%s reason=%s conf=%.3f", decision.kind, decision.reason, decision.confidence)
    return render(decision)


def search_entries(
    query: str, *, k: int = 3, audience: str = "agent", settings: Settings | None = None
) -> list[tuple[Doc, float]]:
    """Best curated entries for a text (quality inspection, agent assist), with their scores."""
    kb = get_knowledge_base(settings)
    hits = kb.search(query, k=k * 3, audience=audience)
    return [(h.doc, h.dense) for h in hits if h.doc.kind == "entry"][:k]
