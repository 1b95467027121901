"""``hotline qa``: score transcripts in batch and measure the inspection on a labelled set.

``hotline qa score PATH... [--json] [--out DIR]`` reads transcript JSON files (one object, a
list of objects, or JSON Lines) from files or folders, shows a progress bar on stderr and
prints one line per transcript (or, with ``--json``, one JSON object per line on stdout:
``{"id", "score", "passed", "findings": [...]}``; phone and ID numbers quoted as evidence are
masked unless ``--show-personal``). ``hotline qa eval DIR`` prints precision
and recall per category and per rule against the ``labels`` of each transcript. ``hotline qa
calibrate [DIR...]`` recomputes the semantic thresholds from labelled calls and every supervisor
confirm/overrule stored in the database (``--no-reviews``: files only).
The knowledge-base check (``--kb``) uses the search index when it is built (``auto``), the
curated entries without a model (``lexical``), or nothing (``off``).
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tqdm import tqdm

from api.privacy import mask_text
from api.settings import Settings, get_settings
from inspection import Inspector, KbLookup, load_ruleset, make_lexical_lookup, parse_transcript
from inspection.evaluation import evaluate, format_report
from inspection.semantic import SemanticMatcher

log = logging.getLogger(__name__)

KB_MODES = ("auto", "search", "lexical", "off")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``qa score`` and ``qa eval``."""
    parser = subparsers.add_parser("qa", help="智能质检：批量评分、评测")
    sub = parser.add_subparsers(dest="qa_command", required=True)

    score = sub.add_parser("score", help="对通话/会话记录评分")
    score.add_argument("paths", nargs="+", type=Path, help="JSON 文件或文件夹")
    score.add_argument("--json", action="store_true", help="每条记录输出一行 JSON")
    score.add_argument("--out", type=Path, help="把每条结果写成 DIR/<id>.json")
    score.add_argument("--kb", choices=KB_MODES, default="auto", help="知识库比对方式（默认 auto）")
    score.add_argument("--ruleset", type=Path, help="规则集 YAML（默认内置或 HOTLINE_QA_RULESET_FILE）")
    score.add_argument("--store", action="store_true", help="同时把结果存入数据库")
    score.add_argument("--show-personal", action="store_true", help="证据中不遮盖电话、身份证号（默认遮盖）")
    score.add_argument("--no-semantic", action="store_true", help="只用规则，不做语义匹配")
    score.set_defaults(handler=run_score)

    ev = sub.add_parser("eval", help="在带标注的记录上计算各类别、各规则的 precision/recall")
    ev.add_argument("path", type=Path, help="带 labels 的 JSON 文件夹")
    ev.add_argument("--kb", choices=KB_MODES, default="lexical", help="知识库比对方式（默认 lexical）")
    ev.add_argument("--ruleset", type=Path, help="规则集 YAML")
    ev.add_argument("--no-semantic", action="store_true", help="只用规则，不做语义匹配")
    ev.set_defaults(handler=run_eval)

    cal = sub.add_parser("calibrate", help="用带标注的记录和主管复核结果重新校准语义质检阈值")
    cal.add_argument("paths", nargs="*", type=Path, help="带 labels 的 JSON 文件或文件夹（如调参集）")
    cal.add_argument(
        "--out", type=Path, help="校准文件（默认 HOTLINE_QA_SEMANTIC_CALIBRATION_FILE 或数据目录）"
    )
    cal.add_argument("--no-reviews", action="store_true", help="不读取数据库里的主管复核结果")
    cal.set_defaults(handler=run_calibrate)


def iter_files(paths: list[Path]) -> list[Path]:
    """JSON/JSONL files under the given files and folders, sorted, each once."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = (p for p in path.rglob("*") if p.suffix in (".json", ".jsonl") and p.is_file())
            files.extend(sorted(found))
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"没有找到文件或文件夹：{path}")
    return list(dict.fromkeys(files))


def read_transcripts(path: Path) -> Iterator[dict[str, Any]]:
    """Transcript objects in one file: an object, a list of objects, or JSON Lines."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{n}: not valid JSON ({exc.msg})") from exc
        return
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    if isinstance(data, list):
        yield from data
    else:
        yield data


def kb_lookup_for(mode: str, settings: Settings) -> tuple[KbLookup | None, str]:
    """The lookup for a ``--kb`` mode and the name of what is actually used."""
    if mode == "off":
        return None, "off"
    if mode == "search" or (mode == "auto" and (settings.index_dir / "CURRENT").exists()):
        from api.services.inspection import make_kb_lookup

        return make_kb_lookup(settings), "search"
    from knowledge.catalog import load_entries

    entries = load_entries(settings.kb_entries_dir)
    return make_lexical_lookup(entries), "lexical"


def _semantic(args: argparse.Namespace, settings: Settings) -> SemanticMatcher | None:
    if getattr(args, "no_semantic", False):
        return None
    from api.services.qa_calibration import get_semantic_matcher

    return get_semantic_matcher(settings)


def _safe_name(tid: str) -> str:
    return re.sub(r"[^\w.\-]+", "_", tid)[:120] or "transcript"


def run_score(args: argparse.Namespace, settings: Settings | None = None) -> int:
    """Score every transcript; exit code 1 when some input could not be read or scored."""
    settings = settings or get_settings()
    lookup, kb_used = kb_lookup_for(args.kb, settings)
    ruleset = load_ruleset(args.ruleset or settings.qa_ruleset_file)
    inspector = Inspector(ruleset, kb_lookup=lookup, semantic=_semantic(args, settings))
    files = iter_files(args.paths)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
    store = None
    if args.store:
        from api.db import unit_of_work
        from api.services import inspection as service
        from api.services.registry import get_session_factory

        factory = get_session_factory(settings)

        def store(raw: dict[str, Any]) -> None:
            with unit_of_work(factory) as session:
                service.score_transcript(session, transcript=raw, settings=settings, kb_lookup=lookup)

    failed = passed = 0
    scores: list[float] = []
    out = sys.stdout
    for path in tqdm(files, desc="质检", unit="文件", file=sys.stderr, disable=not files):
        try:
            raws = list(read_transcripts(path))
        except (OSError, ValueError) as exc:
            failed += 1
            log.error("qa.score.unreadable file=%s error=%s", path, exc)
            continue
        for raw in raws:
            try:
                result = inspector.inspect(parse_transcript(raw))
            except (ValueError, TypeError) as exc:
                failed += 1
                log.error("qa.score.invalid file=%s error=%s", path, exc)
                continue
            if store is not None:
                store(raw)
            scores.append(result.score)
            passed += result.passed
            data = result.to_dict()
            if not args.show_personal:
                # Results travel as files and mail: quoted phone and ID numbers are masked by default.
                for finding in data["findings"]:
                    finding["evidence"] = [mask_text(e) for e in finding["evidence"]]
            if args.out:
                (args.out / f"{_safe_name(result.id)}.json").write_text(
                    json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
                )
            if args.json:
                out.write(json.dumps(data, ensure_ascii=False) + "\n")
            else:
                verdict = "合格" if result.passed else "不合格"
                cats = "、".join(result.categories) or "-"
                out.write(f"{result.id}\t{data['score']}\t{verdict}\t{cats}\n")
    mean = sum(scores) / len(scores) if scores else 0.0
    summary = (
        f"共 {len(scores)} 条，合格 {passed} 条，平均分 {mean:.1f}；规则集 {ruleset.version}，"
        f"知识库比对 {kb_used}" + (f"；{failed} 条无法读取或格式错误" if failed else "")
    )
    (sys.stderr if args.json else out).write(summary + "\n")
    return 1 if failed else 0


def run_eval(args: argparse.Namespace, settings: Settings | None = None) -> int:
    """Print precision and recall per category and rule for a labelled folder."""
    settings = settings or get_settings()
    lookup, kb_used = kb_lookup_for(args.kb, settings)
    ruleset = load_ruleset(args.ruleset or settings.qa_ruleset_file)
    inspector = Inspector(ruleset, kb_lookup=lookup, semantic=_semantic(args, settings))
    pairs = []
    for path in tqdm(iter_files([args.path]), desc="评测", unit="文件", file=sys.stderr):
        for raw in read_transcripts(path):
            transcript = parse_transcript(raw)
            if transcript.labels:
                pairs.append((transcript, inspector.inspect(transcript)))
    if not pairs:
        raise ValueError(f"{args.path} 下没有带 labels 的记录")
    sys.stdout.write(f"知识库比对：{kb_used}\n" + format_report(evaluate(pairs)) + "\n")
    return 0


def run_calibrate(args: argparse.Namespace, settings: Settings | None = None) -> int:
    """Recompute the semantic thresholds from labelled calls and the supervisors' reviews."""
    from api.services.qa_calibration import run_calibration

    settings = settings or get_settings()
    files = iter_files(args.paths) if args.paths else []
    if args.no_reviews:
        result, target, reviews = run_calibration(None, settings=settings, labelled=files, out=args.out)
    else:
        from api.db import unit_of_work
        from api.services.registry import get_session_factory

        with unit_of_work(get_session_factory(settings)) as session:
            result, target, reviews = run_calibration(
                session, settings=settings, labelled=files, out=args.out
            )
    thresholds = "，".join(f"{k} {v:+.3f}" for k, v in sorted(result.thresholds.items()))
    sys.stdout.write(
        f"已写入 {target}：{len(files)} 个标注文件，{reviews} 条复核例句；"
        f"阈值（相对正常用语的余量）{thresholds}\n"
    )
    return 0
