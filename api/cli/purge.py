"""``hotline purge [--dry-run]``: remove callers' personal data older than HOTLINE_RETENTION_DAYS.

Prints counts only (what was purged, or would be with ``--dry-run``); see
``api/services/retention.py`` for what is removed and what is kept for statistics.
"""

from __future__ import annotations

import argparse
import json
import sys

from api.settings import get_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``purge`` sub-command."""
    cmd = subparsers.add_parser("purge", help="按保存期限清除来电人个人信息（HOTLINE_RETENTION_DAYS）")
    cmd.add_argument("--dry-run", action="store_true", help="只统计将被清除的数量，不做修改")
    cmd.set_defaults(handler=_purge)


def _purge(args: argparse.Namespace) -> int:
    from api.services.retention import run_purge

    report = run_purge(get_settings(), dry_run=args.dry_run)
    sys.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False) + "\n")
    return 0
