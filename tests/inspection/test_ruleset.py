"""Rule sets: the bundled one loads; a supervisor's edits change scores; bad files fail clearly."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from inspection import Inspector, load_ruleset
from inspection.ruleset import CATEGORIES, DEFAULT_RULESET, RuleSetError, default_ruleset, parse_ruleset
from tests.inspection.conftest import build


def test_bundled_ruleset_covers_every_category() -> None:
    rs = default_ruleset()
    assert rs.version
    assert {r.category for r in rs.rules.values()} == set(CATEGORIES)
    assert all(rs.lexicons[name] for name in rs.lexicons)


def _copy(tmp_path: Path, *, rules: dict[str, dict] | None = None, **top: object) -> Path:
    """A copy of the bundled rule set (with its lexicons) with some values changed."""
    raw = yaml.safe_load(DEFAULT_RULESET.read_text(encoding="utf-8"))
    raw.update(top)
    for rule_id, values in (rules or {}).items():
        raw["rules"][rule_id].update(values)
    for src in DEFAULT_RULESET.parent.glob("*.txt"):
        (tmp_path / src.name).write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "ruleset.yaml"
    out.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return out


def test_supervisor_changes_weight_and_version(tmp_path: Path) -> None:
    call = build(
        [("A", "喂，说吧。"), ("C", "我想问下备案。"), ("A", "您在公众号上办理就行，稍后请评价，再见。")]
    )
    default = Inspector().inspect(call)
    path = _copy(tmp_path, version="test-2", rules={"greeting.opening": {"points": 30}})
    edited = Inspector(load_ruleset(path)).inspect(call)
    opening = [f for f in edited.findings if f.rule == "greeting.opening"]
    assert opening and opening[0].points == 30
    assert edited.ruleset_version == "test-2"
    assert edited.score == default.score - 24


def test_disabled_rule_and_channel_filter(tmp_path: Path) -> None:
    call = build(
        [("A", "喂，说吧。"), ("C", "我想问下备案。"), ("A", "您在公众号上办理就行，稍后请评价，再见。")]
    )
    path = _copy(tmp_path, rules={"greeting.opening": {"enabled": False}})
    assert "greeting.opening" not in Inspector(load_ruleset(path)).inspect(call).rules
    path = _copy(tmp_path, rules={"greeting.opening": {"channels": ["chat"]}})
    assert "greeting.opening" not in Inspector(load_ruleset(path)).inspect(call).rules


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], "mapping"),
        ({"pass_mark": 90, "rules": {"a": {}}}, "version"),
        ({"version": "1", "pass_mark": 120, "rules": {"a": {}}}, "pass_mark"),
        ({"version": "1", "pass_mark": 90, "rules": {}}, "rules"),
        ({"version": "1", "pass_mark": 90, "rules": {"a": {"category": "x"}}}, "rules.a.category"),
        (
            {"version": "1", "pass_mark": 90, "rules": {"a": {"category": "greeting", "severity": "轻微"}}},
            "severity",
        ),
        (
            {
                "version": "1",
                "pass_mark": 90,
                "rules": {"a": {"category": "greeting", "severity": "一般", "points": -1}},
            },
            "points",
        ),
        (
            {
                "version": "1",
                "pass_mark": 90,
                "rules": {"a": {"category": "greeting", "severity": "一般", "points": 1}},
                "lexicons": {"x": "missing.txt"},
            },
            "lexicons.x",
        ),
    ],
)
def test_bad_rulesets_fail_naming_the_key(raw: object, message: str, tmp_path: Path) -> None:
    with pytest.raises(RuleSetError, match=message):
        parse_ruleset(raw, base_dir=tmp_path)


def test_missing_file() -> None:
    with pytest.raises(FileNotFoundError):
        load_ruleset(Path("/nonexistent/ruleset.yaml"))
