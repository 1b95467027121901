"""Generated phrasings of imported FAQ questions: synonyms, question kinds, spoken and region frames,
answer sentences; bounded, deterministic, and nothing the query normalisation already merges."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.phrasing import Phrasings, default_phrasings, sound_alike, with_phrasings
from knowledge.textnorm import normalize_query

TABLES = """
synonyms:
  - [医保卡, 社保卡]
  - [报销, 报账]
  - [零星报销, 手工报销]
  - [医院, 定点医院]
  - [怎么办, 咋办]
question_types:
  how_long:
    endings: [多久, 几个工作日]
    say: ["{core}要多久", "{core}几天能好"]
colloquial: ["想问一下{q}"]
region_frames: ["我是{region}的，{q}"]
"""


@pytest.fixture
def small(tmp_path: Path) -> Phrasings:
    path = tmp_path / "phrasing.yaml"
    path.write_text(TABLES, encoding="utf-8")
    return Phrasings.load(path)


def test_synonyms_swap_one_word_and_all_words(small: Phrasings) -> None:
    variants = small.synonym_variants("医保卡在医院能报销吗")
    assert variants[0] == "社保卡在定点医院能报账吗"  # every group swapped at once
    assert {"社保卡在医院能报销吗", "医保卡在定点医院能报销吗", "医保卡在医院能报账吗"} <= set(variants)


def test_the_longest_synonym_owns_its_characters(small: Phrasings) -> None:
    variants = small.synonym_variants("零星报销去定点医院办")
    assert "手工报销去定点医院办" in variants
    assert not any("零星报账" in v or "定点定点" in v for v in variants)


def test_a_question_kind_gets_its_other_endings_without_the_region(small: Phrasings) -> None:
    assert small.kind_variants("开封零星报销要几个工作日？", ["开封", "开封市", "河南"]) == [
        "零星报销要多久",
        "零星报销几天能好",
    ]
    assert small.kind_variants("零星报销去哪办", []) == []


def test_generate_is_bounded_deterministic_and_drops_what_normalisation_merges(small: Phrasings) -> None:
    question = "开封零星报销要几个工作日？"
    variants = small.generate(question, region="河南/开封", existing=["零星报销要多久"])
    assert variants == small.generate(question, region="河南/开封", existing=["零星报销要多久"])
    assert "零星报销要多久" not in variants  # the sheet already has it
    assert "我是开封的，零星报销要几个工作日" in variants
    assert "想问一下开封零星报销要几个工作日" in variants
    keys = [normalize_query(v) for v in variants]
    assert len(keys) == len(set(keys)) and normalize_query("开封零星报销要几个工作日?") not in keys
    assert len(small.generate(question, region="河南/开封", limit=2)) == 2
    # 咋办 is normalised to 怎么办 before search: that variant would add nothing.
    assert small.generate("报销材料丢了怎么办", limit=20).count("报销材料丢了咋办") == 0


def test_answer_sentences_become_questions(small: Phrasings) -> None:
    answer = (
        "可以。太原从2023年1月起实行急诊住院视同备案：临时外出时在外地突发危、急、重症住院的，不用办备案。"
    )
    questions = small.answer_questions(answer, ["太原"])
    assert questions[0] == "实行急诊住院视同备案吗"
    assert questions[1].startswith("临时外出时在外地突发危、急、重症住院的")
    assert all(len(q) <= 33 for q in questions)


def test_the_shipped_tables_cover_the_issue_examples() -> None:
    phrasings = default_phrasings()
    groups = {frozenset(g) for g in phrasings.synonyms}
    for pair in (("医保卡", "社保卡"), ("备案", "报备"), ("异地", "外地", "外省"), ("报销", "报账")):
        assert any(set(pair) <= g for g in groups), pair
    assert {k.name for k in phrasings.kinds} >= {"how", "how_long", "how_much", "where", "who_may"}
    variants = phrasings.generate("小孩医保卡丢了怎么办？", region="河南/开封", answer="到开封医保大厅补办。")
    assert 0 < len(variants) <= 24
    assert any("社保卡" in v for v in variants) and any("开封" in v for v in variants)


def test_service_names_are_also_written_as_a_recogniser_hears_them(small: Phrasings) -> None:
    assert sound_alike("浙里办") == "这里办" and sound_alike("超级") == "超级"  # common characters stay
    answer = "可以到“红小依之家”服务站点办理，共214个。"
    assert small.sound_alike_variants("红小依之家服务站点有多少个", answer) == ["红小一之家服务站点有多少个"]
    assert small.sound_alike_variants("服务站点有多少个", answer) == []  # the name is not in the question
    assert small.sound_alike_variants("“医保码”怎么亮", "") == []  # a domain term: repaired by sound already


def test_a_region_said_first_goes_whole_and_one_inside_the_sentence_stays(small: Phrasings) -> None:
    variants = small.generate("昌吉的，参保登记能在社区办不？", region="新疆/昌吉")
    assert "我是昌吉的，参保登记能在社区办不" in variants
    assert not any("，的，" in v or v.startswith("的") for v in variants)  # no "我是昌吉的，的，"
    inside = small.generate("在太原念书的大学生医保卡丢了怎么办", region="山西/太原")
    assert "我是太原的，在太原念书的大学生医保卡丢了怎么办" in inside
    assert not any("在念书" in v for v in inside)  # cutting the name out would break the sentence
    assert small.answer_questions("昌吉州把参保登记下沉到乡镇便民服务点。", ["昌吉"]) == [
        "把参保登记下沉到乡镇便民服务点吗"
    ]


def test_with_phrasings_keeps_the_entrys_own_first_and_is_bounded(small: Phrasings) -> None:
    own = ["医保卡在医院能报销吗", "社保卡能报吗"]
    questions = with_phrasings(own, region="河南/开封", answer="可以。", limit=6, phrasings=small)
    assert questions[:2] == own and len(questions) == 6
    assert questions[2] == "社保卡在定点医院能报账吗"  # generated from the first phrasing
    assert with_phrasings(own, region=None, answer="", limit=1, phrasings=small) == own  # its own all kept
    assert with_phrasings([" "], region=None, answer="", phrasings=small) == []
