"""``hotline eval FILE``: run labelled questions or dialogues and print accuracy per kind."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from api.settings import get_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    ev = subparsers.add_parser("eval", help="评测：逐题/逐轮运行并按类型统计正确率")
    ev.add_argument("file", type=Path)
    ev.add_argument("--out", type=Path, help="逐条结果写入 JSON Lines")
    ev.add_argument(
        "--engine",
        choices=["kb", "stack"],
        default="stack",
        help="kb: 只用知识服务；stack: 完整对话栈（Rasa + 动作服务）",
    )
    ev.set_defaults(handler=_eval)


def make_engine(name: str):  # type: ignore[no-untyped-def]
    from api.services.evaluation import KnowledgeEngine

    if name == "kb":
        return KnowledgeEngine(get_settings())
    from api.services.stack import StackEngine

    return StackEngine(get_settings())


def _eval(args: argparse.Namespace) -> int:
    from api.services.evaluation import format_table, load_items, run, summarize, write_results

    items = load_items(args.file)
    engine = make_engine(args.engine)
    try:
        rows = list(run(engine, items))
    finally:
        engine.close()
    if args.out:
        write_results(rows, args.out)
    sys.stdout.write(format_table(summarize(rows)) + "\n")
    return 0
