"""inspection/calibration.py: thresholds from labelled calls, reviews as examples."""

from __future__ import annotations

from inspection.calibration import ReviewedExample, calibrate, call_scores, choose_threshold, samples
from inspection.semantic_bank import NONE
from tests.inspection.conftest import GREETING, build, tiny_matcher


def test_choose_threshold_by_f1() -> None:
    assert 0.1 < choose_threshold([0.2, 0.3], [0.0, 0.1]) <= 0.2
    # One false alarm for two finds (F1 0.8) beats one find alone (F1 0.67).
    assert choose_threshold([0.2, 0.05], [0.1]) < 0.05
    assert choose_threshold([], [0.1]) > 0.2  # nothing to find: as strict as allowed


def _call(text: str, categories: list[str], tid: str):  # type: ignore[no-untyped-def]
    t = build([("A", GREETING), ("C", "我想问一下。"), ("A", text)], tid=tid)
    return t.__class__(t.id, t.channel, t.agent_id, t.turns, {"categories": categories})


def test_call_scores_take_the_best_sentence_per_label() -> None:
    scores = call_scores(tiny_matcher(), _call("你快点快点说。好的我帮您办。", ["politeness"], "a"))
    assert scores["impatience"] > 0.0
    assert "deflection" not in scores


def test_calibrate_from_calls_and_reviews() -> None:
    calls = [
        _call("你快点快点说。", ["politeness"], "p1"),
        _call("快点说了好几遍了。", ["politeness"], "p2"),
        _call("好的我帮您办好了。", [], "n1"),
    ]
    reviews = [
        ReviewedExample("impatience", "快快快", True),
        ReviewedExample("deflection", "去医院办", False),
    ]
    cal = calibrate(tiny_matcher(), calls, reviews, source="test")
    pos = [call_scores(tiny_matcher(), c)["impatience"] for c in calls[:2]]
    assert cal.thresholds["impatience"] <= min(pos)
    assert ("impatience", "快快快") in cal.examples
    assert (NONE, "去医院办") in cal.examples  # an overruled finding teaches the ordinary side
    assert cal.source == "test"


def test_gated_labels_skip_calls_with_a_work_order() -> None:
    referral = _call("去找医院问，我给您登记工单。", [], "r1")
    deflect = _call("去找医院问。", ["first_contact_responsibility", "unresolved"], "d1")
    pos, neg = samples(tiny_matcher(), [referral, deflect], resolved=lambda t: t.id == "r1")
    assert len(pos["deflection"]) == 1 and neg["deflection"] == []
    assert len(neg["impatience"]) == 2  # other labels still count the call as a negative
    pos, neg = samples(tiny_matcher(), [referral, deflect])
    assert len(neg["deflection"]) == 1


def test_answered_calls_are_no_deflection_negatives() -> None:
    # Staff named the materials: "去医院办" there says where to go, so the call says nothing about
    # where the deflection threshold lies (first_contact.helped); without the materials it does.
    helped = _call("带上身份证和发票，去医院办。", [], "h1")
    bare = _call("去医院办。", [], "h2")
    pos, neg = samples(tiny_matcher(), [helped, bare])
    assert len(neg["deflection"]) == 1
    assert len(neg["impatience"]) == 2  # the other labels keep both calls
