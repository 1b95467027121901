"""``hotline kb``: build, ingest, search, ask and calibrate the knowledge base."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from api.settings import PROJECT_ROOT, get_settings

if TYPE_CHECKING:
    from knowledge.catalog import Entry

# The public seed documents, checked out next to the project.
SEEDS_DIR = PROJECT_ROOT.parent / "shared" / "seeds"


def register(subparsers: argparse._SubParsersAction) -> None:
    kb = subparsers.add_parser("kb", help="知识库：构建、导入文档、检索、问答、校准")
    sub = kb.add_subparsers(dest="kb_command", required=True)

    build = sub.add_parser("build", help="按当前条目（和已导入文档）增量更新索引")
    build.set_defaults(handler=_build)

    ingest = sub.add_parser(
        "ingest", help="导入政策文档（.txt .md .docx .pdf .html 或文件夹），未被引用的事实句生成待审草稿"
    )
    ingest.add_argument("paths", nargs="+", type=Path)
    ingest.add_argument("--no-drafts", action="store_true", help="只导入文档，不生成待审草稿")
    ingest.set_defaults(handler=_ingest)

    search = sub.add_parser("search", help="混合检索，打印命中")
    search.add_argument("query")
    search.add_argument("-k", type=int, default=5)
    search.add_argument("--audience", choices=["public", "agent"], default="public")
    search.set_defaults(handler=_search)

    ask = sub.add_parser("ask", help="像来电人一样提问")
    ask.add_argument("question")
    ask.add_argument("--region")
    ask.add_argument("--audience", choices=["public", "agent"], default="public")
    ask.set_defaults(handler=_ask)

    calibrate = sub.add_parser("calibrate", help="在标注问题上校准拒答阈值并写入索引")
    calibrate.add_argument("files", nargs="+", type=Path)
    calibrate.set_defaults(handler=_calibrate)

    imp = sub.add_parser(
        "import",
        help="导入常见问题表（CSV：UTF-8 或 GBK；XLSX），默认直接发布",
        description="列：question/问题、answer/答案、region/地区、effective/生效日期、source/来源；"
        "可选 topic/主题、audience/受众（public/公众、agent/坐席）、similar/相似问题（换行或；分隔）。"
        "任何一行有错就什么都不写入，并按行号列出原因；再次导入同一张表按问题和地区更新，不会重复。",
    )
    imp.add_argument("file", type=Path, help="表格文件（.csv 或 .xlsx）")
    imp.add_argument("--draft", action="store_true", help="只存为草稿，进入知识编辑的待审队列")
    imp.add_argument("--dry-run", action="store_true", help="只检查并报告，不写入")
    imp.add_argument("--author", default="faq-import", help="记录在版本里的导入人（默认 faq-import）")
    imp.add_argument("--no-variants", action="store_true", help="不生成来电说法变体（对照测量用）")
    imp.add_argument("--json", action="store_true", help="机器可读输出")
    imp.set_defaults(handler=_import)

    coverage = sub.add_parser("coverage", help="种子文档里哪些含事实的句子还没有条目引用")
    coverage.add_argument("paths", nargs="*", type=Path, help=f"文档或文件夹（默认 {SEEDS_DIR}）")
    coverage.add_argument("--entries", type=Path, help="条目目录（默认 HOTLINE_KB_ENTRIES_DIR）")
    coverage.add_argument(
        "--patterns", type=Path, help="事实类型规则文件（默认 knowledge/data/fact_patterns.yaml）"
    )
    coverage.add_argument("--all", action="store_true", help="也列出已被引用的句子")
    coverage.add_argument(
        "--names", action="store_true", help="改列条目答案漏掉的文档原名（引号里的措施、服务名）"
    )
    coverage.add_argument("--width", type=int, default=60, help="表格里句子截断的字数")
    coverage.add_argument("--json", action="store_true", help="机器可读输出")
    coverage.set_defaults(handler=_coverage)


def _build(args: argparse.Namespace) -> int:
    from api.services.knowledge import build_index

    stats = build_index(get_settings())
    sys.stdout.write(json.dumps(stats, ensure_ascii=False) + "\n")
    return 0


def _ingest(args: argparse.Namespace) -> int:
    from api.services.knowledge import build_index
    from knowledge.ingest import iter_documents

    files = iter_documents(args.paths)
    if not files:
        raise ValueError("没有找到可导入的文档（支持 .txt .md .docx .pdf .html）")
    settings = get_settings()
    stats = build_index(settings, extra_documents=[p.resolve() for p in files])
    result: dict[str, object] = {"documents": len(files), **stats}
    if not args.no_drafts:
        from api.db import unit_of_work
        from api.services import kb_drafts
        from api.services.registry import get_session_factory

        with unit_of_work(get_session_factory(settings)) as session:
            report = kb_drafts.propose_from_documents(session, settings, files)
        result["drafts"] = {**report.model_dump(exclude={"created"}), "created": len(report.created)}
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    return 0


def _search(args: argparse.Namespace) -> int:
    from api.services.knowledge import get_knowledge_base

    for hit in get_knowledge_base().search(args.query, k=args.k, audience=args.audience):
        sys.stdout.write(
            f"{hit.score:.4f} dense={hit.dense:.3f} lex={hit.lexical_norm:.2f} "
            f"[{hit.doc.region or '全国'}] {hit.doc.title} ({hit.doc.source})\n"
        )
    return 0


def _ask(args: argparse.Namespace) -> int:
    from api.services.knowledge import answer

    result = answer(args.question, region=args.region, audience=args.audience)
    sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    """Fit the confidence model and its threshold; both go to knowledge/data/confidence.json."""
    from api.services.knowledge import get_answerer, reset
    from devtools.evaluation import load_items
    from knowledge.calibration import Labelled, calibrate, training_examples
    from knowledge.confidence import DEFAULT_PATH, fit

    items = [it for path in args.files for it in load_items(path) if "question" in it]
    usable = [
        (it["question"], it.get("entry_id"))
        for it in items
        if it.get("entry_id") or it.get("kind") in ("abstain", "ticket")
    ]
    if not usable:
        raise ValueError("标注文件里没有可用于校准的题目（需要 entry_id 或 kind=abstain）")
    answerer = get_answerer(get_settings())
    x, y = training_examples(answerer, usable)
    model = fit(x, y)
    answerer.policy.model = model
    labelled = [Labelled(q, "abstain" if gold is None else "answer") for q, gold in usable]
    threshold, score = calibrate(answerer, labelled)
    data = {
        **model.to_json(),
        "threshold": threshold,
        "national_margin": answerer.policy.national_margin,
        "fitted_on": [p.name for p in args.files],
        "questions": len(usable),
        "balanced_accuracy": round(score, 4),
    }
    DEFAULT_PATH.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    reset()
    sys.stdout.write(
        json.dumps(
            {
                "threshold": threshold,
                "balanced_accuracy": round(score, 4),
                "questions": len(usable),
                "candidates": len(y),
            }
        )
        + "\n"
    )
    return 0


def _import(args: argparse.Namespace) -> int:
    """Import an FAQ sheet; non-zero (and nothing written) when any row is invalid."""
    from api.db import unit_of_work
    from api.services.kb_import import import_sheet
    from api.services.registry import get_session_factory

    settings = get_settings()
    with unit_of_work(get_session_factory(settings)) as session:
        report = import_sheet(
            session,
            settings,
            data=args.file.read_bytes(),
            filename=args.file.name,
            author=args.author,
            draft=args.draft,
            dry_run=args.dry_run,
            variants=not args.no_variants,
        )
    if args.json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
        return 0 if report.ok else 1
    out = [f"文件：{report.file}\n"]
    if not report.ok:
        out.append(f"有 {len(report.errors)} 处错误，未导入任何内容：\n")
        out.extend(f"  第 {e.row} 行\t{e.column}\t{e.reason}\n" for e in report.errors)
        sys.stderr.write("".join(out))
        return 1
    mode = "仅检查（未写入）" if report.dry_run else ("草稿，待审核" if report.draft else "已发布")
    out.append(
        f"{mode}：新增 {report.created}，更新 {report.updated}，未变 {report.unchanged}，"
        f"待审 {report.drafts}，已下线未恢复 {report.retired}，重建索引条目 {report.indexed}\n"
    )
    labels = {"create": "新增", "edit": "更新", "unchanged": "未变", "pending": "待审", "retired": "已下线"}
    out.extend(
        f"  第 {r.row} 行\t{labels[r.status]}\t{r.entry_id}\t[{r.region or '全国'}] {r.question}"
        f"（{r.phrasings} 种问法）\n"
        for r in report.rows
    )
    sys.stdout.write("".join(out))
    return 0


def _coverage(args: argparse.Namespace) -> int:
    """Fact-bearing sentences of the seed documents that no curated entry cites."""
    from knowledge.catalog import load_entries
    from knowledge.coverage import load_fact_patterns, measure_coverage, shorten
    from knowledge.ingest import iter_documents

    settings = get_settings()
    files = iter_documents(args.paths or settings.kb_documents or [SEEDS_DIR])
    if not files:
        raise ValueError("没有找到可检查的文档（支持 .txt .md .docx .pdf .html）")
    entries = load_entries(args.entries or settings.kb_entries_dir)
    if args.names:
        return _dropped_names(files, entries, args)
    patterns = load_fact_patterns(args.patterns) if args.patterns else load_fact_patterns()
    report = measure_coverage(files, entries, patterns)
    if args.json:
        data = report.to_dict(include_cited=args.all)
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return 0
    out = []
    for doc in report.documents:
        if doc.skipped:
            out.append(f"== {doc.name}: skipped ({doc.skipped})\n")
            continue
        out.append(f"== {doc.name}: {len(doc.facts)} fact sentences, {doc.cited} cited\n")
        for fact in doc.facts if args.all else doc.uncited:
            mark = f"  [{','.join(fact.cited_by)}]" if fact.cited else ""
            out.append(f"L{fact.line}\t{','.join(fact.types)}\t{shorten(fact.text, args.width)}{mark}\n")
        out.append("\n")
    summary = report.summary()
    out.append(
        f"fact sentences: {summary['fact_sentences']}  cited: {summary['cited']}  "
        f"uncited: {summary['uncited']}  coverage: {summary['coverage_pct']:.1f}%\n"
    )
    for name, (n, c) in report.by_type.items():
        out.append(f"  {name}: {c}/{n}\n")
    sys.stdout.write("".join(out))
    return 0


def _dropped_names(files: Sequence[Path], entries: Sequence[Entry], args: argparse.Namespace) -> int:
    """The quoted names of cited sentences that the citing entry's answer restates but leaves out."""
    from dataclasses import asdict

    from knowledge.coverage import shorten
    from knowledge.kept_names import dropped_names

    found = dropped_names(files, entries)
    if args.json:
        sys.stdout.write(json.dumps([asdict(d) for d in found], ensure_ascii=False, indent=2) + "\n")
        return 0
    out = [
        f"{d.entry_id}\t{d.document} L{d.line}\t“{d.name}”\t{d.shared:.2f}\t"
        f"{shorten(d.sentence, args.width)}\n"
        for d in found
    ]
    entries_with = len({d.entry_id for d in found})
    out.append(f"names left out: {len(found)} in {entries_with} entries\n")
    sys.stdout.write("".join(out))
    return 0
