"""``hotline eval FILE``: run labelled questions or dialogues and print accuracy per kind.

``--noise`` runs the items as a speech recogniser would have written them (knowledge/asr_noise.py),
``--side-by-side`` runs both and prints the two in one table; ``hotline noise FILE --out FILE2``
writes the noised copy itself.
"""

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
    ev.add_argument(
        "--noise", action="store_true", help="先模拟语音识别错误（同音字、口音、语气词、无标点）再评测"
    )
    ev.add_argument("--noise-seed", type=int, default=0, help="模拟错误的随机种子（默认 0）")
    ev.add_argument(
        "--noise-profile",
        choices=["phone", "harsh"],
        default="phone",
        help="phone: 电话识别的常见错误（约一成字错，专业词易错）；harsh: 任意字同音替换（约两成字错）",
    )
    ev.add_argument(
        "--side-by-side",
        action="store_true",
        help="原文与模拟识别文本各评测一次，按类型并排输出（--out 另写 <名>-noised.jsonl）",
    )
    ev.set_defaults(handler=_eval)
    noise = subparsers.add_parser("noise", help="写出评测文件的模拟语音识别版本（保留 id，加 noised: true）")
    noise.add_argument("file", type=Path)
    noise.add_argument("--out", type=Path, required=True)
    noise.add_argument("--seed", type=int, default=0)
    noise.add_argument("--profile", choices=["phone", "harsh"], default="phone")
    noise.set_defaults(handler=_noise)


def make_engine(name: str):  # type: ignore[no-untyped-def]
    from devtools.evaluation import KnowledgeEngine

    if name == "kb":
        return KnowledgeEngine(get_settings())
    from devtools.stack import StackEngine

    return StackEngine(get_settings())


def _eval(args: argparse.Namespace) -> int:
    from devtools.evaluation import (
        format_side_by_side,
        format_table,
        load_items,
        make_noise,
        mean_cer,
        routing_confusion,
        run,
        summarize,
        write_results,
    )

    items = load_items(args.file)
    batches: dict[str, list[dict]] = {}
    if args.side_by_side or not args.noise:
        batches["clean"] = items
    if args.side_by_side or args.noise:
        noise = make_noise(get_settings().kb_entries_dir, args.noise_profile)
        batches["noised"] = list(noise.noise_items(items, seed=args.noise_seed))
    engine = make_engine(args.engine)
    results = {}
    try:
        for label, batch in batches.items():
            # A second run gets its own sessions, so no conversation carries over from the first.
            prefix = "eval-" if label == "clean" else "eval-noised-"
            results[label] = list(run(engine, batch, session_prefix=prefix))
    finally:
        engine.close()
    if args.out:
        noised_out = args.out.with_name(f"{args.out.stem}-noised{args.out.suffix}")
        for label, rows in results.items():
            write_results(rows, noised_out if label == "noised" and len(results) == 2 else args.out)
    if len(results) == 2:
        table = format_side_by_side(summarize(results["clean"]), summarize(results["noised"]))
    else:
        (rows,) = results.values()
        table = format_table(summarize(rows))
    sys.stdout.write(table + "\n")
    for label, rows in results.items():
        confusion = ", ".join(f"{k} {n}/{of}" for k, (n, of) in routing_confusion(rows).items())
        sys.stdout.write(f"routing ({label}): {confusion}\n")
    if "noised" in batches:
        cer = mean_cer(items, batches["noised"])
        sys.stdout.write(f"simulated recognition: {args.noise_profile}, CER {cer:.3f}\n")
    return 0


def _noise(args: argparse.Namespace) -> int:
    from devtools.evaluation import load_items, make_noise, mean_cer, write_items

    items = load_items(args.file)
    noised = list(make_noise(get_settings().kb_entries_dir, args.profile).noise_items(items, seed=args.seed))
    write_items(noised, args.out)
    sys.stdout.write(f"{len(items)} items -> {args.out} (CER {mean_cer(items, noised):.3f})\n")
    return 0
