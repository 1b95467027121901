"""Follow-ups by facet (knowledge/facets.py): the asked point, a sibling entry, or an honest miss."""

from __future__ import annotations

from dataclasses import replace

import pytest

from knowledge.facets import asked_facets, new_terms, points_text, residual, resolve
from knowledge.search import Doc


def entry(key: str, *, topic: str = "生育津贴", region: str | None = "浙江/杭州", **points: str) -> Doc:
    return Doc(
        key=f"entry:{key}",
        kind="entry",
        title=f"{topic}（{key}）",
        region=region,
        audience="public",
        source="s",
        lexical_text=f"{topic} 到账 申请",
        dense_texts=(),
        answer=f"{key} 的完整答复。",
        topic=topic,
        points=points,
    )


@pytest.mark.parametrize(
    ("question", "keys"),
    [
        ("那要带什么材料？", ["materials"]),
        ("那要带什么材料？去哪里申请？", ["materials", "channel"]),
        ("多长时间能办好", ["time_limit"]),
        ("能报几成", ["cost"]),
        ("俺这情况够不够条件", ["eligibility"]),
        ("举报打什么电话", ["channel"]),
        ("办到哪一步了能查到吗", ["progress"]),  # where it stands (办到哪 is no 到哪 of a channel)
        ("进度在哪里查", ["progress", "channel"]),
        ("钞票打到啥地方", ["payment"]),  # where the money goes
        ("那钱打到哪张卡上", ["payment"]),
    ],
)
def test_asked_facets_in_the_order_named(question: str, keys: list[str]) -> None:
    assert [f.key for f in asked_facets(question)] == keys


def test_a_question_without_a_facet_names_none() -> None:
    assert asked_facets("那我儿子在职的呢") == []


def test_the_entry_just_given_answers_with_its_point_alone() -> None:
    given = entry("time", time_limit="10个工作日", materials="不用交材料")
    found = resolve([given, entry("other", materials="身份证")], given, asked_facets("那要带啥材料"))
    assert found.doc is given and found.points_only
    assert points_text(given, found.facets) == "所需材料：不用交材料。"


def test_a_sibling_that_states_more_of_the_facets_answers_in_full() -> None:
    given = entry("time", time_limit="10个工作日")
    sibling = entry("apply", materials="不用交材料", channel="出院后自动办理")
    elsewhere = entry("far", region="河南/开封", materials="申请表", channel="窗口")
    other_topic = entry("care", topic="长期护理", materials="评估表", channel="窗口")
    asked = asked_facets("那要带什么材料？去哪里申请？")
    found = resolve([given, elsewhere, other_topic, sibling], given, asked)
    assert found.doc is sibling and not found.points_only


def test_a_rule_for_everyone_is_a_sibling_too() -> None:
    given = entry("time", time_limit="10个工作日")
    national = entry("national", region=None, materials="医保电子凭证或身份证")
    assert resolve([given, national], given, asked_facets("要带什么证件")).doc is national


def test_nothing_stated_is_an_honest_miss() -> None:
    given = entry("time", time_limit="10个工作日")
    found = resolve([given, entry("apply", channel="自动")], given, asked_facets("要带什么材料"))
    assert found.doc is None


def test_resolve_needs_a_facet() -> None:
    given = entry("time")
    with pytest.raises(ValueError, match="asked"):
        resolve([given], given, [])


def test_new_domain_terms_mean_a_new_topic() -> None:
    given = entry("time", time_limit="10个工作日")
    assert new_terms("那异地就医备案要带什么材料", given)
    assert not new_terms("那要带什么材料", given)


def test_an_answer_sentence_states_a_facet_without_a_point() -> None:
    given = entry("bind", time_limit="即时生效")
    given = Doc(**{**given.__dict__, "answer": "从2023年起可以绑定家人。在“大连市医保局”公众号上自助办理。"})
    found = resolve([given], given, asked_facets("在哪儿绑？"))
    assert found.doc is given and found.points_only
    assert points_text(given, found.facets) == "办理渠道：在“大连市医保局”公众号上自助办理。"


def test_a_sibling_of_the_callers_region_counts() -> None:
    given = entry("overview", region=None, time_limit="各地不同")
    local = entry("local", region="浙江/衢州", channel="可以到医院专窗办理")
    asked = asked_facets("还能去哪儿办？")
    assert resolve([given, local], given, asked).doc is None
    found = resolve([given, local], given, asked, region_ok=lambda r: r == "浙江/衢州")
    assert found.doc is local


@pytest.mark.parametrize(
    "question",
    ["要是手机上报不了，还能去哪儿办？", "他没有智能手机，去哪儿能办", "不会用手机，在哪办"],
)
def test_a_kind_the_caller_cannot_use_asks_for_the_others(question: str) -> None:
    """The online way was just given; the caller cannot use it: the way at a counter answers, also
    when the region files it under a neighbouring topic (零星报销线下办理 beside 零星报销线上办理)."""
    given = entry("online", topic="零星报销线上办理", channel="“浙里办”智能零报平台")
    desk = entry("desk", topic="零星报销线下办理", channel="定点医院报销专窗")
    elsewhere = entry("desk-elsewhere", topic="零星报销线下办理", region="浙江/温州", channel="医保大厅窗口")
    found = resolve([given, elsewhere, desk], given, asked_facets(question), question=question)
    assert found.doc is desk and not found.points_only
    # a neighbouring topic does not count when no kind is ruled out
    plain = "还能去哪儿办？"
    assert resolve([given, desk], given, asked_facets(plain), question=plain).doc is given


def test_a_sibling_about_the_facet_answers_before_one_that_mentions_it() -> None:
    """ "那参保在哪儿办" after the one-stop overview: the entry whose title is the channels answers."""
    given = entry("one-thing", channel="自己办理或请人帮办、代办")
    channels = entry("channels", channel="经办窗口；医保个人网厅；“云南医保”小程序；出生的医院")
    channels = replace(channels, title="新生儿参保登记的办理渠道")
    found = resolve(
        [given, channels], given, asked_facets("那参保在哪儿办嘛？"), question="那参保在哪儿办嘛？"
    )
    assert found.doc is channels and not found.points_only
    # a title about a kind of channel (线上) is not a title about the channel facet
    online = replace(channels, title="新生儿参保线上办理")
    assert resolve([given, online], given, asked_facets("在哪儿办"), question="在哪儿办").doc is given


def test_a_sibling_naming_the_kind_of_channel_asked_answers() -> None:
    given = entry("one-thing", channel="自己办理或请人帮办")
    online = entry("channels", channel="经办窗口；医保个人网厅；“云南医保”小程序")
    counter = entry("counter", channel="医保经办窗口或出生的医院")
    question = "手机上能办不"
    found = resolve([given, counter, online], given, asked_facets(question), question=question)
    assert found.doc is online and not found.points_only
    # the entry just given keeps the follow-up when it names the kind itself
    found = resolve([online, counter, given], online, asked_facets(question), question=question)
    assert found.doc is online and found.points_only
    # without a named kind the entry just given answers, as before
    found = resolve([given, online], given, asked_facets("在哪儿办"), question="在哪儿办")
    assert found.doc is given


RATES = (
    "太原非急未转住院。从2022年7月起提高比例："
    "在职职工由50%提高到72%，退休职工提高到81%，居民医保由35%提高到50%。"
)


@pytest.mark.parametrize(
    ("said", "kept", "dropped"),
    [
        ("我是退休职工", ["81%"], ["72%", "居民"]),  # the group that names most of what was said
        ("那在职的呢", ["72%"], ["81%", "居民"]),
        ("俺是居民医保", ["35%提高到50%"], ["72%", "81%"]),
        ("职工呢", ["72%", "81%"], ["居民"]),  # both workers' clauses
    ],
)
def test_a_list_by_group_is_narrowed_to_the_group_said(
    said: str, kept: list[str], dropped: list[str]
) -> None:
    from knowledge.facets import named_qualifiers, qualified_sentences

    doc = Doc(**{**entry("rates").__dict__, "answer": RATES})
    assert named_qualifiers(said)
    (sentence,) = qualified_sentences(doc, said)
    assert sentence.startswith("从2022年7月起提高比例：")  # the lead-in stays
    assert all(k in sentence for k in kept) and not any(d in sentence for d in dropped), sentence


def test_a_sentence_that_is_no_list_by_group_stays_whole() -> None:
    from knowledge.facets import qualified_sentences

    doc = Doc(**{**entry("r").__dict__, "answer": "退休人员在门诊看病，可以直接结算，比例是70%。"})
    assert qualified_sentences(doc, "我是退休的") == ("退休人员在门诊看病，可以直接结算，比例是70%",)
    assert qualified_sentences(doc, "我是学生") == ()


@pytest.mark.parametrize(
    ("question", "left"),
    [
        ("那在手机上能弄不，用啥弄？", ""),  # verbs of doing it and question words carry no matter
        ("手机上能办不", ""),
        ("那要带什么材料？", ""),
        ("那办医保卡要带什么材料", "医保卡"),
        ("那处方拿到药店几天内有效？", "处方拿药店内效"),  # a question of its own
    ],
)
def test_what_a_follow_up_says_besides_its_facet(question: str, left: str) -> None:
    assert residual(question, asked_facets(question)) == left
