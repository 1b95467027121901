"""Sibling entries (one topic, one region) that tie in confidence are ordered by meaning."""

from __future__ import annotations

import pytest

from knowledge.ranking import (
    SIBLING_TIE_MARGIN,
    asked_types,
    is_local_case,
    past_overview,
    pick_national,
    prefer_meaning,
)
from knowledge.search import Hit
from tests.knowledge.hits import entry_doc, entry_hit


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


def _timed(key: str, region: str | None, answer: str) -> Hit:
    doc = entry_doc(key, region, answer=answer, topic="零星报销时限", points={"time_limit": "x"})
    return Hit(doc, score=0.0, dense=0.9, lexical=0.0, lexical_norm=0.0)


_OVERVIEW = _timed(
    "overview", None, "各地不一样，比如开封30个工作日。请告诉我您在哪里参保，我按当地的规定告诉您。"
)
_NORM = _timed("norm", None, "按规范要求，手工零星报销30个工作日内办完。超时可以登记催办工单。")
_KAIFENG = _timed("kaifeng", "河南/开封", "开封市规定30个工作日内办完。")


@pytest.mark.parametrize(
    ("question", "chosen"),
    [
        ("手工报销按规定最晚多少个工作日要办完", "norm"),  # the rule asked: the norm for everyone
        ("零星报销交上去一般几天能办完", "overview"),  # how long in practice: ask where
        ("零星报销是什么", "norm"),  # no figure asked: the best rule for everyone, as before
    ],
)
def test_the_rule_asked_gets_the_norm_a_figure_in_practice_the_overview(question: str, chosen: str) -> None:
    national = [_NORM, _OVERVIEW]
    conf = {id(_NORM): 0.9, id(_OVERVIEW): 0.88, id(_KAIFENG): 0.95}
    picked = pick_national(national, conf, 0.85, _KAIFENG, question, asked_types(question))
    assert picked is not None and picked.doc.key == f"entry:{chosen}"


def test_the_norm_answers_the_rule_asked_even_when_a_regions_copy_matches_better() -> None:
    conf = {id(_NORM): 0.8, id(_OVERVIEW): 0.8, id(_KAIFENG): 0.97}
    usual = "一般要几天"
    assert pick_national([_NORM, _OVERVIEW], conf, 0.92, _KAIFENG, usual, asked_types(usual)) is None
    asked = "国家规定几个工作日之内要办完"
    picked = pick_national([_NORM, _OVERVIEW], conf, 0.92, _KAIFENG, asked, asked_types(asked))
    assert picked is _NORM


def test_a_caller_of_known_region_gets_the_norm_not_the_overview_asking_where() -> None:
    assert past_overview([_OVERVIEW, _NORM]) == [_NORM, _OVERVIEW]
    assert past_overview([_KAIFENG, _OVERVIEW, _NORM]) == [_KAIFENG, _OVERVIEW, _NORM]
    assert past_overview([_OVERVIEW]) == [_OVERVIEW]


def test_one_places_innovation_is_that_places_not_an_example_for_everyone() -> None:
    case = entry_doc("e-map", "河南/郑州", source="004_97e06d7970843a80.txt L1875; L1889")
    norm = entry_doc("one-window", "河南", source="000_3420f8cd79ccc8b1.txt L65")
    cited = "002_fb726413a90cd882.txt L322; 004_97e06d7970843a80.txt L79"
    both = entry_doc("mixed", "河南/开封", source=cited)
    assert is_local_case(case)
    assert not is_local_case(norm) and not is_local_case(both)
