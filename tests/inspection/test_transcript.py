"""The input model: valid transcripts parse, bad ones fail naming the field."""

from __future__ import annotations

import json

import pytest

from inspection.transcript import load_transcript, parse_transcript

GOOD = {
    "id": "X1",
    "channel": "phone",
    "agent_id": "1027",
    "turns": [
        {"speaker": "agent", "start": 0.0, "end": 2.0, "text": "您好"},
        {"speaker": "caller", "start": 2.5, "end": 4.0, "text": " 你好 "},
    ],
}


def test_parses_turns_and_timing() -> None:
    t = parse_transcript(GOOD)
    assert t.id == "X1" and t.timed and len(t.turns) == 2
    assert t.turns[1].text == "你好" and t.turns[1].index == 1
    assert [x.speaker for x in t.staff_turns] == ["agent"]


def test_chat_without_times_is_untimed() -> None:
    t = parse_transcript({"id": "C1", "channel": "chat", "turns": [{"speaker": "bot", "text": "您好"}]})
    assert not t.timed and t.turns[0].is_staff


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"id": ""}, "transcript.id"),
        ({"turns": "x"}, "transcript.turns"),
        ({"turns": [{"speaker": "robot", "text": "a"}]}, "turns[0].speaker"),
        ({"turns": [{"speaker": "agent", "text": 5}]}, "turns[0].text"),
        ({"turns": [{"speaker": "agent", "text": "a", "start": 3, "end": 1}]}, "turns[0].end"),
        ({"turns": [{"speaker": "agent", "text": "a", "start": -1}]}, "turns[0].start"),
        ({"turns": [{"speaker": "agent", "text": "a", "start": "1"}]}, "turns[0].start"),
    ],
)
def test_bad_input_names_the_field(patch: dict, message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_transcript({**GOOD, **patch})


def test_not_an_object() -> None:
    with pytest.raises(TypeError, match="JSON object"):
        parse_transcript([1, 2])


def test_load_names_the_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.json"):
        load_transcript(bad)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(GOOD, ensure_ascii=False), encoding="utf-8")
    assert load_transcript(good).id == "X1"


def test_two_channel_recording_is_interleaved_and_keeps_overlaps() -> None:
    from inspection import Inspector, Segment, merge_channels

    call = merge_channels(
        transcript_id="R1",
        agent=[
            Segment(0.2, 4.0, "您好，12393热线，工号1027，请问有什么可以帮您？"),
            Segment(9.0, 11.0, "您在哪交的材料？"),
        ],
        caller=[Segment(4.5, 10.5, "我的报销两个月了还没到，我就想问问到底是——"), Segment(12.0, 12.5, " ")],
    )
    assert [t.speaker for t in call.turns] == ["agent", "caller", "agent"] and call.timed
    assert "interruption" in Inspector().inspect(call).categories
