"""Sibling entries (one topic, one region) that tie in confidence are ordered by meaning."""

from __future__ import annotations

from knowledge.ranking import SIBLING_TIE_MARGIN, prefer_meaning
from knowledge.search import Hit
from tests.knowledge.hits import entry_hit


def _hit(key: str, dense: float, *, topic: str = "新生儿参保", region: str | None = "云南") -> Hit:
    return entry_hit(key, dense, region, topic=topic)


def _keys(hits: list[Hit]) -> list[str]:
    return [h.doc.key.removeprefix("entry:") for h in hits]


def test_a_tied_sibling_closer_in_meaning_goes_first() -> None:
    words, meaning, other = _hit("birth-certificate", 0.875), _hit("channels", 0.894), _hit("payment", 0.84)
    conf = {id(words): 0.894, id(meaning): 0.894 - SIBLING_TIE_MARGIN / 2, id(other): 0.70}
    assert _keys(prefer_meaning([words, meaning, other], conf)) == [
        "channels",
        "birth-certificate",
        "payment",
    ]


def test_lexical_lead_beyond_the_margin_stands() -> None:
    words, meaning = _hit("birth-certificate", 0.875), _hit("channels", 0.894)
    conf = {id(words): 0.894, id(meaning): 0.894 - 2 * SIBLING_TIE_MARGIN}
    assert _keys(prefer_meaning([words, meaning], conf)) == ["birth-certificate", "channels"]


def test_only_siblings_of_the_best_are_reordered() -> None:
    best = _hit("kunming-rule", 0.86)
    other_region = _hit("xiamen-rule", 0.95, region="福建/厦门")
    other_topic = _hit("settlement", 0.95, topic="异地就医")
    conf = {id(best): 0.90, id(other_region): 0.90, id(other_topic): 0.90}
    ranked = [best, other_region, other_topic]
    assert prefer_meaning(ranked, conf) == ranked
    assert prefer_meaning([], {}) == [] and prefer_meaning([best], conf) == [best]
