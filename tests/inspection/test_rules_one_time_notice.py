"""一次性告知: every point of the knowledge-base entry for a how-do-I question."""

from __future__ import annotations

from inspection import Fact
from inspection.rules import one_time_notice
from inspection.rules.one_time_notice import covered, point_terms
from tests.inspection.conftest import context, polite_call

FILING = Fact(
    id="hb-filing",
    answer="河北参保人凭社保卡、身份证号，通过河北省医保局微信公众号即时备案，全年365天、全天24小时都能办。",
    points={
        "materials": "社保卡、身份证号，无需其他证明材料",
        "channel": "河北省医保局微信公众号",
        "time_limit": "即时备案",
        "eligibility": "河北省参保人",
    },
    region="河北",
)


def check(call, facts=(FILING,)):  # type: ignore[no-untyped-def]
    return one_time_notice.check(context(call, facts=list(facts)))


def test_missing_points_are_listed() -> None:
    call = polite_call(("C", "我河北的，异地备案怎么弄？"), ("A", "您在河北省医保局公众号上提交就行。"))
    out = check(call)
    assert len(out) == 1 and out[0].kb_entry == "hb-filing"
    assert "所需材料" in out[0].detail and "办理时限" in out[0].detail and "办理渠道" not in out[0].detail


def test_complete_answer() -> None:
    call = polite_call(
        ("C", "我河北的，异地备案怎么弄？"),
        ("A", "带上社保卡和身份证号，在河北省医保局公众号上提交，马上就备好，不用其他证明。"),
    )
    assert check(call) == []


def test_points_told_earlier_count_and_tickets_skip() -> None:
    earlier = polite_call(
        ("C", "我河北的，备案要带啥？"),
        ("A", "只要社保卡和身份证号，提交后即时生效。"),
        ("C", "那在哪办呢？"),
        ("A", "在河北省医保局公众号上办。"),
    )
    ticket = polite_call(("C", "我河北的，异地备案怎么弄？"), ("A", "我给您登记一下，工作人员回电告诉您。"))
    assert check(earlier) == [] and check(ticket) == []


def test_not_a_how_to_question_or_no_entry() -> None:
    question = polite_call(("C", "我河北的，备案是什么意思？"), ("A", "备案就是登记一下。"))
    assert (
        check(question) == []
        and check(polite_call(("C", "河北的备案怎么弄？"), ("A", "公众号。")), facts=()) == []
    )


def test_point_terms_and_coverage() -> None:
    assert point_terms("身份证（或社保卡）、住院发票、住院结算单") == [
        "身份证",
        "社保卡",
        "住院发票",
        "住院结算单",
    ]
    assert covered("materials", "不需要证明材料，个人承诺即可", "不用开任何证明")
    assert covered("time_limit", "20个工作日内", "二十个工作日办完")
    assert not covered("channel", "“超级绿叶码”小程序", "您等通知吧")


def test_a_follow_up_on_the_same_topic_is_judged_with_the_answer() -> None:
    call = polite_call(
        ("C", "我河北的，去外地住院，异地备案怎么办理？"),
        ("A", "这个网上都有。"),
        ("C", "那你说我该咋办？"),
        ("A", "带上社保卡和身份证号，在河北省医保局微信公众号上提交，即时备案。"),
    )
    assert check(call) == []


def test_the_scripted_opening_is_no_answer_and_homophones_count() -> None:
    # The greeting names 12393热线, which is no channel for this question.
    call = polite_call(("C", "我河北的，异地备案怎么办理？"), ("A", "带上社保卡和身份证号就行，即时备案。"))
    out = check(call)
    assert out and "办理渠道" in out[0].detail
    assert covered("channel", "河北省医保局微信公众号", "在河北省医保局微信公总号上提交")


def test_a_call_sent_elsewhere_is_a_first_contact_finding_not_a_partial_answer() -> None:
    call = polite_call(
        ("C", "我河北的，异地备案怎么弄？"),
        ("A", "这个您去社区问问吧。"),
        ("C", "那要带什么？"),
        ("A", "社区会告诉您的。"),
    )
    ctx = context(call, facts=[FILING])
    from inspection.rules import first_contact

    assert [f.rule for f in first_contact.check(ctx)] == ["first_contact.deflection"]
    assert one_time_notice.check(ctx) == []
