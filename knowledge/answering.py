"""From search hits to a decision: answer, ask for the 参保地, or abstain.

Three checks stand between a hit and a caller: confidence (the best cosine of the entry's
question variants plus lexical support, against a threshold calibrated on labelled
questions), answer type (a question about an amount is not answered by an entry without
one), and region (a rule of one region is never given as a general answer).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import yaml

from knowledge.confidence import ConfidenceModel, features
from knowledge.regions import RegionTable
from knowledge.search import Doc, Hit, KnowledgeBase
from knowledge.textnorm import DATA_DIR, clean_text, domain_terms, has_chinese, normalize_query

log = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 0.87
MAX_QUESTION_CHARS = 1000
# Confidences this close are a tie between sibling entries (see prefer_focus).
FOCUS_TIE_MARGIN = 0.01
_FOLLOWUP_START = (
    "那",
    "那么",
    "那个",
    "这个",
    "还有",
    "另外",
    "那要",
    "那我",
    "要是",
    "如果",
    "还要",
    "还得",
    "那钱",
    "那如果",
)
_REGION_FILLER_RE = re.compile(
    r"(我是|俺是|我在|俺在|在|我们是|参保的|参保|的|人|这边|那边|医保|地方|，|。|,|\.|！|!|\s|啊|呀|哦|嘛|呢|吧)"
)


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
    lines = (DATA_DIR / "illustrative_topics.txt").read_text(encoding="utf-8").splitlines()
    return tuple(ln.strip() for ln in lines if ln.strip() and not ln.startswith("#"))


def asked_types(question: str) -> list[QuestionType]:
    """The kinds of fact the question asks for (amount, ratio, duration)."""
    text = normalize_query(question)
    return [
        qt
        for qt in question_types()
        if any(a in text for a in qt.asks) and not any(u in text for u in qt.unless)
    ]


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


def is_illustrative(doc: Doc) -> bool:
    return any(topic in doc.topic for topic in illustrative_topics())


@dataclass
class Policy:
    """Tunable numbers of the decision, calibrated on labelled questions (see ``calibrate``).

    With a fitted ``model`` the confidence is its probability and ``threshold`` applies to it;
    without one, the dense cosine plus a lexical bonus stands in (before any calibration).
    """

    threshold: float = DEFAULT_THRESHOLD
    lexical_bonus: float = 0.04
    national_margin: float = 0.02
    weights: dict[str, float] = field(default_factory=lambda: {"dense": 1.0, "lexical": 1.0})
    model: ConfidenceModel | None = None

    @classmethod
    def calibrated(cls) -> Policy:
        """The policy stored in ``data/confidence.json`` (model and threshold), else defaults."""
        import json

        from knowledge.confidence import DEFAULT_PATH

        if not DEFAULT_PATH.exists():
            return cls()
        data = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
        try:
            model = ConfidenceModel.from_json(data)
        except ValueError as exc:
            log.warning("%s; using the uncalibrated confidence until then", exc)
            return cls()
        return cls(
            threshold=float(data["threshold"]),
            model=model,
            national_margin=float(data.get("national_margin", 0.05)),
        )


@dataclass
class Decision:
    """What the answering service returns, before rendering to API schemas."""

    kind: str  # answer | clarify_region | abstain
    reason: str
    hits: list[Hit]
    chosen: Hit | None = None
    confidence: float = 0.0
    region: str | None = None
    candidate_regions: list[str] = field(default_factory=list)
    searched: str = ""


def confidence_of(hit: Hit, policy: Policy, hits: Sequence[Hit] = ()) -> float:
    """Probability-like confidence that ``hit`` answers the question searched for ``hits``."""
    if policy.model is not None:
        return policy.model.score(features(hit, hits or [hit]))
    return hit.dense + policy.lexical_bonus * min(hit.lexical_norm, 1.0)


def candidates(hits: Sequence[Hit], audience: str) -> list[Hit]:
    """Hits that may be given as an answer: curated entries (passages too for agents)."""
    return [h for h in hits if h.doc.kind == "entry" or audience == "agent"]


def region_only(question: str, table: RegionTable) -> bool:
    """True for turns like 我是太原的: a region and nothing else to answer."""
    found = table.find_all(question)
    if not found:
        return False
    rest = question
    for region in found:
        for name in (region.full_name, region.stem, *region.path.split("/")):
            rest = rest.replace(name, "")
    rest = _REGION_FILLER_RE.sub("", rest)
    return len(rest) <= 2


def is_followup(question: str) -> bool:
    """An elliptical question that leans on the previous one (那要带什么材料？)."""
    text = clean_text(question)
    if text.startswith(_FOLLOWUP_START):
        return True
    normalized = normalize_query(text)
    return len(text) <= 10 and not any(term in normalized for term in domain_terms() if len(term) >= 2)


class Answerer:
    """Decides per question; holds no per-caller state (history and region come in)."""

    def __init__(self, kb: KnowledgeBase, regions: RegionTable, policy: Policy | None = None):
        self.kb = kb
        self.regions = regions
        self.policy = policy or Policy()

    def _canonical(self, region: str | None) -> str | None:
        try:
            return self.regions.canonical(region)
        except ValueError:
            return None

    def search_text(self, question: str, history: Sequence[str]) -> str:
        """The text to search: the question, or the question joined to the one it follows up."""
        previous = [h for h in history if h and not region_only(h, self.regions)]
        if region_only(question, self.regions) and previous:
            return previous[-1]
        if previous and is_followup(question):
            return f"{previous[-1]} {question}"
        return question

    def decide(
        self,
        question: str,
        *,
        region: str | None = None,
        audience: str = "public",
        history: Sequence[str] = (),
    ) -> Decision:
        """Answer, clarify the region, or abstain, with the reason in plain words for logs."""
        text = clean_text(question) if isinstance(question, str) else ""
        if not text:
            return Decision("abstain", "empty", [])
        if len(text) > MAX_QUESTION_CHARS:
            return Decision("abstain", "too_long", [])
        if not has_chinese(text):
            return Decision("abstain", "no_chinese", [])
        stated = self.regions.extract(text)
        caller_region = stated or self._canonical(region)
        searched = self.search_text(text, history)
        hits = candidates(
            self.kb.search(searched, k=10, audience=audience, weights=self.policy.weights), audience
        )
        types = asked_types(text)
        conf = {id(h): confidence_of(h, self.policy, hits) for h in hits}
        eligible = [h for h in hits if conf[id(h)] >= self.policy.threshold and covers(h.doc, types)]
        eligible.sort(key=lambda h: -conf[id(h)])
        eligible = prefer_focus(eligible, conf, types)
        if not eligible:
            reason = (
                "type_not_covered"
                if hits and types and not any(covers(h.doc, types) for h in hits[:3])
                else "low_confidence"
            )
            return Decision(
                "abstain",
                reason,
                hits,
                confidence=max(conf.values(), default=0.0),
                region=caller_region,
                searched=searched,
            )
        best = eligible[0]
        best_conf = conf[id(best)]
        if caller_region:
            applicable = [h for h in eligible if self.regions.applies(h.doc.region, caller_region)]
            if applicable:
                return self._answer(applicable[0], hits, caller_region, searched, "region_match", conf)
            if is_illustrative(best.doc):
                return self._answer(best, hits, caller_region, searched, "illustrative_other_region", conf)
            return Decision(
                "abstain",
                "no_rule_for_region",
                hits,
                confidence=best_conf,
                region=caller_region,
                candidate_regions=self._regions_of(eligible),
                searched=searched,
            )
        national = [h for h in eligible if h.doc.region is None]
        if national and conf[id(national[0])] >= best_conf - self.policy.national_margin:
            return self._answer(national[0], hits, None, searched, "national", conf)
        if is_illustrative(best.doc):
            return self._answer(best, hits, None, searched, "illustrative", conf)
        return Decision(
            "clarify_region",
            "regional_rule",
            hits,
            confidence=best_conf,
            candidate_regions=self._regions_of(eligible),
            searched=searched,
        )

    def _answer(
        self,
        chosen: Hit,
        hits: list[Hit],
        region: str | None,
        searched: str,
        reason: str,
        conf: dict[int, float],
    ) -> Decision:
        return Decision(
            "answer",
            reason,
            hits,
            chosen=chosen,
            confidence=conf[id(chosen)],
            region=region,
            searched=searched,
        )

    def _regions_of(self, hits: Sequence[Hit]) -> list[str]:
        seen: list[str] = []
        for h in hits:
            name = self.regions.display(h.doc.region) if h.doc.region else None
            if name and name not in seen:
                seen.append(name)
        return seen[:4]


@dataclass(frozen=True)
class Labelled:
    question: str
    kind: str  # answer | clarify_region | abstain (ticket counts as abstain: not answerable)
    region: str | None = None


def calibrate(
    answerer: Answerer, items: Sequence[Labelled], grid: Sequence[float] | None = None
) -> tuple[float, float]:
    """Pick the threshold with the best balanced accuracy of 'commit vs abstain' on ``items``.

    Committing (answer or clarify) is right for answerable items and wrong for the rest, so
    the threshold trades guesses against needless abstentions; balance keeps a skewed set
    from deciding alone. Returns (threshold, balanced accuracy).
    """
    if grid is None:
        grid = (
            [round(0.05 + 0.025 * i, 3) for i in range(37)]
            if answerer.policy.model is not None
            else [round(0.80 + 0.005 * i, 3) for i in range(31)]
        )
    original = answerer.policy.threshold
    scored: list[tuple[float, float]] = []
    try:
        for threshold in grid:
            answerer.policy.threshold = threshold
            good_pos = total_pos = good_neg = total_neg = 0
            for item in items:
                decision = answerer.decide(item.question, region=item.region)
                committed = decision.kind != "abstain"
                if item.kind in ("answer", "clarify_region"):
                    total_pos += 1
                    good_pos += committed
                else:
                    total_neg += 1
                    good_neg += not committed
            balanced = (good_pos / max(total_pos, 1) + good_neg / max(total_neg, 1)) / 2
            scored.append((balanced, threshold))
    finally:
        answerer.policy.threshold = original
    best_score = max(s for s, _ in scored)
    # Among equally good thresholds take the highest: abstaining is the safer error.
    best_threshold = max(t for s, t in scored if s == best_score)
    return best_threshold, best_score


def training_examples(
    answerer: Answerer, items: Sequence[tuple[str, str | None]]
) -> tuple[np.ndarray, np.ndarray]:
    """Features of every candidate of every question, labelled 1 when it answers the question.

    ``items`` are (question, gold entry id or None for an unanswerable question). An entry of the
    gold entry's topic counts as answering: regional variants of one rule are all right
    candidates, and which region applies is decided afterwards, not by confidence.
    """
    topic_of = {key: doc.topic for key, doc in answerer.kb.docs.items()}
    rows: list[np.ndarray] = []
    labels: list[int] = []
    for question, gold in items:
        gold_topic = topic_of.get(f"entry:{gold}") if gold else None
        hits = candidates(
            answerer.kb.search(question, k=10, audience="public", weights=answerer.policy.weights), "public"
        )
        for hit in hits:
            rows.append(features(hit, hits))
            right = gold is not None and (hit.doc.key == f"entry:{gold}" or hit.doc.topic == gold_topic)
            labels.append(int(right))
    return np.vstack(rows), np.array(labels, dtype=np.float64)
