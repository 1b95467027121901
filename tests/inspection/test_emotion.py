"""The anger classifier: deterministic training, sensible ranking, clear errors on bad data."""

from __future__ import annotations

from pathlib import Path

import pytest

from inspection.emotion import AngerModel, default_anger_model, load_samples


def test_training_is_deterministic() -> None:
    samples = load_samples()
    a, b = AngerModel.train(samples), AngerModel.train(list(samples))
    text = "你们到底管不管，我都打了三次了"
    assert a.probability(text) == b.probability(text)


@pytest.mark.parametrize(
    "angry",
    ["你们这是什么破服务，拖了两个月了还没人管", "别再跟我打官腔了，我今天必须要个说法"],
)
def test_angry_above_calm(angry: str) -> None:
    model = default_anger_model()
    calm = ["好的，谢谢你，我明白了", "请问生育津贴多久到账", "我姓李，电话是13800000000"]
    assert model.probability(angry) > 0.7
    assert all(model.probability(c) < 0.5 for c in calm)


def test_empty_text_is_calm() -> None:
    assert default_anger_model().probability("……") == 0.0


def test_bad_training_data(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("2\t什么\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.tsv:1"):
        load_samples(bad)
    with pytest.raises(ValueError, match="both labels"):
        AngerModel.train([("好的", 0)])
    with pytest.raises(ValueError, match="alpha"):
        AngerModel.train([("好的", 0), ("气死了", 1)], alpha=0)
