"""The semantic checks' phrase bank (example phrasings per label) and its calibrated thresholds.

``data/semantic_bank.yaml`` holds, per label, who says it, example phrasings, the cue words of
the pre-filter and the sentence shapes that decide the label alone;
``data/semantic_calibration.json`` the per-label thresholds on the margin over the ``none``
label, fitted by ``hotline qa calibrate`` (``inspection.calibration``), with the examples learned
from supervisors' reviews. Used by ``inspection.semantic``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).resolve().parent / "data"
DEFAULT_BANK = DATA / "semantic_bank.yaml"
DEFAULT_CALIBRATION = DATA / "semantic_calibration.json"
NONE = "none"
SPEAKERS = ("staff", "caller", "any")


@dataclass(frozen=True)
class Label:
    """One bank label: who says it, its example phrasings and the pre-filter cue words."""

    name: str
    speaker: str
    examples: tuple[str, ...]
    cues: tuple[str, ...] = ()
    description: str = ""
    decisive: bool = False  # its cue words are the problem itself: a sentence holding one is of this label
    # Sentence shapes that are the problem whatever the words (a rhetorical question blaming the
    # caller, 要是…也不至于): (name, compiled pattern) pairs, matched on the sentence's own text.
    shapes: tuple[tuple[str, re.Pattern[str]], ...] = ()


def _shapes(path: Path, name: str, raw: Any) -> tuple[tuple[str, re.Pattern[str]], ...]:
    out = []
    for n, spec in enumerate(raw or ()):
        if not isinstance(spec, Mapping) or not spec.get("name") or not spec.get("pattern"):
            raise ValueError(f"{path}: labels.{name}.shapes[{n}] needs a name and a pattern")
        try:
            out.append((str(spec["name"]), re.compile(str(spec["pattern"]))))
        except re.error as exc:
            where = f"{path}: labels.{name}.shapes[{n}].pattern"
            raise ValueError(f"{where} is not a regular expression: {exc}") from exc
    return tuple(out)


@dataclass(frozen=True)
class Bank:
    """The example phrasings per label; ``none`` holds ordinary service sentences (the negatives)."""

    version: str
    labels: dict[str, Label]


def load_bank(path: Path | str | None = None) -> Bank:
    """Read and validate a bank YAML file (the bundled one when ``path`` is None)."""
    path = Path(path) if path is not None else DEFAULT_BANK
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, Mapping) or not isinstance(raw.get("labels"), Mapping):
        raise ValueError(f"{path}: a bank needs a 'labels' mapping")
    labels: dict[str, Label] = {}
    for name, spec in raw["labels"].items():
        examples = tuple(str(e).strip() for e in (spec.get("examples") or ()) if str(e).strip())
        speaker = str(spec.get("speaker", "staff"))
        if not examples:
            raise ValueError(f"{path}: labels.{name}.examples must not be empty")
        if speaker not in SPEAKERS:
            raise ValueError(f"{path}: labels.{name}.speaker must be one of {', '.join(SPEAKERS)}")
        cues = tuple(str(c) for c in (spec.get("cues") or ()))
        labels[str(name)] = Label(
            str(name),
            speaker,
            examples,
            cues,
            str(spec.get("description", "")),
            bool(spec.get("decisive")),
            _shapes(path, str(name), spec.get("shapes")),
        )
    if NONE not in labels:
        raise ValueError(f"{path}: the bank needs a '{NONE}' label of ordinary sentences")
    return Bank(version=str(raw.get("version", "")), labels=labels)


@dataclass(frozen=True)
class Calibration:
    """Per-label thresholds (on the margin over ``none``) and the examples learned from reviews."""

    thresholds: dict[str, float]
    examples: tuple[tuple[str, str], ...] = ()  # (label, text); overruled findings come as ("none", text)
    min_overlap: float = 0.5  # share of an example's sound bigrams that lets a sentence pass the pre-filter
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form written by ``hotline qa calibrate``."""
        return {
            "thresholds": {k: round(v, 4) for k, v in sorted(self.thresholds.items())},
            "min_overlap": self.min_overlap,
            "examples": [{"label": label, "text": text} for label, text in self.examples],
            "source": self.source,
        }


def load_calibration(path: Path | str | None = None) -> Calibration:
    """Read a calibration JSON file (the bundled one when ``path`` is None)."""
    path = Path(path) if path is not None else DEFAULT_CALIBRATION
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    thresholds = {str(k): float(v) for k, v in (raw.get("thresholds") or {}).items()}
    for name, value in thresholds.items():
        if not -1.0 <= value <= 1.0:
            raise ValueError(f"{path}: thresholds.{name} must be a margin in [-1, 1], got {value}")
    examples = tuple((str(e["label"]), str(e["text"])) for e in raw.get("examples") or ())
    return Calibration(thresholds, examples, float(raw.get("min_overlap", 0.5)), str(raw.get("source", "")))
