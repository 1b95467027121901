"""The answering service on the real model and a real FAISS index (entries + ingested seeds)."""

from __future__ import annotations

import json

import pytest

from api.services import knowledge as service
from api.settings import Settings
from devtools.evaluation import KnowledgeEngine, load_items, run, summarize
from tests.knowledge.conftest import SHARED

pytestmark = pytest.mark.integration


def test_national_question_is_answered_with_its_source(kb_settings: Settings) -> None:
    result = service.answer("医保的事打12345政务热线也行吗，还是只能打12393？", settings=kb_settings)
    assert result.kind == "answer"
    assert result.sources and result.sources[0].source.startswith("0")
    assert "12393" in result.text and "12345" in result.text


def test_regional_rule_without_region_asks_for_it(kb_settings: Settings) -> None:
    result = service.answer("出门在外突然急病住院，事先没备案，医保认不认？", settings=kb_settings)
    assert result.kind == "clarify_region"
    assert "参保" in result.text
    assert not result.sources


def test_regional_rule_with_region_names_the_region(kb_settings: Settings) -> None:
    result = service.answer(
        "出门在外突然急病住院，事先没备案，医保认不认？", region="太原", settings=kb_settings
    )
    assert result.kind == "answer"
    assert result.region == "山西/太原"
    assert "太原" in result.text


def test_region_stated_in_the_question_counts(kb_settings: Settings) -> None:
    result = service.answer(
        "我是太原的，出门在外突然急病住院，事先没备案，医保认不认？", settings=kb_settings
    )
    assert result.kind == "answer" and result.region == "山西/太原"


def test_other_regions_rule_is_not_given_as_this_callers_rule(kb_settings: Settings) -> None:
    result = service.answer(
        "出门在外突然急病住院，事先没备案，医保认不认？", region="广西/南宁", settings=kb_settings
    )
    assert result.kind == "abstain"
    assert "南宁" in result.text


def test_follow_up_uses_the_previous_question(kb_settings: Settings) -> None:
    first = "杭州生孩子的生育津贴要自己去申请吗？"
    result = service.answer("那钱打到哪里？", region="杭州", history=(first,), settings=kb_settings)
    assert result.kind == "answer"
    assert "杭州" in result.text and "单位" in result.text


@pytest.mark.parametrize(
    ("said", "region", "asked", "entry", "expected"),
    [
        # A facet asked after saying who the caller is.
        (
            "俺是上个月刚退休的职工 那要带啥材料去不",
            "济南",
            "职工在职转退休以后，医保待遇要自己跑去申请吗",
            "service-shandong-retirement-no-application",
            "材料自动归集",
        ),
        # Who the caller is, said in the clause before the one that asks, narrows the last answer.
        (
            "我是退休职工，那能比上班的多给报点不",
            "双鸭山",
            "药店买药走门诊统筹，起付线多少",
            "outpatient-pooling-shuangyashan-pharmacy-benefit",
            "5个百分点",
        ),
    ],
)
def test_a_follow_up_after_saying_who_the_caller_is_gets_their_part(
    kb_settings: Settings, said: str, region: str, asked: str, entry: str, expected: str
) -> None:
    result = service.answer(
        said, region=region, history=(asked, region), previous_entry=entry, settings=kb_settings
    )
    assert result.kind == "answer" and expected in result.text


@pytest.mark.parametrize(
    ("said", "entry"),
    [
        ("住院的话押金还用交吗", "evoucher-kunming-credit-no-card-binding"),
        ("自付的那部分从哪扣", "evoucher-kunming-credit-billing"),
        ("外地人能办不", None),  # the topic's name lifts its entries alike: none answers this
    ],
)
def test_a_short_turn_carries_on_the_topic_just_answered(
    kb_settings: Settings, said: str, entry: str | None
) -> None:
    result = service.answer(
        said,
        region="昆明",
        history=("用那个信用就医 能给多少", "昆明的"),
        previous_entry="evoucher-kunming-credit-what",
        settings=kb_settings,
    )
    assert result.entry_id == entry
    assert (result.kind == "answer") == (entry is not None)


@pytest.mark.parametrize(
    ("asked_before", "kind", "entry"),
    [
        ("国家规定零星报销最长多少个工作日办完", "answer", "maternity-national-20-working-days"),
        ("零星报销一般几天到账", "clarify_region", None),
    ],
)
def test_a_follow_up_asks_the_rule_when_the_question_before_did(
    kb_settings: Settings, asked_before: str, kind: str, entry: str | None
) -> None:
    """ "那生育保险待遇呢" after a question for the national rule asks that rule too, not the region's."""
    result = service.answer("那生育保险待遇呢，多久能给", history=(asked_before,), settings=kb_settings)
    assert result.kind == kind
    assert result.entry_id == entry or entry is None


def test_region_given_one_turn_later_answers_the_waiting_question(kb_settings: Settings) -> None:
    question = "生了孩子以后，生育津贴要等多久才能到账？"
    assert service.answer(question, settings=kb_settings).kind == "clarify_region"
    result = service.answer("我是杭州的", history=(question,), settings=kb_settings)
    assert result.kind == "answer" and "杭州" in result.text


def test_a_region_said_alone_is_not_answered_with_the_regions_rule(kb_settings: Settings) -> None:
    decision = service.get_answerer(kb_settings).decide("我是太原的，嗯")
    assert decision.kind == "abstain" and decision.reason == "region_only"
    assert decision.region == "山西/太原"


def test_asr_homophones_find_the_same_answer(kb_settings: Settings) -> None:
    clean = service.answer("太原的，异地就医备案要开证明吗？", settings=kb_settings)
    garbled = service.answer("太原的，一地就医备按要开证明吗？", settings=kb_settings)
    assert clean.kind == garbled.kind == "answer"
    assert clean.entry_id == garbled.entry_id


def test_amount_question_is_not_answered_by_an_entry_without_amounts(kb_settings: Settings) -> None:
    result = service.answer("生育津贴一个月能领多少钱，按什么标准算？", settings=kb_settings)
    assert result.kind == "abstain"


def test_agent_only_knowledge_never_reaches_a_caller(kb_settings: Settings) -> None:
    kb = service.get_knowledge_base(kb_settings)
    agent_docs = [d for d in kb.docs.values() if d.audience == "agent"]
    assert any(d.kind == "passage" and d.source.startswith("003_") for d in agent_docs)
    question = "河南2023年医保稽核工作要点里，专项稽核多久搞一次？"
    public_hits = kb.search(question, k=20, audience="public")
    assert all(h.doc.audience == "public" for h in public_hits)
    agent_hits = kb.search(question, k=5, audience="agent")
    assert any(h.doc.audience == "agent" for h in agent_hits)
    caller = service.answer(question, settings=kb_settings)
    assert all(s.id not in {d.key.split(":", 1)[1] for d in agent_docs} for s in caller.sources)


@pytest.mark.parametrize(
    ("question", "phrase"),
    [
        ("", "请说一下"),
        ("   \n\t ", "请说一下"),
        ("医" * 10_000, "太长"),
        ("😀😀😀🙏", "请说一下"),
        ("How do I register for medical insurance?", "中文"),
    ],
)
def test_bad_questions_get_a_clear_abstention(kb_settings: Settings, question: str, phrase: str) -> None:
    result = service.answer(question, settings=kb_settings)
    assert result.kind == "abstain"
    assert phrase in result.text


def test_dev_set_floors(kb_settings: Settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Floors at what we measured (docs/benchmarks.md); a drop below them is a regression."""
    path = SHARED / "eval" / "dev.jsonl"
    rows = list(run(KnowledgeEngine(kb_settings), load_items(path)))
    summary = summarize(rows)
    answerable = [r for r in rows if r.expected in ("answer", "clarify_region")]
    unanswerable = [r for r in rows if r.expected in ("abstain", "ticket")]
    right = sum(r.correct for r in answerable) / len(answerable)
    not_guessing = sum(r.kind not in ("answer", "clarify_region") for r in unanswerable) / len(unanswerable)
    (tmp_path / "summary.json").write_text(json.dumps(summary, ensure_ascii=False))
    assert right >= 0.83, summary
    assert not_guessing >= 0.60, summary


def test_a_callers_region_gets_its_own_rule_before_the_overview(kb_settings: Settings) -> None:
    # Without a region the overview ("各地不一样……") answers; with one, that region's own entry.
    question = "零星报销在手机上报了以后，一般几天能到账？"
    result = service.answer(question, region="衢州", settings=kb_settings)
    assert result.kind == "answer" and result.region == "浙江/衢州"
    assert "5个工作日" in result.text


def test_a_region_given_later_finds_its_rule_filed_under_another_topic(kb_settings: Settings) -> None:
    # The question was first answered with Zhengzhou's "7×24" rule as an example; 库尔勒 files
    # its after-hours rule under another topic, and that rule is the answer for a caller there.
    question = "医保服务热线下班后有人接吗"
    first = service.answer(question, settings=kb_settings)
    again = service.answer(question, region="库尔勒", topic=first.topic, settings=kb_settings)
    assert again.kind == "answer" and again.region == "新疆/巴音郭楞/库尔勒"
    assert "留言" in again.text


def test_the_callers_own_region_rule_closest_in_meaning_answers_a_little_under_the_threshold(
    kb_settings: Settings,
) -> None:
    # Other cities' 7×24 rules share more words with the question; 库尔勒's after-hours rule is
    # the closest in meaning, and the caller is from 库尔勒.
    result = service.answer("医保局电话下了班还有人接不？", region="库尔勒", settings=kb_settings)
    assert result.kind == "answer" and result.region == "新疆/巴音郭楞/库尔勒"


def test_an_overview_of_regional_figures_asks_the_region_and_keeps_the_topic(kb_settings: Settings) -> None:
    question = "报销的材料递上去了，钱一般要几个工作日才能打回来？"
    result = service.answer(question, settings=kb_settings)
    assert result.kind == "clarify_region"  # examples of a few regions' time limits, then the question
    assert "参保" in result.text and "举几个例子" in result.text
    later = service.answer("衢州", history=(question,), topic=result.topic, settings=kb_settings)
    assert later.kind == "answer" and later.region and "衢州" in later.region
    assert "5个工作日" in later.text


def test_an_overview_that_answers_a_general_question_is_an_answer(kb_settings: Settings) -> None:
    result = service.answer("热线一直占线打不进去，还能去哪儿问？", settings=kb_settings)
    assert result.kind == "answer"
    assert "在线客服" in result.text
