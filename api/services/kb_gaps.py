"""What callers asked about, and what the knowledge base could not answer (the gaps to fill next).

- topics: conversations per topic, the topic being that of the entries the bot answered from;
- gaps: caller turns whose bot reply was an abstention or a clarification, grouped by normalised
  text (masked), each with a link to the knowledge editor;
- unanswered: the questions the bot declined or handed to an agent, each with what the agent
  answered (masked), which ``api.services.kb_clusters`` groups by meaning.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
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

__all__ = ["GAP_KINDS", "Unanswered", "entry_topics", "gap_key", "gaps", "topics", "unanswered"]

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


# ---- declined and handed-over questions, with the agent's answer (learning from the line) ----------
DECLINED_KINDS = frozenset({"abstain", "fallback"})
_HANDOFF_ASK_RE = re.compile(r"(转|找|要|接)?(人工|坐席|客服|真人)")


@dataclass(frozen=True)
class Unanswered:
    """A caller question the bot declined or that went to an agent (masked), and what the agent said."""

    question: str
    at: dt.datetime
    kind: str  # "abstain" (declined by the bot) or "handoff" (a human took the conversation)
    agent_answer: str | None = None


def _is_handoff_ask(text: str) -> bool:
    """A turn that only asks for a human (转人工, 我要找客服): not the question itself."""
    return len(gap_key(text)) <= 8 and bool(_HANDOFF_ASK_RE.search(text))


def _conversation_unanswered(turns: list[Any]) -> list[Unanswered]:
    """The declined questions of one conversation; the one an agent answered carries the answer."""
    asked: list[tuple[str, dt.datetime, str | None]] = []  # (question, at, reply kind)
    agent_texts: list[str] = []
    first_agent = None
    for _, speaker, text, kind, data, created in turns:
        if speaker == "agent":
            first_agent = len(asked) if first_agent is None else first_agent
            agent_texts.append(text.strip())
        elif speaker == "caller" and first_agent is None:
            button = text.startswith("/") or bool((data or {}).get("payload"))
            if not button and text.strip():
                asked.append((text.strip(), created, None))
        elif speaker == "bot" and kind and asked and first_agent is None:
            question, at, _ = asked[-1]
            asked[-1] = (question, at, kind)
    out = [Unanswered(mask_text(q), at, "abstain") for q, at, kind in asked if kind in DECLINED_KINDS]
    if first_agent is None or not agent_texts:
        return out
    before = [(q, at) for q, at, _ in asked[:first_agent] if not _is_handoff_ask(q)]
    declined = [(q, at) for q, at, kind in asked[:first_agent] if kind in DECLINED_KINDS]
    chosen = declined[-1] if declined else (before[-1] if before else None)
    if chosen is None:
        return out
    question, at = chosen[0], chosen[1]
    answer = mask_text(max(agent_texts, key=len))  # greetings are short; the answer is the long turn
    out = [u for u in out if u.question != mask_text(question)]
    out.append(Unanswered(mask_text(question), at, "handoff", answer))
    return out


def unanswered(session: Session, *, lo: dt.datetime, hi: dt.datetime) -> list[Unanswered]:
    """Every caller question in [lo, hi) the bot declined or an agent took over, oldest first.

    Per conversation: each question whose bot reply was an abstention, and the question a taken
    hand-off was about (the last declined one before the agent spoke, else the last real question,
    not the bare request for a human) with the agent's longest reply as the answer. Masked.
    """
    rows = bulk.dialogue_rows(session, lo, hi, speakers=("caller", "bot", "agent"))
    found: list[Unanswered] = []
    current: list[Any] = []
    for row in rows:
        if current and row[0] != current[0][0]:
            found.extend(_conversation_unanswered(current))
            current = []
        current.append(row)
    if current:
        found.extend(_conversation_unanswered(current))
    return sorted(found, key=lambda u: u.at)
