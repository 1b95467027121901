"""The semantic checks of quality inspection as a service: the matcher, and calibration from reviews.

``get_semantic_matcher`` builds the inspection library's ``SemanticMatcher`` on the embedding model
of the knowledge base (``HOTLINE_EMBEDDING_MODEL``) with the current calibration; without the model
(or with ``HOTLINE_QA_SEMANTIC=false``) inspection runs on its rules alone. ``calibrate`` turns every
supervisor confirm or overrule of a semantic finding into a labelled example and recomputes the
thresholds from them and the labelled calls; the result is written where the next scoring reads it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from api.models.inspection import REVIEW_CONFIRMED, REVIEW_OVERRULED, QaFinding
from api.settings import Settings
from inspection import parse_transcript
from inspection.calibration import RULE_LABELS, ReviewedExample, calibrate
from inspection.context import Context
from inspection.rules.first_contact import has_resolution
from inspection.ruleset import default_ruleset
from inspection.semantic import Calibration, SemanticMatcher, load_bank, load_calibration
from inspection.transcript import Transcript

log = logging.getLogger(__name__)

__all__ = ["calibration_path", "get_semantic_matcher", "reviewed_examples", "run_calibration"]


def calibration_path(settings: Settings) -> Path | None:
    """The calibration scoring uses: the setting's file, else the data dir's, once ``hotline qa
    calibrate`` has written it; until then None (the bundled one)."""
    local = settings.qa_semantic_calibration_file or settings.data_dir / "qa" / "semantic_calibration.json"
    return local if local.exists() else None


@lru_cache(maxsize=4)
def _matcher(model: str, threads: int, calibration: Path | None, stamp: float) -> SemanticMatcher:
    from knowledge.embed import Embedder

    embedder = Embedder(model, threads=threads)
    return SemanticMatcher(load_bank(), embedder.encode, load_calibration(calibration))


def get_semantic_matcher(settings: Settings) -> SemanticMatcher | None:
    """The matcher for scoring, or None when switched off or the embedding model is missing."""
    if not settings.qa_semantic:
        return None
    if not (Path(settings.embedding_model) / "config.json").exists():
        log.warning("inspection.semantic.unavailable model=%s", settings.embedding_model)
        return None
    path = calibration_path(settings)
    stamp = path.stat().st_mtime if path is not None and path.exists() else 0.0  # a new calibration reloads
    return _matcher(str(settings.embedding_model), settings.embedding_threads, path, stamp)


def _speaker_label(rule: str, text: str, transcript: dict) -> str | None:
    label = RULE_LABELS.get(rule)
    if label == "vague":
        caller = any(
            t.get("speaker") == "caller" and text in str(t.get("text", "")) for t in transcript["turns"]
        )
        return "caller_open" if caller else "vague"
    return label


def reviewed_examples(session: Session) -> list[ReviewedExample]:
    """Every reviewed finding of a rule the semantic checks feed, as (label, quoted sentence, verdict)."""
    rows = session.scalars(
        select(QaFinding)
        .where(QaFinding.review_status.in_((REVIEW_CONFIRMED, REVIEW_OVERRULED)))
        .where(QaFinding.rule.in_(list(RULE_LABELS)))
        .options(selectinload(QaFinding.result))
    ).all()
    out = []
    for finding in rows:
        for text in finding.evidence:
            label = _speaker_label(finding.rule, text, finding.result.transcript)
            if label and text.strip():
                out.append(ReviewedExample(label, text.strip(), finding.review_status == REVIEW_CONFIRMED))
    return out


def _resolved(transcript: Transcript) -> bool:
    return has_resolution(Context(transcript, default_ruleset()))


def run_calibration(
    session: Session | None,
    *,
    settings: Settings,
    labelled: Sequence[Path],
    out: Path | None = None,
) -> tuple[Calibration, Path, int]:
    """Calibrate on labelled call files and the stored reviews; write and return the calibration.

    Returns (calibration, where it was written, number of reviewed examples used).
    """
    matcher = get_semantic_matcher(settings)
    if matcher is None:
        raise ValueError("语义质检不可用：请检查 HOTLINE_EMBEDDING_MODEL 和 HOTLINE_QA_SEMANTIC")
    calls = [parse_transcript(json.loads(p.read_text(encoding="utf-8"))) for p in labelled]
    calls = [c for c in calls if c.labels]
    reviews = reviewed_examples(session) if session is not None else []
    if not calls and not reviews:
        raise ValueError("没有带 labels 的记录，也没有主管复核过的语义质检结果")
    source = f"{len(calls)} labelled calls, {len(reviews)} reviewed sentences"
    result = calibrate(matcher, calls, reviews, resolved=_resolved, source=source)
    target = (
        out or settings.qa_semantic_calibration_file or settings.data_dir / "qa" / "semantic_calibration.json"
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    log.info("inspection.semantic.calibrated out=%s calls=%d reviews=%d", target, len(calls), len(reviews))
    return result, target, len(reviews)
