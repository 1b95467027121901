"""The supervisor dashboard's tables as CSV rows (numbers masked, no spreadsheet formulas)."""

from __future__ import annotations

from typing import Any

from api.errors import DomainError
from api.privacy import mask_text
from api.schemas import DashboardSummary
from api.texts import text as t
from vocab.terms import CHANNELS

__all__ = ["EXPORT_TABLES", "UnknownTable", "export_rows"]

EXPORT_TABLES = (
    "hourly",
    "daily",
    "channels",
    "containment",
    "topics",
    "gaps",
    "tickets",
    "satisfaction",
    "qa_agents",
    "qa_rules",
    "forecast",
)


class UnknownTable(DomainError):
    status_code = 404
    key = "dash_unknown_table"


def _cell(value: object) -> str:
    """A CSV cell: numbers masked out of free text, and no leading =+-@ a spreadsheet would run."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    text = mask_text(str(value))
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def export_rows(summary: DashboardSummary | None, table: str, forecast: Any = None) -> list[list[str]]:
    """One dashboard table as rows of text cells, header first (the ``forecast`` table needs ``forecast``)."""
    if table not in EXPORT_TABLES:
        raise UnknownTable(f"table {table!r}", table=table, tables="、".join(EXPORT_TABLES))
    rows: list[list[object]]
    if table == "forecast":
        if forecast is None:
            raise ValueError("forecast must be given for the forecast table")
        rows = [[p.at.isoformat(), p.weekday, p.hour, p.forecast, p.actual] for p in forecast.points]
        return [t("dash_csv_forecast").split(",")] + [[_cell(v) for v in row] for row in rows]
    if summary is None:
        raise ValueError(f"summary must be given for the {table} table")
    s = summary
    if table == "hourly":
        rows = [[h.hour, h.total, *(h.channels.get(c, 0) for c in CHANNELS)] for h in s.hourly]
    elif table == "daily":
        rows = [[d.day.isoformat(), d.count] for d in s.daily]
    elif table == "channels":
        rows = [[r.key, r.count] for r in s.channels]
    elif table == "containment":
        c = s.containment
        rows = [
            [
                c.conversations,
                c.contained,
                c.handoff,
                c.ticket,
                c.containment_rate,
                c.handoff_rate,
                c.ticket_rate,
            ]
        ]
    elif table == "topics":
        rows = [[r.key, r.count] for r in s.topics]
    elif table == "gaps":
        rows = [
            [
                g.question,
                g.count,
                g.kinds.get("abstain", 0),
                g.kinds.get("clarify_region", 0),
                g.last_at.isoformat(),
            ]
            for g in s.gaps
        ]
    elif table == "tickets":
        rows = [[r.key, r.count] for r in s.tickets.by_status]
    elif table == "satisfaction":
        rows = [[t("dash_source_chat"), r.key, r.count] for r in s.satisfaction.chat]
        rows += [[t("dash_source_callback"), r.key, r.count] for r in s.satisfaction.callback]
    else:
        source = s.qa.by_agent if table == "qa_agents" else s.qa.by_rule
        rows = [[r.key, r.results, r.average_score, r.pass_rate, r.findings, r.points] for r in source]
    header = t(f"dash_csv_{table}").split(",")
    return [header] + [[_cell(v) for v in row] for row in rows]
