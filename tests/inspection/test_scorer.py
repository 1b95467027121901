"""Scoring: deductions, caps, fatal findings, pass mark and the --json contract."""

from __future__ import annotations

from inspection import CATEGORIES, Inspector, inspect_transcript
from inspection.ruleset import default_ruleset
from tests.inspection.conftest import CLOSING, GREETING, build, polite_call


def test_clean_call_scores_100() -> None:
    result = Inspector().inspect(
        polite_call(("C", "备案在哪办？"), ("A", "您好，在公众号上就能办，请您放心。"))
    )
    assert result.score == 100 and result.passed and result.findings == ()


def test_points_add_up_and_any_finding_fails_at_default_pass_mark() -> None:
    call = build(
        [("A", "喂，请讲。"), ("C", "你好，备案在哪办？"), ("A", "您在公众号上办理。"), ("A", CLOSING)]
    )
    result = Inspector().inspect(call)
    assert result.rules == ["greeting.opening"]
    assert result.score == 100 - default_ruleset().rule("greeting.opening").points
    assert not result.passed


def test_fatal_fails_and_caps_limit_repeats() -> None:
    call = polite_call(
        ("C", "查我余额。"),
        ("A", "您余额是100元。"),
        ("C", "什么？"),
        ("A", "不知道，不归我们管。"),
        ("C", "啊？"),
        ("A", "你自己去查。"),
        ("C", "嗯？"),
        ("A", "我也不知道。"),
    )
    result = Inspector().inspect(call)
    fatal = [f for f in result.findings if f.severity == "致命"]
    assert fatal and not result.passed
    forbidden = [f.points for f in result.findings if f.rule == "forbidden.phrase"]
    cap = default_ruleset().rule("forbidden.phrase").max_points
    assert len(forbidden) == 3 and sum(forbidden) == cap and forbidden[-1] == 0
    assert result.findings[0].severity == "致命"  # most severe first


def test_json_contract() -> None:
    data = inspect_transcript(
        {"id": "J1", "channel": "phone", "turns": [{"speaker": "agent", "start": 0, "end": 1, "text": "喂"}]}
    ).to_dict()
    assert set(data) >= {"id", "score", "passed", "findings"}
    for f in data["findings"]:
        assert set(f) >= {"rule", "category", "severity", "points", "turns", "evidence"}
        assert f["category"] in CATEGORIES and f["severity"] in ("致命", "严重", "一般")
        assert isinstance(f["turns"], list) and isinstance(f["evidence"], list)


def test_chat_skips_timing_rules() -> None:
    chat = build([("B", "您好，欢迎咨询。"), ("C", "在吗"), ("B", CLOSING)], channel="chat", timed=False)
    result = Inspector().inspect(chat)
    assert not {"silence", "interruption", "speech_rate"} & set(result.categories)
    assert GREETING  # the phone greeting is not required of a bot
