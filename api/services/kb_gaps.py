"""What callers asked about, and what the knowledge base could not answer (the gaps to fill next).

- topics: conversations per topic, the topic being that of the entries the bot answered from;
- gaps: caller turns whose bot reply was an abstention or a clarification, grouped by normalised
  text (masked), each with a link to the knowledge editor.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy.orm import Session

from api.privacy import mask_text
from api.schemas import CountRow, GapQuestion
from api.services.conversations import bulk
from api.services.dashboard_range import local_bounds
from api.settings import Settings

log = logging.getLogger(__name__)

__all__ = ["GAP_KINDS", "entry_topics", "gap_key", "gaps", "topics"]

# Reply kinds that mean the knowledge base had no answer to give (stored on the bot's turns).
GAP_KINDS = frozenset({"abstain", "clarify_region", "clarify", "fallback"})
KB_EDITOR_URL = "/console/kb?question="
_PUNCT_RE = re.compile(r"[\s\W_]+", re.UNICODE)
_PARTICLES_RE = re.compile(r"[啊呀吧呢嘛哈哦噢呗么]+$")


@lru_cache(maxsize=4)
def _entry_topics(entries_dir: str, stamp: float) -> dict[str, str]:
    from knowledge.catalog import load_entries

    return {e.id: e.topic for e in load_entries(Path(entries_dir))}


def entry_topics(settings: Settings) -> Callable[[str], str | None]:
    """Entry id -> topic from the curated entries (reloaded when a file of the folder changes)."""
    folder = Path(settings.kb_entries_dir)
    try:
        stamp = max((p.stat().st_mtime for p in folder.glob("*.y*ml")), default=0.0)
        table = _entry_topics(str(folder), stamp)
    except (OSError, ValueError) as exc:  # a broken entries folder must not take the dashboard down
        log.warning("kb_gaps.topics.unavailable error=%s", exc)
        table = {}
    return table.get


def topics(
    session: Session,
    *,
    start: dt.date,
    end: dt.date,
    timezone: str,
    topic_of: Callable[[str], str | None],
    limit: int = 10,
) -> list[CountRow]:
    """Conversations per topic, the topic being that of the entries the bot answered from.

    A conversation answered on two topics counts once for each; an unknown entry id counts
    under its source title.
    """
    lo, hi = local_bounds(start, end, timezone)
    rows = bulk.answer_data(session, lo, hi)
    seen: dict[int, set[str]] = defaultdict(set)
    for conv_id, data in rows:
        sources = (data or {}).get("sources") or []
        if not sources or not isinstance(sources[0], dict):
            continue
        first = sources[0]
        topic = topic_of(str(first.get("id", ""))) or str(first.get("title") or "").strip()
        if topic:
            seen[conv_id].add(topic)
    counts = Counter(t for ts in seen.values() for t in ts)
    return [
        CountRow(key=k, count=n) for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    ]


def gap_key(text: str) -> str:
    """The grouping key of a question: normalised wording without punctuation or trailing particles."""
    from knowledge.textnorm import normalize_query

    norm = _PUNCT_RE.sub("", normalize_query(text)).lower()
    return _PARTICLES_RE.sub("", norm)


def _reply_kind(turns: Iterable[tuple[str, str | None]]) -> str | None:
    """The kind of a caller turn's bot reply: the last kind among the bot turns that follow it."""
    kind = None
    for speaker, k in turns:
        if speaker == "bot" and k:
            kind = k
    return kind


def gaps(
    session: Session, *, start: dt.date, end: dt.date, timezone: str, limit: int = 20
) -> list[GapQuestion]:
    """Caller questions the bot abstained on or had to clarify, most frequent first.

    A caller turn counts when the bot turns after it (up to the next caller turn) end with a
    gap kind; replies of the system (hand-off waiting notes) do not count, nor button presses.
    Questions are masked (phone and ID numbers) before they leave this function.
    """
    lo, hi = local_bounds(start, end, timezone)
    rows = bulk.dialogue_rows(session, lo, hi)
    asked: list[tuple[str, dt.datetime, str]] = []  # (question, at, reply kind)
    pending: tuple[str, dt.datetime] | None = None
    replies: list[tuple[str, str | None]] = []
    current = None

    def flush() -> None:
        kind = _reply_kind(replies)
        if pending is not None and kind in GAP_KINDS:
            asked.append((pending[0], pending[1], kind))

    for conv_id, speaker, text, kind, data, created in rows:
        if conv_id != current or speaker == "caller":
            flush()
            pending, replies, current = None, [], conv_id
        if speaker == "caller":
            button = text.startswith("/") or bool((data or {}).get("payload"))
            pending = None if button or not text.strip() else (text.strip(), created)
        else:
            replies.append((speaker, kind))
    flush()

    groups: dict[str, dict[str, Any]] = {}
    for question, at, kind in asked:
        key = gap_key(question)
        if not key:
            continue
        g = groups.setdefault(key, {"texts": Counter(), "kinds": Counter(), "last": at})
        g["texts"][question] += 1
        g["kinds"][kind] += 1
        g["last"] = max(g["last"], at)
    ranked = sorted(groups.values(), key=lambda g: (-sum(g["kinds"].values()), -g["last"].timestamp()))
    out = []
    for g in ranked[:limit]:
        question = mask_text(g["texts"].most_common(1)[0][0])
        out.append(
            GapQuestion(
                question=question,
                count=sum(g["kinds"].values()),
                kinds=dict(g["kinds"]),
                last_at=g["last"],
                kb_url=KB_EDITOR_URL + quote(question, safe=""),
            )
        )
    return out
