import pytest

from knowledge.fusion import reciprocal_rank_fusion


def test_item_ranked_well_by_both_wins() -> None:
    fused = reciprocal_rank_fusion({"dense": ["a", "b", "c"], "lexical": ["b", "a", "d"]})
    assert [i for i, _ in fused][:2] in (["a", "b"], ["b", "a"])
    assert {i for i, _ in fused} == {"a", "b", "c", "d"}


def test_weights_shift_the_result() -> None:
    rankings = {"dense": ["a", "b"], "lexical": ["b", "a"]}
    assert reciprocal_rank_fusion(rankings, weights={"dense": 2.0, "lexical": 1.0})[0][0] == "a"
    assert reciprocal_rank_fusion(rankings, weights={"dense": 1.0, "lexical": 2.0})[0][0] == "b"


def test_scores_follow_the_formula() -> None:
    fused = dict(reciprocal_rank_fusion({"x": ["a"], "y": ["a"]}, k=60))
    assert fused["a"] == pytest.approx(2 / 61)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="k"):
        reciprocal_rank_fusion({"x": ["a"]}, k=0)
    with pytest.raises(ValueError, match="weight"):
        reciprocal_rank_fusion({"x": ["a"]}, weights={"x": -1})
