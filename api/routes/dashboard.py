"""HTTP adapter of the supervisor dashboard (supervisor and admin only).

- ``GET /api/dashboard/summary?from=YYYY-MM-DD&to=YYYY-MM-DD``: every figure of the dashboard
  for the local dates [from, to) (default: the last seven days including today).
- ``GET /api/dashboard/forecast?from&to&weeks=4``: call-volume forecast vs actual per hour; with
  less than a week of history the forecast is withheld (``enough_history`` false, forecasts null).
- ``GET /api/dashboard/rules``: inspection rule id -> description (labels for the console).
- ``GET /api/dashboard/clusters?limit=10``: the top clusters of declined and handed-over questions.
- ``GET /api/dashboard/export/{table}.csv?from&to``: one table as CSV (UTF-8 with BOM for
  spreadsheet programs); phone and ID numbers are masked in every cell.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.deps import Principal, SessionDep, SettingsDep, require_role
from api.schemas import DashboardSummary, ForecastPublic
from api.services import dashboard as service
from api.services import dashboard_export, dashboard_range, kb_clusters
from api.services import forecast as forecasting
from api.settings import Settings

router = APIRouter(prefix="/api/dashboard", tags=["supervisor dashboard"])

SupervisorDep = Annotated[Principal, Depends(require_role("supervisor"))]
FromQuery = Annotated[dt.date | None, Query(alias="from", description="开始日期（含）")]
WeeksQuery = Annotated[int, Query(ge=1, le=26, description="用前几周的同星期同时段平均")]
ToQuery = Annotated[dt.date | None, Query(alias="to", description="结束日期（不含）")]


def _range(settings: Settings, start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    """Fill a missing bound: seven days from the given one, or the last seven days."""
    week = dt.timedelta(days=7)
    if end is not None:
        return start or end - week, end
    if start is not None:
        return start, start + week
    return dashboard_range.default_range(settings)


@router.get("/summary", response_model=DashboardSummary)
def summary(
    session: SessionDep,
    settings: SettingsDep,
    principal: SupervisorDep,
    start: FromQuery = None,
    end: ToQuery = None,
) -> DashboardSummary:
    """Contacts, containment, topics, knowledge gaps, work orders, satisfaction, inspection."""
    lo, hi = _range(settings, start, end)
    return service.summary(session, start=lo, end=hi, settings=settings)


@router.get("/clusters", response_model=list[kb_clusters.LineCluster])
def clusters(
    session: SessionDep,
    settings: SettingsDep,
    principal: SupervisorDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> list[kb_clusters.LineCluster]:
    """The top clusters of questions the bot declined or handed over (learning from the line)."""
    return kb_clusters.clusters(session, settings, limit=limit)


@router.get("/rules", response_model=dict[str, str])
def rules(settings: SettingsDep, principal: SupervisorDep) -> dict[str, str]:
    """Descriptions of the inspection rules, to label rule ids in charts and score sheets."""
    return service.rule_names(settings)


@router.get("/forecast", response_model=ForecastPublic)
def forecast(
    session: SessionDep,
    settings: SettingsDep,
    principal: SupervisorDep,
    start: FromQuery = None,
    end: ToQuery = None,
    weeks: Annotated[
        int, Query(ge=1, le=26, description="用前几周的同星期同时段平均")
    ] = forecasting.DEFAULT_WEEKS,
) -> ForecastPublic:
    """Forecast vs actual contacts per hour, with its accuracy and a backtest (none on too little history)."""
    lo, hi = _range(settings, start, end)
    return forecasting.forecast(session, start=lo, end=hi, settings=settings, weeks=weeks)


@router.get("/export/{table}.csv", response_class=Response)
def export(
    table: str,
    session: SessionDep,
    settings: SettingsDep,
    principal: SupervisorDep,
    start: FromQuery = None,
    end: ToQuery = None,
) -> Response:
    """One dashboard table as a CSV download."""
    lo, hi = _range(settings, start, end)
    if table not in dashboard_export.EXPORT_TABLES:
        raise dashboard_export.UnknownTable(
            f"table {table!r}", table=table, tables="、".join(dashboard_export.EXPORT_TABLES)
        )
    if table == "forecast":
        data = forecasting.forecast(session, start=lo, end=hi, settings=settings)
        rows = dashboard_export.export_rows(None, table, forecast=data)
    else:
        rows = dashboard_export.export_rows(
            service.summary(session, start=lo, end=hi, settings=settings), table
        )
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    name = f"dashboard-{table}-{lo.isoformat()}_{hi.isoformat()}.csv"
    return Response(
        content="\ufeff" + buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
