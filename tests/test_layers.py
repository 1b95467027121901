"""Which package may import which: checked on the source, imports inside functions included."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from api.settings import PROJECT_ROOT

PROJECT_PACKAGES = ("api", "bot", "devtools", "inspection", "knowledge", "vocab", "voice")


def _imported_packages(folder: Path) -> dict[str, set[str]]:
    """Project packages imported by each module under ``folder`` (path -> top-level names)."""
    found: dict[str, set[str]] = {}
    for path in sorted(folder.rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(PROJECT_ROOT))] = names & set(PROJECT_PACKAGES)
    return found


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [
        ("vocab", set(PROJECT_PACKAGES) - {"vocab"}),  # the vocabulary is below everything
        ("api/services", {"bot", "devtools"}),  # the service layer runs without the dialogue tooling
        ("api/routes", {"bot", "devtools"}),
    ],
)
def test_layering(folder: str, forbidden: set[str]) -> None:
    offenders = {path: names & forbidden for path, names in _imported_packages(PROJECT_ROOT / folder).items()}
    assert {path: names for path, names in offenders.items() if names} == {}
