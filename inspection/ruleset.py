"""Versioned YAML rule sets: weights, severities, pass mark, thresholds and lexicons.

A supervisor edits ``data/ruleset.yaml`` (or a copy) without touching code; every stored
result records the version it was scored with, so old and new scores stay comparable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from inspection.textmatch import DEFAULT_FILLERS, LexiconEntry, PhraseMatcher, load_lexicon, parse_lexicon

CATEGORIES = (
    "greeting",
    "closing",
    "politeness",
    "forbidden_phrase",
    "first_contact_responsibility",
    "accuracy",
    "one_time_notice",
    "identity_verification",
    "silence",
    "interruption",
    "speech_rate",
    "emotion",
    "unresolved",
)
SEVERITIES = ("致命", "严重", "一般")
FATAL = "致命"
# Words that may sit inside a claim (需要您自己申请, 无需其他证明材料) without changing it.
CLAIM_FILLERS = (
    *DEFAULT_FILLERS,
    "您",
    "你",
    "自己",
    "先",
    "去",
    "再",
    "单独",
    "其他",
    "任何",
    "额外",
    "什么",
    "办理",
)
DEFAULT_RULESET = Path(__file__).resolve().parent / "data" / "ruleset.yaml"


class RuleSetError(ValueError):
    """The rule-set file breaks the schema; the message names the file and the key."""


@dataclass(frozen=True)
class RuleConfig:
    """How one rule scores: category, severity, points per finding, cap per call."""

    id: str
    category: str
    severity: str
    points: float
    max_points: float | None = None
    enabled: bool = True
    description: str = ""
    channels: tuple[str, ...] = ()

    def applies_to(self, channel: str) -> bool:
        """Enabled, and configured for this channel (no list: every channel)."""
        return self.enabled and (not self.channels or channel in self.channels)


@dataclass(frozen=True)
class ClaimTopic:
    """A yes/no policy claim (需要备案 / 不需要备案) compared with the knowledge base."""

    name: str
    label: str
    positive: tuple[str, ...]
    negative: tuple[str, ...]


@dataclass
class RuleSet:
    """A loaded rule set; matchers are compiled once per lexicon and reused for every call."""

    version: str
    pass_mark: float
    rules: dict[str, RuleConfig]
    params: dict[str, Any]
    lexicons: dict[str, list[LexiconEntry]]
    claims: dict[str, ClaimTopic]
    source: str = ""
    _matchers: dict[str, PhraseMatcher] = field(default_factory=dict, repr=False)

    def rule(self, rule_id: str) -> RuleConfig:
        """The configuration of one rule; unknown ids fail naming the version."""
        try:
            return self.rules[rule_id]
        except KeyError:
            raise KeyError(f"rule {rule_id!r} is not defined in rule set {self.version}") from None

    def param(self, name: str) -> Any:
        """A threshold from ``params``; a missing one fails naming the version."""
        try:
            return self.params[name]
        except KeyError:
            raise KeyError(f"parameter {name!r} is missing from rule set {self.version}") from None

    def matcher(self, lexicon: str) -> PhraseMatcher:
        """The compiled matcher of a lexicon (cached)."""
        m = self._matchers.get(lexicon)
        if m is None:
            if lexicon not in self.lexicons:
                raise KeyError(f"lexicon {lexicon!r} is missing from rule set {self.version}")
            m = PhraseMatcher(self.lexicons[lexicon])
            self._matchers[lexicon] = m
        return m

    def claim_matcher(self, topic: str, polarity: str) -> PhraseMatcher:
        """The compiled matcher of one polarity of a yes/no claim topic (cached)."""
        key = f"claim:{topic}:{polarity}"
        m = self._matchers.get(key)
        if m is None:
            t = self.claims[topic]
            m = PhraseMatcher(
                list(t.positive if polarity == "positive" else t.negative),
                fillers=CLAIM_FILLERS,
                max_fillers=2,
            )
            self._matchers[key] = m
        return m


def _rule(rule_id: str, raw: object, where: str) -> RuleConfig:
    if not isinstance(raw, Mapping):
        raise RuleSetError(f"{where}: rules.{rule_id} must be a mapping")
    category = raw.get("category")
    if category not in CATEGORIES:
        raise RuleSetError(f"{where}: rules.{rule_id}.category must be one of {', '.join(CATEGORIES)}")
    severity = raw.get("severity")
    if severity not in SEVERITIES:
        raise RuleSetError(f"{where}: rules.{rule_id}.severity must be one of {', '.join(SEVERITIES)}")
    points = raw.get("points")
    if isinstance(points, bool) or not isinstance(points, int | float) or points < 0:
        raise RuleSetError(f"{where}: rules.{rule_id}.points must be a number >= 0")
    cap = raw.get("max_points")
    if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int | float) or cap < points):
        raise RuleSetError(f"{where}: rules.{rule_id}.max_points must be a number >= points")
    channels = raw.get("channels") or ()
    if isinstance(channels, str) or not all(isinstance(c, str) for c in channels):
        raise RuleSetError(f"{where}: rules.{rule_id}.channels must be a list of channel names")
    return RuleConfig(
        id=rule_id,
        category=category,
        severity=severity,
        points=float(points),
        max_points=float(cap) if cap is not None else None,
        enabled=bool(raw.get("enabled", True)),
        description=str(raw.get("description", "")),
        channels=tuple(channels),
    )


def parse_ruleset(raw: object, *, base_dir: Path, where: str = "ruleset") -> RuleSet:
    """Validate a rule-set mapping; lexicon file names are resolved against ``base_dir``."""
    if not isinstance(raw, Mapping):
        raise RuleSetError(f"{where}: top level must be a mapping")
    version = raw.get("version")
    if not isinstance(version, str | int | float) or not str(version).strip():
        raise RuleSetError(f"{where}: version is required (a string such as '2026.11-1')")
    pass_mark = raw.get("pass_mark")
    if isinstance(pass_mark, bool) or not isinstance(pass_mark, int | float) or not 0 <= pass_mark <= 100:
        raise RuleSetError(f"{where}: pass_mark must be a number between 0 and 100")
    rules_raw = raw.get("rules")
    if not isinstance(rules_raw, Mapping) or not rules_raw:
        raise RuleSetError(f"{where}: rules must be a non-empty mapping")
    rules = {str(k): _rule(str(k), v, where) for k, v in rules_raw.items()}
    params = dict(raw.get("params") or {})
    lexicons: dict[str, list[LexiconEntry]] = {}
    for name, value in (raw.get("lexicons") or {}).items():
        if isinstance(value, str):
            path = base_dir / value
            if not path.exists():
                raise RuleSetError(f"{where}: lexicons.{name} file not found: {path}")
            lexicons[str(name)] = load_lexicon(path)
        elif isinstance(value, list):
            lexicons[str(name)] = parse_lexicon(str(v) for v in value)
        else:
            raise RuleSetError(f"{where}: lexicons.{name} must be a file name or a list of phrases")
    claims: dict[str, ClaimTopic] = {}
    for name, value in (raw.get("claims") or {}).items():
        if not isinstance(value, Mapping) or not value.get("positive") or not value.get("negative"):
            raise RuleSetError(f"{where}: claims.{name} needs positive and negative phrase lists")
        claims[str(name)] = ClaimTopic(
            name=str(name),
            label=str(value.get("label", name)),
            positive=tuple(str(p) for p in value["positive"]),
            negative=tuple(str(p) for p in value["negative"]),
        )
    return RuleSet(
        version=str(version).strip(),
        pass_mark=float(pass_mark),
        rules=rules,
        params=params,
        lexicons=lexicons,
        claims=claims,
        source=where,
    )


def load_ruleset(path: Path | str | None = None) -> RuleSet:
    """Load and validate a rule-set YAML file (the bundled default when ``path`` is None)."""
    path = Path(path) if path is not None else DEFAULT_RULESET
    if not path.exists():
        raise FileNotFoundError(f"rule set not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RuleSetError(f"{path}: not valid YAML ({exc})") from exc
    return parse_ruleset(raw, base_dir=path.parent, where=str(path))


@lru_cache(maxsize=8)
def default_ruleset() -> RuleSet:
    """The bundled rule set, loaded once per process."""
    return load_ruleset(None)
