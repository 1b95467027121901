"""How sure we are that a hit answers the question: a small logistic model over search features.

One cosine alone cannot tell a paraphrase from a near miss with this model (their bands
overlap); lexical support and the agreement of the two rankers separate them better. Weights
are fitted on labelled questions (``hotline kb calibrate``) and stored as data (``data/confidence.json``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from knowledge.search import Hit

FEATURES = ("dense", "lexical", "agree")
DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "confidence.json"


def features(hit: Hit, hits: Sequence[Hit]) -> np.ndarray:
    """The feature vector of ``hit`` among the ``hits`` of one search.

    Margins to the runner-up and fused rank were tried and dropped: with several regional
    variants of one rule in the base, they penalise right answers (docs/benchmarks.md).
    """
    top_dense = max(hits, key=lambda h: h.dense) is hit
    top_lex = max(hits, key=lambda h: h.lexical_norm) is hit
    return np.array([hit.dense, min(hit.lexical_norm, 1.5), float(top_dense and top_lex)], dtype=np.float64)


@dataclass
class ConfidenceModel:
    """Logistic regression; ``mean``/``scale`` standardise the features it was fitted on."""

    weights: np.ndarray
    bias: float
    mean: np.ndarray
    scale: np.ndarray

    def score(self, x: np.ndarray) -> float:
        z = float(np.dot((x - self.mean) / self.scale, self.weights) + self.bias)
        return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))

    def to_json(self) -> dict[str, object]:
        return {
            "features": list(FEATURES),
            "weights": self.weights.tolist(),
            "bias": self.bias,
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
        }

    @classmethod
    def from_json(cls, data: dict) -> ConfidenceModel:
        if list(data.get("features", [])) != list(FEATURES):
            raise ValueError(
                "confidence model was fitted on other features; refit it with `hotline kb calibrate`"
            )
        return cls(
            np.array(data["weights"]), float(data["bias"]), np.array(data["mean"]), np.array(data["scale"])
        )

    def save(self, path: Path = DEFAULT_PATH) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> ConfidenceModel | None:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8"))) if path.exists() else None


def fit(
    x: np.ndarray, y: np.ndarray, *, l2: float = 0.01, steps: int = 3000, lr: float = 0.5
) -> ConfidenceModel:
    """Fit by gradient descent with a little L2, classes weighted to balance them."""
    if x.ndim != 2 or len(x) != len(y):
        raise ValueError("x must be (n, features) and y must have n labels")
    if len(set(y.tolist())) < 2:
        raise ValueError("fitting needs both positive and negative examples")
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    pos = y.mean()
    sample_weight = np.where(y == 1, 0.5 / pos, 0.5 / (1 - pos))
    w = np.zeros(z.shape[1])
    b = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(z @ w + b)))
        grad = (p - y) * sample_weight
        w -= lr * (z.T @ grad / len(y) + l2 * w)
        b -= lr * grad.mean()
    return ConfidenceModel(w, float(b), mean, scale)
