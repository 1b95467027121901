"""How much a caller's words sound like a grievance, by meaning rather than by cue words.

Complaints, reports and chase-ups come phrased as questions and stories in words no cue list
holds ("就这态度？", "这不就是掏医保的钱吗？", "两头推了三个多月"), and plain questions use complaint
words ("匿名反映问题行不行"). The score here is a logistic regression over the sentence vectors of the
embedding model the knowledge base already loads, fitted on the NLU examples of the work-order
intents (complain, report_fraud, not_helpful) against those of policy questions, record look-ups
and out-of-scope requests, and the curated entries' own caller phrasings (all policy questions).

The fit takes a few seconds; it is cached under ``data_dir/cache`` keyed by the training texts and
the model, so it is redone only when the NLU data, the entries or the model change.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

from api.settings import Settings, get_settings
from bot.actions import names

log = logging.getLogger(__name__)

NLU_DIR = Path(__file__).resolve().parents[2] / "nlu_data" / "nlu"
POSITIVE = (names.COMPLAIN, names.REPORT_FRAUD, names.NOT_HELPFUL)
NEGATIVE = (names.ASK_POLICY, names.QUERY_PERSONAL_RECORD, names.OUT_OF_SCOPE)
# Inverse regularisation strength of the fit (sklearn's C).
FIT_C = 1.0

_lock = threading.Lock()
_model: GrievanceModel | None = None


@dataclass(frozen=True)
class GrievanceModel:
    """Weights over unit-length sentence vectors; ``score`` is the probability of a grievance."""

    coef: np.ndarray
    intercept: float

    def score(self, vectors: np.ndarray) -> np.ndarray:
        z = vectors @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))


def _nlu_examples(directory: Path = NLU_DIR) -> Iterator[tuple[str, int]]:
    for path in sorted(directory.glob("*.yml")):
        for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            intent = item.get("intent")
            if intent not in POSITIVE and intent not in NEGATIVE:
                continue
            label = int(intent in POSITIVE)
            for line in str(item.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    yield _plain(line[2:]), label


def _plain(example: str) -> str:
    """An NLU example without its entity annotations: "[太原](region)的" -> "太原的"."""
    return re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", example).strip()


def training_set(entry_questions: list[str]) -> tuple[list[str], np.ndarray]:
    """Texts and labels (1 = grievance): the NLU examples and the entries' caller phrasings."""
    pairs = dict(_nlu_examples())
    for question in entry_questions:
        pairs.setdefault(question, 0)
    texts = sorted(pairs)
    return texts, np.array([pairs[t] for t in texts], dtype=np.int64)


def fit(vectors: np.ndarray, labels: np.ndarray) -> GrievanceModel:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=FIT_C, class_weight="balanced", max_iter=2000)
    clf.fit(vectors, labels)
    return GrievanceModel(clf.coef_[0].astype(np.float32), float(clf.intercept_[0]))


def _cache_path(cache_dir: Path, texts: list[str], labels: np.ndarray, model_name: str) -> Path:
    digest = hashlib.sha256(
        json.dumps([model_name, FIT_C, texts, labels.tolist()], ensure_ascii=False).encode("utf-8")
    ).hexdigest()[:16]
    return cache_dir / f"grievance-{digest}.npz"


def load_model(settings: Settings) -> GrievanceModel:
    """The fitted model for these settings' entries and embedding model (cached on disk)."""
    from api.services import knowledge
    from knowledge.catalog import load_entries

    embedder = knowledge.make_embedder(settings)
    questions = [q for e in load_entries(settings.kb_entries_dir) for q in e.questions]
    texts, labels = training_set(questions)
    path = _cache_path(settings.data_dir / "cache", texts, labels, embedder.name)
    if path.exists():
        with np.load(path) as data:
            return GrievanceModel(data["coef"], float(data["intercept"]))
    vectors = embedder.encode(texts)
    model = fit(vectors, labels)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, coef=model.coef, intercept=np.array(model.intercept))
    tmp.replace(path)
    log.info("grievance.fitted examples=%d positives=%d path=%s", len(texts), int(labels.sum()), path)
    return model


@lru_cache(maxsize=512)
def grievance(text: str) -> float:
    """Probability that ``text`` is a complaint, report or "that did not help" (0 for no text)."""
    global _model
    if not text:
        return 0.0
    from api.services import knowledge

    with _lock:
        if _model is None:
            _model = load_model(get_settings())
        model = _model
    vector = knowledge.make_embedder(get_settings()).encode([text])
    return float(model.score(vector)[0])
