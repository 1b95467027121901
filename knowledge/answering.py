"""From search hits to a decision: answer, ask for the 参保地, or abstain.

Three checks stand between a hit and a caller: confidence (the best cosine of the entry's
question variants plus lexical support, against a threshold calibrated on labelled
questions), answer type (a question about an amount is not answered by an entry without
one), and region (a rule of one region is never given as a general answer).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from knowledge.continuity import confirmed, may_continue, on_topic_query
from knowledge.facets import FacetAnswer, asked_facets, new_terms, qualified_sentences, residual, resolve
from knowledge.followup import (
    FOLLOWUP_MAX_CHARS,
    asked_clause,
    is_followup,
    region_only,
    self_only,
    story_question,
    without_regions,
)
from knowledge.heard import county_places, recover
from knowledge.named import NamedServices
from knowledge.own_region import own_region_match
from knowledge.policy import Policy, candidates, confidence_of
from knowledge.ranking import (
    TOPIC_FALLBACK_MARGIN,
    asked_types,
    asks_region,
    asks_specifics,
    covers,
    is_illustrative,
    is_local_case,
    past_overview,
    pick_national,
    prefer_focus,
    prefer_meaning,
    prefer_own_region,
)
from knowledge.regions import RegionTable
from knowledge.review import date_label, is_stale
from knowledge.search import Doc, Hit, KnowledgeBase
from knowledge.terms import TermCoverage
from knowledge.textnorm import clean_text, has_chinese

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 1000
# A facet follow-up says at most this many characters besides its facet words ("在哪儿绑？要去窗口不？"
# leaves 绑).
FACET_RESIDUAL_MAX = 3


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
    facet: FacetAnswer | None = None  # a follow-up answered by facet (reason "facet")
    stale_since: str = ""  # the chosen entry's date (2023年8月) when it is past its review date


# Tables derived from the entries, with the base version they were derived from.
_Derived = tuple[tuple[str | None, int], NamedServices, TermCoverage, tuple[str, ...]]


class Answerer:
    """Decides per question; holds no per-caller state (history and region come in)."""

    def __init__(self, kb: KnowledgeBase, regions: RegionTable, policy: Policy | None = None):
        self.kb = kb
        self.regions = regions
        self.policy = policy or Policy()
        self._derived: _Derived | None = None

    def _of_base(self) -> tuple[NamedServices, TermCoverage, tuple[str, ...]]:
        """Tables derived from the current entries (rebuilt when the base changes)."""
        key = (self.kb.version, len(self.kb.docs))
        if self._derived is None or self._derived[0] != key:
            docs = list(self.kb.docs.values())
            places = county_places(d.region for d in docs if d.region)
            self._derived = (key, NamedServices(docs), TermCoverage(docs), places)
        return self._derived[1], self._derived[2], self._derived[3]

    def places(self) -> tuple[str, ...]:
        """The counties the base has rules for: places to know by sound besides provinces and cities."""
        return self._of_base()[2]

    def named_services(self) -> NamedServices:
        """The quoted service names of the current entries."""
        return self._of_base()[0]

    def _canonical(self, region: str | None) -> str | None:
        try:
            return self.regions.canonical(region)
        except ValueError:
            return None

    def search_text(self, question: str, history: Sequence[str]) -> str:
        """The text to search: the question, or the question joined to the one it follows up
        (who the caller is, said after a question, belongs to that question)."""
        previous = [h for h in history if h and not region_only(h, self.regions)]
        if region_only(question, self.regions) and previous:
            return previous[-1]
        if previous and (is_followup(question) or self_only(question)):
            return f"{previous[-1]} {question}"
        return question

    def decide(
        self,
        question: str,
        *,
        region: str | None = None,
        audience: str = "public",
        history: Sequence[str] = (),
        topic: str | None = None,
        previous_entry: str | None = None,
        story: bool = True,
    ) -> Decision:
        """Answer, clarify the region, or abstain, with the reason in plain words for logs.

        Args:
            topic: the topic of the question being re-run with a region the caller just gave;
                only entries of that topic answer it (another rule of the region is not the answer).
            previous_entry: the entry the caller was just given; a follow-up naming a facet
                ("那要带什么材料？") is answered from it or its siblings (knowledge/facets.py).
            story: a long turn the base cannot answer whole is asked again by the question it ends
                with (a story dilutes it); False for routing evidence, which weighs the whole turn.
        """
        text = clean_text(question) if isinstance(question, str) else ""
        text = recover(text, places=self.places(), strict=True)  # 验太 typed for 烟台
        if not text:
            return Decision("abstain", "empty", [])
        if len(text) > MAX_QUESTION_CHARS:
            return Decision("abstain", "too_long", [])
        if not has_chinese(text):
            return Decision("abstain", "no_chinese", [])
        stated = self.regions.extract(text)
        caller_region = stated or self._canonical(region)
        previous = self.kb.docs.get(f"entry:{previous_entry}") if previous_entry else None
        followup = self._facet_followup(asked_clause(text), previous, caller_region, whole=text)
        if followup is not None:
            return followup
        searched = self.search_text(text, history)
        if searched == text and region_only(text, self.regions):
            # "俺家在衢州，嗯": no question yet; the region's only entry is not what was asked
            return Decision("abstain", "region_only", [], region=caller_region, searched=searched)
        decision = self._decide_searched(text, searched, caller_region, audience, topic)
        alone = decision
        if searched != text and not self_only(text):
            # A follow-up joined to the question before it; one that stands on its own words
            # ("那医保的热线号码是多少") must not be bent toward the earlier topic.
            # What the turn leans on still says what it asks ("规定几个工作日" before "那生育保险待遇呢").
            alone = self._decide_searched(text, text, caller_region, audience, topic, asked=searched)
            if alone.kind != "abstain" and alone.confidence > decision.confidence:
                return alone
        if decision.kind == "abstain" and previous is not None and may_continue(text, previous):
            # "住院还要交押金不" after 昆明's 信用就医: the topic's entry, found with and without its name.
            on_topic = self._decide_searched(
                text, on_topic_query(previous, text), caller_region, audience, previous.topic
            )
            plain = [decision.hits, alone.hits]
            if on_topic.chosen is not None and confirmed(on_topic.chosen, plain, self._confidences):
                return on_topic
        asked = story_question(text) if story and decision.kind == "abstain" else ""
        if asked:
            # A long story dilutes the question it ends with: search that question alone.
            told = self._decide_searched(asked, asked, caller_region, audience, topic)
            if told.kind != "abstain":
                return told
        return decision

    def _decide_searched(
        self,
        text: str,
        searched: str,
        caller_region: str | None,
        audience: str,
        topic: str | None,
        *,
        asked: str = "",
    ) -> Decision:
        hits = candidates(
            self.kb.search(searched, k=10, audience=audience, weights=self.policy.weights), audience
        )
        types = asked_types(text)
        conf = self._confidences(hits)
        terms = self._of_base()[1]
        eligible = [
            h
            for h in hits
            if conf[id(h)] >= self.policy.threshold
            and covers(h.doc, types)
            and not terms.foreign(text, h.doc)
        ]
        own = own_region_match(
            hits,
            conf,
            caller_region,
            self.regions,
            self.policy.threshold,
            lambda: self._core(searched, audience),
        )
        if own is not None and covers(own.doc, types) and not terms.foreign(text, own.doc):
            eligible = [own, *(h for h in eligible if h is not own)]
        eligible.sort(key=lambda h: -conf[id(h)])
        eligible = prefer_focus(prefer_meaning(eligible, conf), conf, types)
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
            if topic:
                # The region's rule under the topic asked about; when the region files that rule
                # under another topic ("非工作时间留言" for a "7×24小时" question), its entry must be
                # among the question's best matches, else a sibling rule would answer instead.
                on_topic = [h for h in applicable if h.doc.topic == topic]
                near_best = [
                    h for h in applicable if h is own or conf[id(h)] >= best_conf - TOPIC_FALLBACK_MARGIN
                ]
                applicable = on_topic or near_best
            applicable = past_overview(prefer_own_region(applicable, conf))
            if applicable:
                return self._answer(applicable[0], hits, caller_region, searched, "region_match", conf)
            if is_illustrative(best.doc) and not asks_specifics(text, types):
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
        chosen = pick_national(
            national, conf, best_conf - self.policy.national_margin, best, asked or searched, types
        )
        if chosen is not None:
            # An overview of a few regions' figures that asks the region: a question, when a figure is asked.
            overview = asks_region(chosen.doc) and asks_specifics(text, types)
            kind, reason = ("clarify_region", "overview") if overview else ("answer", "national")
            return self._answer(chosen, hits, None, searched, reason, conf, kind=kind)
        if is_illustrative(best.doc) and not asks_specifics(text, types) and not is_local_case(best.doc):
            return self._answer(best, hits, None, searched, "illustrative", conf)
        named = self.named_services().region_named(text)
        theirs = [h for h in eligible if named and h.doc.region == named]
        if theirs:  # "“红小依之家”是干啥的": the name says whose service it is
            return self._answer(theirs[0], hits, None, searched, "named_service", conf)
        return Decision(
            "clarify_region",
            "regional_rule",
            hits,
            confidence=best_conf,
            candidate_regions=self._regions_of(eligible),
            searched=searched,
        )

    def _confidences(self, hits: Sequence[Hit]) -> dict[int, float]:
        return {id(h): confidence_of(h, self.policy, hits) for h in hits}

    def _core(self, searched: str, audience: str) -> dict[str, float]:
        """Each entry's confidence for the question without the regions it names: a city said in
        passing matches the city's every rule, so how well a rule answers is judged without it."""
        core = without_regions(searched, self.regions)
        if core == searched or not has_chinese(core):
            return {}
        hits = candidates(
            self.kb.search(core, k=10, audience=audience, weights=self.policy.weights), audience
        )
        conf = self._confidences(hits)
        return {h.doc.key: conf[id(h)] for h in hits}

    def _answer(
        self,
        chosen: Hit,
        hits: list[Hit],
        region: str | None,
        searched: str,
        reason: str,
        conf: dict[int, float],
        kind: str = "answer",
    ) -> Decision:
        return Decision(
            kind,
            reason,
            hits,
            chosen=chosen,
            confidence=conf[id(chosen)],
            region=region,
            searched=searched,
            stale_since=self.stale_since(chosen.doc),
        )

    def stale_since(self, doc: Doc) -> str:
        """The entry's date as a caller hears it when it is past its review date, else ""."""
        if doc.kind != "entry" or not is_stale(doc.date, months=self.policy.review_months):
            return ""
        return date_label(doc.date)

    def _facet_followup(
        self, text: str, previous: Doc | None, region: str | None, *, whole: str = ""
    ) -> Decision | None:
        """A follow-up naming a facet of the entry just given, resolved among its siblings; who the
        caller is may come in the clause before the one that asks ("我是退休职工，能多报点不": ``whole``)."""
        short = is_followup(text) or len(clean_text(text)) <= FOLLOWUP_MAX_CHARS
        if previous is None or not short or new_terms(text, previous):
            return None
        if region and previous.region and not self.regions.applies(previous.region, region):
            return None  # the caller moved to another region: search again
        asked = asked_facets(text)
        if not asked:
            said = qualified_sentences(previous, text) or qualified_sentences(previous, whole)
            if not said:
                return None
            found = FacetAnswer(previous, (), points_only=True, sentences=said)
            chosen = Hit(previous, 1.0, 1.0, 0.0, 0.0)
            return Decision(
                "answer",
                "qualifier",
                [],
                chosen=chosen,
                confidence=1.0,
                region=region,
                facet=found,
                stale_since=self.stale_since(previous),
            )
        if len(residual(text, asked)) > FACET_RESIDUAL_MAX:
            return None  # more than a facet: a question of its own ("那处方拿到药店几天内有效？")
        found = resolve(
            self.kb.docs.values(),
            previous,
            asked,
            region_ok=lambda r: bool(region and r and self.regions.applies(r, region)),
            question=text,
        )
        if found.doc is None:
            chosen = Hit(previous, 1.0, 1.0, 0.0, 0.0)
            return Decision("abstain", "facet_missing", [], chosen=chosen, region=region, facet=found)
        chosen = Hit(found.doc, 1.0, 1.0, 0.0, 0.0)
        return Decision(
            "answer",
            "facet",
            [],
            chosen=chosen,
            confidence=1.0,
            region=region,
            facet=found,
            stale_since=self.stale_since(found.doc),
        )

    def _regions_of(self, hits: Sequence[Hit]) -> list[str]:
        seen: list[str] = []
        for h in hits:
            name = self.regions.display(h.doc.region) if h.doc.region else None
            if name and name not in seen:
                seen.append(name)
        return seen[:4]
