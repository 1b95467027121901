"""``hotline tickets``: list, show, export (CSV/XLSX) and escalate work orders.

Phone numbers and personal numbers in free text are masked unless ``--show-phone`` is
given: exports travel by e-mail and on USB sticks, so the safe output is the default.
Dates on the command line (``--since/--until``) are local calendar days, both inclusive.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

from api.db import unit_of_work
from api.errors import DomainError
from api.schemas import TicketSummary
from api.services import tickets as service
from api.services.registry import get_session_factory
from api.settings import Settings, get_settings
from api.texts import text

log = logging.getLogger(__name__)

EXPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("number", "工单编号"),
    ("created_at", "受理时间"),
    ("category", "类别"),
    ("topic", "业务主题"),
    ("region", "参保地"),
    ("caller_name", "来电人"),
    ("caller_phone", "联系电话"),
    ("channel", "渠道"),
    ("priority", "优先级"),
    ("department", "承办科室"),
    ("assignee", "承办人"),
    ("status", "状态"),
    ("due_at", "办结时限"),
    ("overdue", "是否超期"),
    ("closed_at", "办结时间"),
    ("satisfaction", "满意度"),
    ("description", "诉求内容"),
)
_PAGE = 500


def register(subparsers: argparse._SubParsersAction) -> None:
    tickets = subparsers.add_parser("tickets", help="工单：列表、详情、导出报表、超期督办")
    sub = tickets.add_subparsers(dest="tickets_command", required=True)

    list_ = sub.add_parser("list", help="按条件列出工单")
    _add_filters(list_)
    list_.add_argument("--limit", type=int, default=50, help="最多显示多少条（默认 50）")
    list_.set_defaults(handler=_list)

    show = sub.add_parser("show", help="显示一张工单的详情和处理记录")
    show.add_argument("number", help="工单编号，如 GD202611230001")
    show.add_argument("--json", action="store_true", help="输出 JSON")
    show.add_argument("--show-phone", action="store_true", help="显示完整电话号码")
    show.set_defaults(handler=_show)

    export = sub.add_parser("export", help="导出工单报表（CSV 或 Excel）")
    _add_filters(export)
    export.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    export.add_argument("-o", "--output", type=Path, required=True, help="输出文件路径")
    export.set_defaults(handler=_export)

    escalate = sub.add_parser("escalate", help="立即执行一次超期督办（提升优先级并通知班长）")
    escalate.set_defaults(handler=_escalate)


def _add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--status", action="append", choices=[str(s) for s in service.STATUSES], help="状态，可重复"
    )
    parser.add_argument("--department", help="承办科室")
    parser.add_argument("--overdue", action="store_true", help="只看已超期的")
    parser.add_argument("--since", type=_date, help="受理日期起（含），YYYY-MM-DD")
    parser.add_argument("--until", type=_date, help="受理日期止（含），YYYY-MM-DD")
    parser.add_argument("--show-phone", action="store_true", help="显示完整电话号码")


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期格式应为 YYYY-MM-DD：{value}") from None


def _bounds(args: argparse.Namespace, zone: ZoneInfo) -> tuple[dt.datetime | None, dt.datetime | None]:
    since = dt.datetime.combine(args.since, dt.time(), tzinfo=zone) if args.since else None
    until = (
        dt.datetime.combine(args.until + dt.timedelta(days=1), dt.time(), tzinfo=zone) if args.until else None
    )
    return since, until


def _iter_tickets(
    settings: Settings, args: argparse.Namespace, *, limit: int | None
) -> Iterator[TicketSummary]:
    """Every matching order, page by page, in the viewer's role (masked unless --show-phone)."""
    zone = ZoneInfo(settings.timezone)
    since, until = _bounds(args, zone)
    role = "admin" if args.show_phone else "agent"
    factory = get_session_factory(settings)
    offset, yielded = 0, 0
    while True:
        page_size = _PAGE if limit is None else min(_PAGE, limit - yielded)
        if page_size <= 0:
            return
        with unit_of_work(factory) as session:
            page = service.list_tickets(
                session,
                status=args.status,
                department=args.department,
                overdue=True if args.overdue else None,
                since=since,
                until=until,
                limit=page_size,
                offset=offset,
            )
        for item in page.items:
            yield service.present(item, role=role)
        yielded += len(page.items)
        offset += len(page.items)
        if len(page.items) < page_size:
            return


def _local(value: dt.datetime | None, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else ""


def _cell(ticket: TicketSummary, field: str, zone: ZoneInfo) -> str:
    value = getattr(ticket, field)
    if isinstance(value, dt.datetime):
        return _local(value, zone)
    if isinstance(value, bool):
        return "是" if value else "否"
    return "" if value is None else str(value)


def _list(args: argparse.Namespace) -> int:
    settings = get_settings()
    zone = ZoneInfo(settings.timezone)
    if args.limit < 1:
        raise ValueError("--limit 必须大于 0")
    rows = 0
    try:
        for t in _iter_tickets(settings, args, limit=args.limit):
            flag = "超期" if t.overdue else ""
            sys.stdout.write(
                "\t".join(
                    [
                        t.number,
                        t.status,
                        t.priority,
                        t.category,
                        t.topic,
                        t.department or "-",
                        _local(t.due_at, zone),
                        t.caller_phone,
                        flag,
                    ]
                ).rstrip()
                + "\n"
            )
            rows += 1
    except DomainError as exc:
        return _fail(exc)
    sys.stderr.write(f"共 {rows} 条\n")
    return 0


def _show(args: argparse.Namespace) -> int:
    settings = get_settings()
    zone = ZoneInfo(settings.timezone)
    try:
        with unit_of_work(get_session_factory(settings)) as session:
            ticket = service.get_ticket(session, number=args.number)
    except DomainError as exc:
        return _fail(exc)
    ticket = service.present(ticket, role="admin" if args.show_phone else "agent")
    if args.json:
        sys.stdout.write(ticket.model_dump_json(indent=2) + "\n")
        return 0
    out = [f"{label}：{_cell(ticket, field, zone)}" for field, label in EXPORT_COLUMNS]
    out.append("处理记录：")
    for e in ticket.events:
        step = f"{e.from_status or ''}→{e.to_status}" if e.to_status else e.kind
        out.append(f"  {_local(e.at, zone)}  {e.actor}({e.channel})  {step}  {e.comment}".rstrip())
    if ticket.callbacks:
        out.append("回访：")
        out += [
            f"  {_local(c.at, zone)}  {c.actor}  {c.satisfaction or '未接通'}  {c.result}"
            for c in ticket.callbacks
        ]
    if ticket.related:
        out.append("关联工单：" + "、".join(ticket.related))
    sys.stdout.write("\n".join(out) + "\n")
    return 0


def _export(args: argparse.Namespace) -> int:
    settings = get_settings()
    zone = ZoneInfo(settings.timezone)
    header = [label for _, label in EXPORT_COLUMNS]
    try:
        rows = [
            [_cell(t, field, zone) for field, _ in EXPORT_COLUMNS]
            for t in _iter_tickets(settings, args, limit=None)
        ]
    except DomainError as exc:
        return _fail(exc)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    if args.format == "csv":
        # utf-8-sig: Excel on Windows opens the Chinese headers correctly only with the BOM.
        with args.output.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows(rows)
    else:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = "工单"
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        sheet.freeze_panes = "A2"
        book.save(args.output)
    sys.stderr.write(f"已导出 {len(rows)} 条工单到 {args.output}\n")
    log.info("tickets.export rows=%d format=%s masked=%s", len(rows), args.format, not args.show_phone)
    return 0


def _escalate(args: argparse.Namespace) -> int:
    numbers = service.run_escalation(get_settings())
    sys.stdout.write(json.dumps({"escalated": numbers}, ensure_ascii=False) + "\n")
    return 0


def _fail(exc: DomainError) -> int:
    sys.stderr.write(f"错误: {text(exc.key, **exc.fmt)}\n")
    return 1
