"""Caller anger: a lexicon of strong words plus a small naive Bayes classifier.

The classifier is a binarised multinomial naive Bayes over character unigrams and bigrams,
trained in milliseconds from ``data/emotion_train.tsv`` (labelled lines a supervisor can
extend). Training is deterministic, so the same data always gives the same model.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

DEFAULT_TRAINING = Path(__file__).resolve().parent / "data" / "emotion_train.tsv"
_KEEP = re.compile(r"[\u4e00-\u9fff0-9a-zA-Z！？!?]")


def features(text: str) -> set[str]:
    """Character unigrams and bigrams (exclamation and question marks kept: they carry tone)."""
    chars = "".join(_KEEP.findall(text)).replace("!", "！").replace("?", "？")
    return set(chars) | {chars[i : i + 2] for i in range(len(chars) - 1)}


def load_samples(path: Path = DEFAULT_TRAINING) -> list[tuple[str, int]]:
    """Read ``label<TAB>text`` lines; ``#`` lines are comments."""
    samples: list[tuple[str, int]] = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        label, _, text = line.partition("\t")
        if label.strip() not in ("0", "1") or not text.strip():
            raise ValueError(f"{path}:{n}: expected '0|1<TAB>text'")
        samples.append((text.strip(), int(label)))
    return samples


@dataclass(frozen=True)
class AngerModel:
    """Log-likelihoods per feature for the classes calm (0) and angry (1)."""

    vocab: dict[str, int]
    log_likelihood: np.ndarray  # shape (2, len(vocab))
    log_prior: np.ndarray  # shape (2,)

    @classmethod
    def train(cls, samples: Iterable[tuple[str, int]], *, alpha: float = 0.5) -> AngerModel:
        """Fit on (text, label) pairs; both labels must occur."""
        data = list(samples)
        if alpha <= 0:
            raise ValueError(f"alpha must be > 0, got {alpha}")
        labels = {y for _, y in data}
        if labels != {0, 1}:
            raise ValueError("samples must contain both labels 0 and 1")
        feats = [features(t) for t, _ in data]
        vocab = {f: i for i, f in enumerate(sorted(set().union(*feats)))}
        counts = np.zeros((2, len(vocab)))
        for fs, (_, y) in zip(feats, data, strict=True):
            for f in fs:
                counts[y, vocab[f]] += 1
        totals = counts.sum(axis=1, keepdims=True) + alpha * (len(vocab) + 1)
        loglik = np.log((counts + alpha) / totals)
        n1 = sum(y for _, y in data)
        prior = np.log(np.array([len(data) - n1, n1], dtype=float) / len(data))
        return cls(vocab, loglik, prior)

    def probability(self, text: str) -> float:
        """P(angry | text)."""
        fs = features(text)
        if not fs:
            return 0.0
        idx = [self.vocab[f] for f in fs if f in self.vocab]
        if not idx:
            return float(1 / (1 + math.exp(-(self.log_prior[1] - self.log_prior[0]))))
        ratio = self.log_likelihood[1, idx] - self.log_likelihood[0, idx]
        # Naive Bayes over-counts correlated n-grams; scaling by sqrt(n) keeps long turns calibrated.
        log_odds = self.log_prior[1] - self.log_prior[0] + ratio.sum() / math.sqrt(len(idx))
        return float(1 / (1 + math.exp(-log_odds)))


@lru_cache(maxsize=4)
def default_anger_model(path: Path = DEFAULT_TRAINING) -> AngerModel:
    """The model trained on the bundled data, built once per process."""
    return AngerModel.train(load_samples(path))
