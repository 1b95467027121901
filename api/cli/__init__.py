"""The ``hotline`` command: one sub-command module per part of the product.

Each module in this package exposes ``register(subparsers)``; adding a part means
adding a module name to ``_COMMAND_MODULES``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

_COMMAND_MODULES = [
    "kb",
    "evaluate",
    "tickets",
    "run",
    "train",
    "models",
    "qa",
    "users",
    "purge",
    "demo",
    "voice",
]


def build_parser() -> argparse.ArgumentParser:
    """Assemble the parser from every command module."""
    parser = argparse.ArgumentParser(prog="hotline", description="12393 医保热线助手")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in _COMMAND_MODULES:
        module = importlib.import_module(f"api.cli.{name}")
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    from api.logging_config import install_log_masking

    install_log_masking()  # no personal number reaches a log
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Libraries that narrate their own start-up at INFO level.
    for noisy in ("faiss.loader", "jieba", "sentence_transformers", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        return int(args.handler(args) or 0)
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        sys.stderr.write(f"错误: {exc}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
