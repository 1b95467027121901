"""The semantic checks of quality inspection as a service: the matcher, and calibration from reviews.

``get_semantic_matcher`` builds the inspection library's ``SemanticMatcher`` on the embedding model
of the knowledge base (``HOTLINE_EMBEDDING_MODEL``) with the current calibration; without the model
(or with ``HOTLINE_QA_SEMANTIC=false``) inspection runs on its rules alone. ``calibrate`` turns every
supervisor confirm or overrule of a semantic finding into a labelled example and recomputes the
thresholds from them and the labelled calls; the result is written where the next scoring reads it.

The console's 重新校准 runs the same calibration in two steps: ``propose`` computes it on the
folders of ``HOTLINE_QA_CALIBRATION_LABELLED`` and the stored reviews, scores those labelled calls
with the current and the new thresholds, and keeps the result as pending; ``apply_proposal`` makes
the pending one current once the supervisor confirms it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from api.errors import Conflict, ServiceUnavailable
from api.models.inspection import REVIEW_CONFIRMED, REVIEW_OVERRULED, QaFinding
from api.schemas import QaCalibrationProposal, QaCategoryScore
from api.settings import Settings
from inspection import Inspector, load_ruleset, parse_transcript
from inspection.calibration import RULE_LABELS, ReviewedExample, calibrate
from inspection.context import Context
from inspection.evaluation import EvalReport, evaluate
from inspection.rules.first_contact import has_resolution
from inspection.ruleset import default_ruleset
from inspection.semantic import SemanticMatcher
from inspection.semantic_bank import Calibration, load_bank, load_calibration
from inspection.transcript import Transcript

log = logging.getLogger(__name__)

__all__ = [
    "apply_proposal",
    "calibration_path",
    "get_semantic_matcher",
    "propose",
    "reviewed_examples",
    "run_calibration",
]
PENDING_NAME = "semantic_calibration.pending.json"
# The categories the semantic checks feed: the console shows their precision and recall.
SEMANTIC_CATEGORIES = ("politeness", "forbidden_phrase", "first_contact_responsibility", "unresolved")


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


def _matcher_or_fail(settings: Settings) -> SemanticMatcher:
    matcher = get_semantic_matcher(settings)
    if matcher is None:
        raise ValueError("语义质检不可用：请检查 HOTLINE_EMBEDDING_MODEL 和 HOTLINE_QA_SEMANTIC")
    return matcher


def _target(settings: Settings) -> Path:
    return settings.qa_semantic_calibration_file or settings.data_dir / "qa" / "semantic_calibration.json"


def _write(calibration: Calibration, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(calibration.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    tmp.replace(target)


def _labelled_calls(labelled: Sequence[Path]) -> list[Transcript]:
    calls = [parse_transcript(json.loads(p.read_text(encoding="utf-8"))) for p in labelled]
    return [c for c in calls if c.labels]


def _calibrate(
    session: Session | None, matcher: SemanticMatcher, calls: Sequence[Transcript]
) -> tuple[Calibration, int]:
    """The calibration of the CLI and the console: labelled calls plus every reviewed sentence."""
    reviews = reviewed_examples(session) if session is not None else []
    if not calls and not reviews:
        raise ValueError("没有带 labels 的记录，也没有主管复核过的语义质检结果")
    source = f"{len(calls)} labelled calls, {len(reviews)} reviewed sentences"
    return calibrate(matcher, calls, reviews, resolved=_resolved, source=source), len(reviews)


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
    calls = _labelled_calls(labelled)
    result, reviews = _calibrate(session, _matcher_or_fail(settings), calls)
    target = out or _target(settings)
    _write(result, target)
    log.info("inspection.semantic.calibrated out=%s calls=%d reviews=%d", target, len(calls), reviews)
    return result, target, reviews


def _labelled_files(settings: Settings) -> list[Path]:
    files: list[Path] = []
    for path in map(Path, settings.qa_calibration_labelled):
        files.extend(sorted(path.rglob("*.json")) if path.is_dir() else [path] if path.is_file() else [])
    return list(dict.fromkeys(files))


def _report(matcher: SemanticMatcher, calls: Sequence[Transcript], settings: Settings) -> EvalReport:
    inspector = Inspector(load_ruleset(settings.qa_ruleset_file), semantic=matcher)
    return evaluate((call, inspector.inspect(call)) for call in calls)


def _pending(settings: Settings) -> Path:
    return _target(settings).with_name(PENDING_NAME)


def propose(session: Session, *, settings: Settings) -> QaCalibrationProposal:
    """Recalibrate on the configured labelled calls and every stored review, without applying it:
    the thresholds before and after and each semantic category's precision and recall on the
    labelled calls under both; the result waits in the data folder until ``apply_proposal``."""
    matcher = get_semantic_matcher(settings)
    if matcher is None:
        raise ServiceUnavailable("语义质检不可用：请检查 HOTLINE_EMBEDDING_MODEL 和 HOTLINE_QA_SEMANTIC")
    calls = _labelled_calls(_labelled_files(settings))
    try:
        new, reviews = _calibrate(session, matcher, calls)
    except ValueError as exc:
        raise Conflict(str(exc)) from exc
    before = _report(matcher, calls, settings) if calls else None
    after = _report(matcher.with_calibration(new), calls, settings) if calls else None
    rows = []
    for category in SEMANTIC_CATEGORIES:
        old = before.categories.get(category) if before else None
        now = after.categories.get(category) if after else None
        rows.append(
            QaCategoryScore(
                category=category,
                support=old.support if old else 0,
                before_precision=old.precision if old else None,
                before_recall=old.recall if old else None,
                after_precision=now.precision if now else None,
                after_recall=now.recall if now else None,
            )
        )
    body = new.to_dict()
    proposal_id = hashlib.sha256(json.dumps(body, sort_keys=True).encode("utf-8")).hexdigest()[:16]
    pending = _pending(settings)
    pending.parent.mkdir(parents=True, exist_ok=True)
    pending.write_text(
        json.dumps({"id": proposal_id, "calibration": body}, ensure_ascii=False), encoding="utf-8"
    )
    log.info("inspection.semantic.proposed id=%s calls=%d reviews=%d", proposal_id, len(calls), reviews)
    return QaCalibrationProposal(
        id=proposal_id,
        before={k: round(v, 4) for k, v in sorted(matcher.calibration.thresholds.items())},
        after=body["thresholds"],
        categories=rows,
        labelled_calls=len(calls),
        reviewed_sentences=reviews,
        source=new.source,
    )


def apply_proposal(settings: Settings, proposal_id: str) -> dict[str, float]:
    """Make the pending recalibration current (the next scoring uses it); returns its thresholds."""
    pending = _pending(settings)
    if not pending.exists():
        raise Conflict("没有待应用的校准结果，请先点“重新校准”")
    data = json.loads(pending.read_text(encoding="utf-8"))
    if data.get("id") != proposal_id:
        raise Conflict("待应用的校准结果已更新，请核对新的结果后再应用")
    target = _target(settings)
    staged = target.with_suffix(".staged")
    staged.write_text(json.dumps(data["calibration"], ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    calibration = load_calibration(staged)  # refuse a malformed file before it becomes current
    staged.replace(target)
    pending.unlink()
    log.info("inspection.semantic.applied id=%s out=%s", proposal_id, target)
    return dict(calibration.thresholds)
