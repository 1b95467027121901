"""Learning from the line: the questions the bot declined or handed over, grouped by meaning.

The questions (``kb_gaps.unanswered``: masked, with what the agent answered in a taken hand-off)
of the last ``HOTLINE_KB_CLUSTER_DAYS`` days are embedded with the knowledge base's own model and
grouped by average-linkage clustering at ``HOTLINE_KB_CLUSTER_SIMILARITY`` (``knowledge.cluster``).
Each cluster shows its count, examples, representative (the medoid) and the agents' answer; one
call (``make_draft``) turns it into a draft entry of the editor's review queue, id ``line-<key>``.

The daily job (``api/jobs.py``) precomputes the clusters; readers get the cached result while it
is younger than the job's interval, else compute it themselves.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
from collections import Counter
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api.db import unit_of_work
from api.models.base import utcnow
from api.services import kb_editor, kb_gaps, knowledge
from api.services.kb_entries import EntryIn, VersionPublic
from api.services.registry import get_session_factory
from api.settings import Settings
from api.texts import text
from knowledge.catalog import LINE_PREFIX
from knowledge.cluster import cluster_vectors, medoid
from knowledge.textnorm import normalize_query

log = logging.getLogger(__name__)

__all__ = ["ClusterNotFound", "LineCluster", "clusters", "compute", "make_draft", "refresh"]

MAX_QUESTIONS = 5000  # the most recent; clustering is quadratic in memory
EXAMPLES = 5
DEFAULT_TOPIC = "来电新问题"

_lock = threading.Lock()
_cache: dict[tuple[str, int, float], tuple[float, list[LineCluster]]] = {}


class ClusterNotFound(kb_editor.EntryNotFound):
    key = "kb_cluster_not_found"


class LineCluster(BaseModel):
    """Questions the line could not answer that mean the same thing."""

    key: str  # stable while the representative stays the same
    question: str  # the representative (masked)
    count: int
    examples: list[str] = Field(default_factory=list)  # distinct phrasings, most frequent first
    kinds: dict[str, int] = Field(default_factory=dict)  # abstain / handoff
    agent_answer: str | None = None  # what an agent answered in a taken hand-off (masked)
    agent_answers: int = 0
    last_at: dt.datetime
    draft_id: str  # the entry id a draft of this cluster gets


def _key(question: str) -> str:
    return hashlib.sha1(kb_gaps.gap_key(question).encode()).hexdigest()[:10]


def compute(
    session: Session, settings: Settings, *, now: dt.datetime | None = None, limit: int = 50
) -> list[LineCluster]:
    """The clusters of the last ``kb_cluster_days`` days, largest first (at most ``limit``)."""
    now = now or utcnow()
    asked = kb_gaps.unanswered(session, lo=now - dt.timedelta(days=settings.kb_cluster_days), hi=now)
    asked = [a for a in asked if kb_gaps.gap_key(a.question)][-MAX_QUESTIONS:]
    if not asked:
        return []
    embedder = knowledge.make_embedder(settings)
    vectors = embedder.encode([normalize_query(a.question) for a in asked])
    groups = cluster_vectors(vectors, settings.kb_cluster_similarity)
    out = []
    for members in groups:
        items = [asked[i] for i in members]
        representative = asked[medoid(vectors, members)].question
        phrasings = Counter(a.question for a in items)
        answers = [a.agent_answer for a in sorted(items, key=lambda a: a.at) if a.agent_answer]
        key = _key(representative)
        out.append(
            LineCluster(
                key=key,
                question=representative,
                count=len(items),
                examples=[q for q, _ in phrasings.most_common(EXAMPLES)],
                kinds=dict(Counter(a.kind for a in items)),
                agent_answer=answers[-1] if answers else None,  # the latest: policies change
                agent_answers=len(answers),
                last_at=max(a.at for a in items),
                draft_id=f"{LINE_PREFIX}{key}",
            )
        )
    out.sort(key=lambda c: (-c.count, -c.last_at.timestamp()))
    return out[:limit]


def _cache_key(settings: Settings) -> tuple[str, int, float]:
    return (settings.effective_database_url, settings.kb_cluster_days, settings.kb_cluster_similarity)


def clusters(session: Session, settings: Settings, *, limit: int = 20) -> list[LineCluster]:
    """The precomputed clusters while fresh (younger than the job's interval), else computed now."""
    max_age = settings.kb_cluster_interval_s or 0.0
    with _lock:
        cached = _cache.get(_cache_key(settings))
    if cached is not None and time.monotonic() - cached[0] < max_age:
        return cached[1][:limit]
    found = compute(session, settings)
    with _lock:
        _cache[_cache_key(settings)] = (time.monotonic(), found)
    return found[:limit]


def refresh(settings: Settings) -> int:
    """Recompute and cache the clusters (the daily job); returns how many there are."""
    with unit_of_work(get_session_factory(settings)) as session:
        found = compute(session, settings)
    with _lock:
        _cache[_cache_key(settings)] = (time.monotonic(), found)
    log.info("kb_clusters.refreshed clusters=%d", len(found))
    return len(found)


def forget() -> None:
    """Drop the cached clusters (tests, and after a draft is made so the list shows it)."""
    with _lock:
        _cache.clear()


def _topic_of(settings: Settings, question: str) -> tuple[str, str | None]:
    """The topic (and region) of the entry nearest to the question, to file the draft under."""
    try:
        hits = knowledge.search_entries(question, k=1, settings=settings)
    except Exception:  # no index yet: the editor picks a topic
        log.warning("kb_clusters.topic_unavailable", exc_info=True)
        return DEFAULT_TOPIC, None
    return (hits[0][0].topic or DEFAULT_TOPIC, None) if hits else (DEFAULT_TOPIC, None)


def make_draft(session: Session, settings: Settings, *, key: str, author: str) -> VersionPublic:
    """Turn a cluster with an agent's answer into a draft entry of the review queue.

    Questions: the representative and the other phrasings; answer: the agent's; region: none
    until the editor sets it (the reason says so); effective: the month of the latest question.
    """
    found = next((c for c in clusters(session, settings, limit=MAX_QUESTIONS) if c.key == key), None)
    if found is None:
        raise ClusterNotFound(key, entry_id=key)
    if not found.agent_answer:
        raise kb_editor.EntryInvalid("no agent answer", reason=text("kb_cluster_no_answer"))
    topic, region = _topic_of(settings, found.question)
    questions = [found.question, *(q for q in found.examples if q != found.question)]
    data: dict[str, Any] = {
        "id": found.draft_id,
        "topic": topic,
        "title": found.question[:120],
        "questions": questions,
        "answer": found.agent_answer,
        "region": region,
        "audience": "public",
        "source": f"坐席答复（来电学习：{found.count} 次来电，{found.agent_answers} 次转人工答复）",
        "effective": found.last_at.strftime("%Y-%m"),
        "points": {},
    }
    reason = "来电学习生成的草稿：请核实答复、补充政策来源和适用地区后再发布"
    version = kb_editor.save(
        session, settings, data=EntryIn.model_validate(data), author=author, reason=reason, create=True
    )
    forget()
    return version
