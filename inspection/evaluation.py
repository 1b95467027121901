"""Precision and recall of the inspection against labelled transcripts.

A labelled transcript carries ``labels: {"passed": bool, "categories": [...], "rules": [...]}``;
``rules`` is optional. A category counts once per transcript.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from inspection.ruleset import CATEGORIES
from inspection.scorer import InspectionResult
from inspection.transcript import Transcript


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def support(self) -> int:
        return self.tp + self.fn


@dataclass
class EvalReport:
    """Per-category and per-rule tallies, pass/fail agreement and the disagreements."""

    categories: dict[str, Tally] = field(default_factory=dict)
    rules: dict[str, Tally] = field(default_factory=dict)
    n: int = 0
    pass_agree: int = 0
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (id, kind, label)

    @property
    def micro(self) -> Tally:
        t = Tally()
        for c in self.categories.values():
            t.tp += c.tp
            t.fp += c.fp
            t.fn += c.fn
        return t

    @property
    def pass_accuracy(self) -> float:
        return self.pass_agree / self.n if self.n else 0.0


def _tally(store: dict[str, Tally], gold: set[str], pred: set[str], tid: str, errors: list) -> None:
    for label in gold | pred:
        t = store.setdefault(label, Tally())
        if label in gold and label in pred:
            t.tp += 1
        elif label in pred:
            t.fp += 1
            errors.append((tid, "false_positive", label))
        else:
            t.fn += 1
            errors.append((tid, "missed", label))


def evaluate(pairs: Iterable[tuple[Transcript, InspectionResult]]) -> EvalReport:
    """Compare results with each transcript's labels; transcripts without labels are skipped."""
    report = EvalReport(categories={c: Tally() for c in CATEGORIES})
    for transcript, result in pairs:
        labels = transcript.labels
        if not labels:
            continue
        report.n += 1
        gold = set(labels.get("categories") or [])
        unknown = gold - set(CATEGORIES)
        if unknown:
            raise ValueError(f"{transcript.id}: unknown label categories {sorted(unknown)}")
        _tally(report.categories, gold, set(result.categories), transcript.id, report.errors)
        if "rules" in labels:
            _tally(report.rules, set(labels["rules"] or []), set(result.rules), transcript.id, [])
        if bool(labels.get("passed")) == result.passed:
            report.pass_agree += 1
    return report


def format_report(report: EvalReport) -> str:
    """A plain-text table for the terminal."""

    def f(x: float | None) -> str:
        return "  -  " if x is None else f"{x:.3f}"

    lines = [f"{'类别':<30}{'precision':>10}{'recall':>10}{'support':>9}{'fp':>5}{'fn':>5}"]
    for name, t in report.categories.items():
        lines.append(f"{name:<30}{f(t.precision):>10}{f(t.recall):>10}{t.support:>9}{t.fp:>5}{t.fn:>5}")
    m = report.micro
    lines.append(
        f"{'(all categories)':<30}{f(m.precision):>10}{f(m.recall):>10}{m.support:>9}{m.fp:>5}{m.fn:>5}"
    )
    if report.rules:
        lines.append("")
        lines.append(f"{'规则':<30}{'precision':>10}{'recall':>10}{'support':>9}")
        for name, t in sorted(report.rules.items()):
            lines.append(f"{name:<30}{f(t.precision):>10}{f(t.recall):>10}{t.support:>9}")
    lines.append("")
    lines.append(f"transcripts: {report.n}   pass/fail agreement: {f(report.pass_accuracy)}")
    for tid, kind, label in report.errors:
        lines.append(f"  {tid}: {kind} {label}")
    return "\n".join(lines)
