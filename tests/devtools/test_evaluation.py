"""The eval harness's scoring rules (shared/eval/README.md), on a scripted engine.

The engine is the thing being measured elsewhere; here it only replays fixed replies so that each
scoring rule is exercised on purpose.
"""

from __future__ import annotations

from devtools.evaluation import TurnResult, run, summarize


class ScriptedEngine:
    """Replies with the next scripted (kind, text) for every turn."""

    name = "scripted"

    def __init__(self, replies: list[tuple[str, str]]) -> None:
        self.replies = list(replies)

    def new_session(self, session_id: str) -> None:
        pass

    def turn(self, session_id: str, text: str, *, region: str | None = None) -> TurnResult:
        kind, reply = self.replies.pop(0)
        return TurnResult(kind=kind, reply=reply)

    def close(self) -> None:
        pass


def test_single_complaint_opening_the_form_counts_as_the_work_order() -> None:
    item = {"id": "X1", "question": "我要投诉", "kind": "ticket", "expect_any": []}
    (row,) = run(ScriptedEngine([("ask_slot", "请问您怎么称呼？")]), [item])
    assert row.correct


def test_single_policy_question_answered_by_a_form_question_is_wrong() -> None:
    item = {"id": "X2", "question": "生育津贴多久到账", "kind": "answer", "expect_any": [["工作日"]]}
    (row,) = run(ScriptedEngine([("ask_slot", "请问您怎么称呼？")]), [item])
    assert not row.correct and not row.guessed


def test_wrong_facts_count_as_guesses_and_abstaining_does_not() -> None:
    items = [
        {"id": "A", "question": "q", "kind": "answer", "expect_any": [["10个工作日"]]},
        {"id": "B", "question": "q", "kind": "answer", "expect_any": [["10个工作日"]]},
    ]
    rows = list(run(ScriptedEngine([("answer", "20个工作日"), ("abstain", "转人工")]), items))
    assert [r.guessed for r in rows] == [True, False]
    assert summarize(rows)["all"]["accuracy"] == 0.0


def test_dialogue_form_accepts_ask_slot_and_ticket_interchangeably_until_done() -> None:
    dialogue = {
        "id": "DM",
        "turns": [
            {"user": "我要投诉", "expect_kind": "ask_slot"},
            {"user": "我叫张伟", "expect_kind": "ticket"},
            {"user": "13800001111", "expect_kind": "ticket", "expect_any": [["工单"]]},
            {"user": "医保怎么交", "expect_kind": "answer"},
        ],
    }
    replies = [
        ("ask_slot", "称呼？"),
        ("ask_slot", "电话？"),
        ("ticket", "工单号GD1"),
        ("ask_slot", "称呼？"),
    ]
    rows = list(run(ScriptedEngine(replies), [dialogue]))
    assert [r.correct for r in rows] == [True, True, True, False]


def test_routing_items_expect_only_the_route(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from devtools.evaluation import load_items, routing_confusion

    path = tmp_path / "routing.jsonl"
    path.write_text(
        '{"id": "R1", "text": "医院多收了我的钱，谁来管管", "route": "ticket", "subtype": "complaint"}\n'
        '{"id": "R2", "text": "举报骗保有奖励吗", "route": "policy", "subtype": "policy_complaintish"}\n'
        '{"id": "R3", "text": "异地就医咋备案", "route": "policy", "subtype": "policy_plain"}\n',
        encoding="utf-8",
    )
    items = load_items(path)
    replies = [("ask_slot", "请问您怎么称呼？"), ("abstain", "暂时没法答复"), ("ticket", "工单GD1")]
    rows = list(run(ScriptedEngine(replies), items))
    assert [r.correct for r in rows] == [True, True, False]
    assert routing_confusion(rows)["policy_to_form"] == (1, 2)
