"""The answering service: one ``answer`` for the API, the Rasa actions, the IVR and the CLI.

The knowledge base is loaded once per process from the index folder; when the curated
entries (or configured documents) changed since the index was written, only the changed
ones are re-embedded before the first answer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path

from api.schemas import AnswerPublic, SourcePublic
from api.settings import Settings, get_settings
from api.texts import text
from knowledge.answering import Answerer, Decision, Policy
from knowledge.catalog import load_entries
from knowledge.embed import Embedder
from knowledge.index import IndexCorruptError
from knowledge.ingest import DocPassage, ingest_file, iter_documents
from knowledge.regions import region_table
from knowledge.search import Doc, Hit, KnowledgeBase, docs_for

log = logging.getLogger(__name__)

_lock = threading.Lock()
_state: dict[str, object] = {}


def make_embedder(settings: Settings) -> Embedder:
    path = settings.require_model("embedding_model")
    return Embedder(path, setting_name="HOTLINE_EMBEDDING_MODEL", threads=settings.embedding_threads)


def current_docs(settings: Settings, extra_documents: Sequence[Path] = ()) -> list[Doc]:
    """Every doc the base should hold: curated entries plus ingested documents."""
    entries = load_entries(settings.kb_entries_dir)
    passages: list[DocPassage] = []
    for path in iter_documents([*settings.kb_documents, *extra_documents]):
        passages.extend(ingest_file(path))
    return docs_for(entries, passages)


def build_index(
    settings: Settings, *, extra_documents: Sequence[Path] = (), progress: bool = True
) -> dict[str, int]:
    """Bring the stored index up to date with the current docs (incrementally) and save it."""
    embedder = make_embedder(settings)
    try:
        kb = KnowledgeBase.load(settings.index_dir, embedder, hnsw_min_size=settings.hnsw_min_size)
    except FileNotFoundError:
        kb = KnowledgeBase(embedder, hnsw_min_size=settings.hnsw_min_size)
    except IndexCorruptError as exc:
        log.warning("%s: building a fresh index", exc)
        kb = KnowledgeBase(embedder, hnsw_min_size=settings.hnsw_min_size)
    keep_documents = (
        list(kb.extra.get("documents", [])) if isinstance(kb.extra.get("documents"), list) else []
    )
    documents = sorted({*map(str, keep_documents), *map(str, extra_documents)})
    stats = kb.sync(current_docs(settings, [Path(p) for p in documents]), progress=progress)
    kb.extra["documents"] = documents
    kb.save(settings.index_dir)
    reset()
    return stats


def get_knowledge_base(settings: Settings | None = None) -> KnowledgeBase:
    """The process-wide knowledge base, built or refreshed on first use."""
    settings = settings or get_settings()
    key = (str(settings.index_dir), str(settings.kb_entries_dir), settings.embedding_model)
    with _lock:
        kb = _state.get("kb")
        if isinstance(kb, KnowledgeBase) and _state.get("key") == key:
            return kb
        _state.clear()
        embedder = make_embedder(settings)
        try:
            kb = KnowledgeBase.load(settings.index_dir, embedder, hnsw_min_size=settings.hnsw_min_size)
        except (FileNotFoundError, IndexCorruptError) as exc:
            log.info("%s; building the index now", exc)
            kb = KnowledgeBase(embedder, hnsw_min_size=settings.hnsw_min_size)
        documents = kb.extra.get("documents", [])
        docs = current_docs(settings, [Path(p) for p in documents] if isinstance(documents, list) else [])
        stats = kb.sync(docs, progress=False)
        if stats["added_or_changed"] or stats["removed"]:
            kb.save(settings.index_dir)
        _state["kb"] = kb
        _state["key"] = key
        return kb


def get_answerer(settings: Settings | None = None) -> Answerer:
    settings = settings or get_settings()
    kb = get_knowledge_base(settings)
    with _lock:
        answerer = _state.get("answerer")
        if isinstance(answerer, Answerer) and answerer.kb is kb:
            return answerer
        policy = Policy.calibrated()
        if settings.answer_threshold is not None:
            policy.threshold = settings.answer_threshold
        answerer = Answerer(kb, region_table(), policy)
        _state["answerer"] = answerer
        return answerer


def reset() -> None:
    """Forget the loaded base (after a rebuild or a publish) so the next call reloads it."""
    with _lock:
        _state.clear()


def render(decision: Decision) -> AnswerPublic:
    """Turn a decision into the caller-facing answer with its sources."""
    table = region_table()
    if decision.kind == "answer" and decision.chosen is not None:
        doc = decision.chosen.doc
        reply = doc.answer
        if doc.region and not table.applies(doc.region, decision.region):
            reply += text("region_note", region=table.display(doc.region))
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
        reply = text("clarify_region")
        if decision.candidate_regions:
            reply += text("clarify_known_regions", regions="、".join(decision.candidate_regions))
        top = decision.hits[0].doc if decision.hits else None
        return AnswerPublic(
            kind="clarify_region",
            text=reply,
            confidence=round(decision.confidence, 4),
            topic=top.topic if top else None,
        )
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
    settings: Settings | None = None,
) -> AnswerPublic:
    """Answer a caller's (or an agent's) question, ask for the 参保地, or abstain."""
    decision = get_answerer(settings).decide(question, region=region, audience=audience, history=history)
    log.info("answer kind=%s reason=%s conf=%.3f", decision.kind, decision.reason, decision.confidence)
    return render(decision)


def search_entries(
    query: str, *, k: int = 3, audience: str = "agent", settings: Settings | None = None
) -> list[tuple[Doc, float]]:
    """Best curated entries for a text (quality inspection, agent assist), with their scores."""
    kb = get_knowledge_base(settings)
    hits = kb.search(query, k=k * 3, audience=audience)
    return [(h.doc, h.dense) for h in hits if h.doc.kind == "entry"][:k]
