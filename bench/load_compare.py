"""The load bench on an earlier commit and on the working tree, one after the other, side by side.

    python -m bench load --against 668f707 --sessions 50 --duration 300

The earlier commit is checked out in a temporary git worktree, started with the same settings and
the same data directory (index, trained models), loaded exactly like the working tree, then
removed. Each table gets a ``code`` column naming the side.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Any

from api.settings import PROJECT_ROOT
from bench import bench_load

__all__ = ["compare"]


def _git(*args: str) -> str:
    done = subprocess.run(["git", "-C", str(PROJECT_ROOT), *args], check=True, capture_output=True, text=True)
    return done.stdout.strip()


def compare(ref: str, **load: Any) -> dict[str, list[dict[str, Any]]]:
    """Run ``bench_load.run(**load)`` on ``ref`` and on the working tree; tables with both sides."""
    label = f"{ref} ({_git('rev-parse', '--short', ref)})"
    folder = Path(tempfile.mkdtemp(prefix="hotline-ref-")) / "tree"
    _git("worktree", "add", "--detach", str(folder), ref)
    try:
        before = bench_load.run(root=folder, **load)
    finally:
        _git("worktree", "remove", "--force", str(folder))
    after = bench_load.run(**load)
    merged: dict[str, list[dict[str, Any]]] = {}
    for name in dict.fromkeys([*before, *after]):
        merged[name] = [{"code": label, **row} for row in before.get(name, [])] + [
            {"code": "working tree", **row} for row in after.get(name, [])
        ]
    return merged
