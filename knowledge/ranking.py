"""The kind of fact a question asks, and the order of candidate entries that tie.

Answer types (an amount, a rate, a time limit: ``knowledge/data/question_types.yaml``) decide which
entries can answer at all; among entries that match about equally well, the ones that hold the
asked fact, that are closest in meaning, or that are the caller's own region's rule go first.
Used by ``knowledge.answering``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import yaml

from knowledge.facets import asked_facets
from knowledge.search import Doc, Hit
from knowledge.textnorm import DATA_DIR, normalize_query, read_lines

# Confidences this close are a tie between sibling entries (see prefer_focus).
FOCUS_TIE_MARGIN = 0.01
# Siblings (one topic, one region) this close in confidence are ordered by meaning (prefer_meaning).
SIBLING_TIE_MARGIN = 0.01  # 0.03 measured worse: a sibling matching the words of the question lost
# A region's own entry answers a caller of that region when this close to the best match (a rule
# for everyone, or a re-run question's topic filed under another name in that region).
TOPIC_FALLBACK_MARGIN = 0.05


@dataclass(frozen=True)
class QuestionType:
    name: str
    asks: tuple[str, ...]
    evidence: tuple[re.Pattern[str], ...]
    unless: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def question_types() -> tuple[QuestionType, ...]:
    raw = yaml.safe_load((DATA_DIR / "question_types.yaml").read_text(encoding="utf-8"))
    return tuple(
        QuestionType(
            name,
            tuple(spec["asks"]),
            tuple(re.compile(p) for p in spec["evidence"]),
            tuple(spec.get("unless", ())),
        )
        for name, spec in raw.items()
    )


@lru_cache(maxsize=1)
def illustrative_topics() -> tuple[str, ...]:
    return tuple(read_lines(DATA_DIR / "illustrative_topics.txt"))


def asked_types(question: str) -> list[QuestionType]:
    """The kinds of fact the question asks for (amount, ratio, duration)."""
    text = normalize_query(question)
    return [
        qt
        for qt in question_types()
        if any(_asked(a, text) for a in qt.asks) and not any(u in text for u in qt.unless)
    ]


def _asked(word: str, text: str) -> bool:
    """Whether ``word`` asks in ``text``: after 了 it tells what was done ("住院花了好多钱")."""
    return any(not text[: m.start()].endswith("了") for m in re.finditer(re.escape(word), text))


def covers(doc: Doc, types: Sequence[QuestionType]) -> bool:
    """Whether the doc's answer contains evidence of every asked type."""
    body = doc.answer + " " + " ".join(doc.points.values())
    return all(any(p.search(body) for p in qt.evidence) for qt in types)


def focus_types(doc: Doc) -> set[str]:
    """The kinds of fact an entry is mainly about: those its title states (5个工作日内到账)."""
    return {qt.name for qt in question_types() if any(p.search(doc.title) for p in qt.evidence)}


def prefer_focus(ranked: Sequence[Hit], conf: dict[int, float], types: Sequence[QuestionType]) -> list[Hit]:
    """Among near-ties with the best, put first an entry not about a fact nobody asked for.

    Entries of one topic and region tie closely (same words); a question with no 多久 in it
    should not get the entry whose point is how long it takes when a sibling answers it.
    """
    if not ranked:
        return list(ranked)
    asked = {qt.name for qt in types}
    best = conf[id(ranked[0])]
    if not focus_types(ranked[0].doc) - asked:
        return list(ranked)
    for i, hit in enumerate(ranked[1:], start=1):
        if best - conf[id(hit)] > FOCUS_TIE_MARGIN:
            break
        if not focus_types(hit.doc) - asked:
            return [hit, *ranked[:i], *ranked[i + 1 :]]
    return list(ranked)


def prefer_meaning(ranked: Sequence[Hit], conf: dict[int, float]) -> list[Hit]:
    """Among near-ties with the best of its own topic and region, put the closest in meaning first.

    Sibling entries of one rule share most words, so lexical overlap with a caller's story
    (户口在老家曲靖) decides their tie by chance; what the question means separates them better.
    """
    if len(ranked) < 2:
        return list(ranked)
    best = ranked[0]
    tied = [
        h
        for h in ranked
        if conf[id(best)] - conf[id(h)] <= SIBLING_TIE_MARGIN
        and (h.doc.topic, h.doc.region) == (best.doc.topic, best.doc.region)
    ]
    closest = max(tied, key=lambda h: h.dense)
    return list(ranked) if closest is best else [closest, *(h for h in ranked if h is not closest)]


def prefer_own_region(applicable: Sequence[Hit], conf: dict[int, float]) -> list[Hit]:
    """For a caller whose region is known, the region's own rule before a rule for everyone
    ("零星报销时限各地不一样……" gives way to 衢州's 5个工作日) when it matches about as well."""
    if not applicable:
        return list(applicable)
    best = conf[id(applicable[0])]
    own = [h for h in applicable if h.doc.region and conf[id(h)] >= best - TOPIC_FALLBACK_MARGIN]
    return own + [h for h in applicable if all(h is not o for o in own)]


def is_illustrative(doc: Doc) -> bool:
    return any(topic in doc.topic for topic in illustrative_topics())


@lru_cache(maxsize=1)
def local_case_documents() -> tuple[str, ...]:
    return tuple(read_lines(DATA_DIR / "local_cases.txt"))


def is_local_case(doc: Doc) -> bool:
    """An entry drawn only from documents that tell one place's own innovation (data/local_cases.txt)."""
    cited = [part.strip().split()[0] for part in doc.source.split(";") if part.strip()]
    named = [c for c in cited if c.endswith(".txt")]
    return bool(named) and all(c in local_case_documents() for c in named)


# An overview entry that gives a few regions' rules as examples and then asks for the caller's
# 参保地 ("……请告诉我您在哪里参保，我按当地的规定告诉您。"): its reply is a question for the region.
_ASKS_REGION_RE = re.compile(r"告诉我您?(的参保地|在哪[里儿]?参保|是哪里参保)")


def asks_region(doc: Doc) -> bool:
    """True for an overview whose answer ends by asking the caller where they are insured."""
    last = re.split(r"(?<=[。！？])", doc.answer.strip().rstrip("。！？"))[-1]
    return bool(_ASKS_REGION_RE.search(last))


def asks_specifics(question: str, types: Sequence[QuestionType]) -> bool:
    """An amount, a rate, a time limit or a time: another region's figure would mislead."""
    return bool(types) or any(f.key == "time_limit" for f in asked_facets(question))


# A question for the rule itself (按规定, 国家规定, 最晚, 不得超过) asks what holds everywhere; "一般要
# 多少天" asks how long it takes where the caller is insured.
_ASKS_RULE_RE = re.compile(r"规定|规范|国家|明文|最[晚长迟]|不得超过|不能超过|上限")


def asks_rule(question: str) -> bool:
    return bool(_ASKS_RULE_RE.search(normalize_query(question)))


def pick_national(
    national: Sequence[Hit],
    conf: dict[int, float],
    floor: float,
    best: Hit,
    question: str,
    types: Sequence[QuestionType],
) -> Hit | None:
    """The rule for everyone that answers, if any. A question for the rule gets the norm that holds
    everywhere (手工零星报销 30个工作日内办完), also when a region's copy of it matches better; a
    figure asked without it gets the overview that asks where the caller is insured (各地不一样……);
    otherwise a rule for everyone answers when it matches about as well as the best (``floor``).
    ``types`` are the question's asked types (``asked_types``)."""
    specifics, rule = asks_specifics(question, types), asks_rule(question)
    if specifics and rule:
        norm = [h for h in national if h.doc.topic == best.doc.topic and not asks_region(h.doc)]
        if norm:
            return norm[0]
    if not national or conf[id(national[0])] < floor:
        return None
    if rule or not specifics:
        return national[0]
    near = [h for h in national if conf[id(h)] >= floor]
    return next((h for h in near if asks_region(h.doc)), national[0])


def past_overview(applicable: Sequence[Hit]) -> list[Hit]:
    """For a caller whose region is known, an overview that asks the region gives way to the rule
    for everyone of its topic (the norm), when there is one."""
    if not applicable or not asks_region(applicable[0].doc):
        return list(applicable)
    topic = applicable[0].doc.topic
    norm = [
        h for h in applicable[1:] if h.doc.region is None and h.doc.topic == topic and not asks_region(h.doc)
    ]
    return norm + [h for h in applicable if all(h is not n for n in norm)]
