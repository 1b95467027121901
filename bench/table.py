"""Plain-text tables for benchmark output."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence


def format_table(rows: Sequence[Mapping[str, object]]) -> str:
    if not rows:
        return "(no rows)"
    columns = list(rows[0])
    widths = {c: max(len(str(c)), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    lines = ["  ".join(str(c).ljust(widths[c]) for c in columns), "  ".join("-" * widths[c] for c in columns)]
    lines += ["  ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns) for r in rows]
    return "\n".join(lines)


def print_tables(tables: Mapping[str, Sequence[Mapping[str, object]]]) -> None:
    for title, rows in tables.items():
        sys.stdout.write(f"\n## {title}\n{format_table(rows)}\n")
