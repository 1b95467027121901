"""Robust phrase matching: spacing, particles, fillers, homophones, exclusions, evidence spans."""

from __future__ import annotations

import pytest

from inspection.kb import region_mentioned
from inspection.textmatch import (
    LexiconEntry,
    PhraseMatcher,
    fold_syllable,
    normalize,
    parse_lexicon,
    phrase_codes,
)

MATCHER = PhraseMatcher(
    [
        LexiconEntry("不归我们管"),
        LexiconEntry("不知道", ("不知道您",)),
        LexiconEntry("你自己*查吧"),
        "听不懂吗",
    ]
)


def test_normalize_keeps_offsets_for_evidence() -> None:
    n = normalize("这 不归，我们管啊！")
    assert n.chars == "这不归我们管"
    assert n.span(1, 6) == "不归，我们管"


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("这个不归我们管。", "不归我们管"),  # exact
        ("这 不归 我 们管 啊", "不归我们管"),  # spaces and a particle
        ("这不归我们这边管", "不归我们管"),  # a filler inside
        ("这个不贵我们管", "不归我们管"),  # ASR homophone 归/贵
        ("我也不资道", "不知道"),  # dialect zh/z
        ("你自己上网去查吧", "你自己*查吧"),  # wildcard gap
        ("你听不懂吗？", "听不懂吗"),
    ],
)
def test_variants_are_found(text: str, phrase: str) -> None:
    found = MATCHER.find(text)
    assert [m.phrase for m in found] == [phrase]


def test_exclusion_and_unrelated_text() -> None:
    assert MATCHER.find("不知道您是哪里参保的？") == []
    assert MATCHER.find("您好，请问有什么可以帮您？") == []


def test_evidence_quotes_the_original_and_marks_exactness() -> None:
    exact = MATCHER.search("这个不归我们管")
    fuzzy = MATCHER.search("这个不贵我们管")
    assert exact is not None and exact.exact and exact.evidence == "不归我们管"
    assert fuzzy is not None and not fuzzy.exact and fuzzy.evidence == "不贵我们管"


def test_homophones_can_be_turned_off() -> None:
    strict = PhraseMatcher(["不归我们管"], homophones=False)
    assert strict.find("不贵我们管") == [] and strict.find("不归我们管")


def test_fold_syllable() -> None:
    assert fold_syllable("zhang") == fold_syllable("zan")
    assert fold_syllable("lin") == fold_syllable("ning")


def test_parse_lexicon_comments_and_exclusions() -> None:
    entries = parse_lexicon(["# comment", "", "不知道 | 不知道您 | 不知道你是  # trailing", "   "])
    assert entries == [LexiconEntry("不知道", ("不知道您", "不知道你是"))]


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="max_fillers"):
        PhraseMatcher(["a"], max_fillers=-1)
    with pytest.raises(TypeError, match="text"):
        normalize(None)  # type: ignore[arg-type]


def test_phrase_codes_read_a_word_in_context() -> None:
    # 都 alone is dou; in 成都 it is du, which is what a recogniser's 成度 sounds like.
    assert len(phrase_codes("成都")) == 2 and len(phrase_codes("太原")) == 1
    heard = "成度医疗救助一键通多重救助办下来要多长时间"
    assert region_mentioned("四川/成都", heard, sounds=normalize(heard).codes)
    assert not region_mentioned("四川/成都", "太原的异地就医", sounds=normalize("太原的异地就医").codes)


def test_a_city_or_county_of_the_region_is_a_mention() -> None:
    """普洱 lies in 云南, 佛山 in 广东 (the knowledge package's adcode table); 厦门 is not in 云南."""
    from inspection.kb import Fact, make_lexical_lookup, places_named

    assert "云南/普洱" in places_named("我普洱的，孩子刚出生")
    assert region_mentioned("云南", "我普洱的，孩子刚出生")
    assert region_mentioned("广东", "我在佛山上班")
    assert not region_mentioned("云南", "我厦门的，孩子刚出生")
    yunnan = Fact("yn", "云南新生儿凭出生医学证明参保。", region="云南", title="云南新生儿参保")
    fujian = Fact("fj", "福建新生儿凭出生医学证明参保。", region="福建", title="福建新生儿参保")
    lookup = make_lexical_lookup([fujian, yunnan], min_score=0.0)
    assert [f.id for f in lookup("我普洱的，新生儿参保怎么办")][:1] == ["yn"]
