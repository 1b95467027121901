"""The tunable numbers of an answer decision and the confidence that a hit answers a question.

Calibrated on labelled questions (``knowledge/calibration.py``); the answering logic that uses them
is ``knowledge/answering.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from knowledge.confidence import ConfidenceModel, features
from knowledge.search import Hit

log = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 0.87


@dataclass
class Policy:
    """Tunable numbers of the decision, calibrated on labelled questions (see ``calibrate``).

    With a fitted ``model`` the confidence is its probability and ``threshold`` applies to it;
    without one, the dense cosine plus a lexical bonus stands in (before any calibration).
    """

    threshold: float = DEFAULT_THRESHOLD
    lexical_bonus: float = 0.04
    national_margin: float = 0.02
    weights: dict[str, float] = field(default_factory=lambda: {"dense": 1.0, "lexical": 1.0})
    model: ConfidenceModel | None = None
    review_months: int = 0  # an answer from an entry older than this states its date (0: never)

    @classmethod
    def calibrated(cls) -> Policy:
        """The policy stored in ``data/confidence.json`` (model and threshold), else defaults."""
        import json

        from knowledge.confidence import DEFAULT_PATH

        if not DEFAULT_PATH.exists():
            return cls()
        data = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
        try:
            model = ConfidenceModel.from_json(data)
        except ValueError as exc:
            log.warning("%s; using the uncalibrated confidence until then", exc)
            return cls()
        return cls(
            threshold=float(data["threshold"]),
            model=model,
            national_margin=float(data.get("national_margin", 0.05)),
        )


def confidence_of(hit: Hit, policy: Policy, hits: Sequence[Hit] = ()) -> float:
    """Probability-like confidence that ``hit`` answers the question searched for ``hits``."""
    if policy.model is not None:
        return policy.model.score(features(hit, hits or [hit]))
    return hit.dense + policy.lexical_bonus * min(hit.lexical_norm, 1.0)


def candidates(hits: Sequence[Hit], audience: str) -> list[Hit]:
    """Hits that may be given as an answer: curated entries (passages too for agents)."""
    return [h for h in hits if h.doc.kind == "entry" or audience == "agent"]
