"""Run every rule family, turn observations into deductions, and decide pass or fail.

Score = 100 minus the points of all findings (each rule capped at its ``max_points``),
floored at 0. A call passes when the score reaches the rule set's pass mark and it has no
致命 (fatal) finding.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from inspection.context import Context, RawFinding
from inspection.emotion import AngerModel
from inspection.kb import KbLookup
from inspection.rules import FAMILIES
from inspection.ruleset import CATEGORIES, FATAL, SEVERITIES, RuleSet, default_ruleset
from inspection.semantic import SemanticMatcher
from inspection.transcript import Transcript, parse_transcript

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Finding:
    """One scored finding: the stable output contract plus a human-readable detail."""

    rule: str
    category: str
    severity: str
    points: float
    turns: tuple[int, ...]
    evidence: tuple[str, ...]
    detail: str = ""
    kb_entry: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The finding as in the ``--json`` output (lists, integer points when whole)."""
        d = asdict(self)
        d["turns"] = list(self.turns)
        d["evidence"] = list(self.evidence)
        d["points"] = int(self.points) if self.points == int(self.points) else self.points
        return d


@dataclass(frozen=True)
class InspectionResult:
    """The verdict on one transcript."""

    id: str
    score: float
    passed: bool
    findings: tuple[Finding, ...]
    ruleset_version: str
    agent_id: str | None = None
    channel: str = "phone"

    @property
    def categories(self) -> list[str]:
        """Distinct finding categories in the contract's order."""
        found = {f.category for f in self.findings}
        return [c for c in CATEGORIES if c in found]

    @property
    def rules(self) -> list[str]:
        """Distinct rule ids of the findings."""
        return sorted({f.rule for f in self.findings})

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` object: {"id", "score", "passed", "findings": [...]} (plus version)."""
        score = int(self.score) if self.score == int(self.score) else round(self.score, 1)
        return {
            "id": self.id,
            "score": score,
            "passed": self.passed,
            "findings": [f.to_dict() for f in self.findings],
            "ruleset_version": self.ruleset_version,
        }


class Inspector:
    """Scores transcripts with one rule set, an optional knowledge-base lookup and semantic matcher."""

    def __init__(
        self,
        ruleset: RuleSet | None = None,
        *,
        kb_lookup: KbLookup | None = None,
        anger_model: AngerModel | None = None,
        semantic: SemanticMatcher | None = None,
    ) -> None:
        self.ruleset = ruleset or default_ruleset()
        self.kb_lookup = kb_lookup
        self.anger_model = anger_model
        self.semantic = semantic

    def raw_findings(self, transcript: Transcript) -> list[RawFinding]:
        """Observations of every rule family, in family order."""
        ctx = Context(
            transcript,
            self.ruleset,
            kb_lookup=self.kb_lookup,
            anger_model=self.anger_model,
            semantic=self.semantic,
        )
        raw: list[RawFinding] = []
        for family in FAMILIES:
            raw.extend(family.check(ctx))
        return raw

    def inspect(self, transcript: Transcript | Mapping[str, Any]) -> InspectionResult:
        """Score one transcript (a parsed Transcript or its JSON mapping)."""
        if not isinstance(transcript, Transcript):
            transcript = parse_transcript(transcript)
        used: dict[str, float] = {}
        findings: list[Finding] = []
        for raw in self.raw_findings(transcript):
            cfg = self.ruleset.rules.get(raw.rule)
            if cfg is None:
                log.warning("inspection.rule.unconfigured rule=%s version=%s", raw.rule, self.ruleset.version)
                continue
            if not cfg.applies_to(transcript.channel):
                continue
            points = cfg.points
            if cfg.max_points is not None:
                points = max(0.0, min(points, cfg.max_points - used.get(raw.rule, 0.0)))
            used[raw.rule] = used.get(raw.rule, 0.0) + points
            findings.append(
                Finding(
                    rule=raw.rule,
                    category=cfg.category,
                    severity=cfg.severity,
                    points=points,
                    turns=raw.turns,
                    evidence=raw.evidence,
                    detail=raw.detail,
                    kb_entry=raw.kb_entry,
                )
            )
        findings.sort(key=lambda f: (SEVERITIES.index(f.severity), f.turns[:1] or (0,)))
        score = max(0.0, 100.0 - sum(f.points for f in findings))
        fatal = any(f.severity == FATAL for f in findings)
        return InspectionResult(
            id=transcript.id,
            score=score,
            passed=not fatal and score >= self.ruleset.pass_mark,
            findings=tuple(findings),
            ruleset_version=self.ruleset.version,
            agent_id=transcript.agent_id,
            channel=transcript.channel,
        )


def inspect_transcript(
    transcript: Transcript | Mapping[str, Any],
    *,
    ruleset: RuleSet | None = None,
    kb_lookup: KbLookup | None = None,
) -> InspectionResult:
    """Score one transcript with a throw-away Inspector (use Inspector for batches)."""
    return Inspector(ruleset, kb_lookup=kb_lookup).inspect(transcript)
