"""Supervisor dashboard and inspection review in headless Chromium against a real API server.

The module starts its own uvicorn on its own SQLite database filled by ``hotline demo seed``
(14 days ending Sunday 8 March 2026, fixed random seed), so the numbers do not depend on what
other console tests wrote. Expected numbers come from the API; the test checks that the page
draws them: one SVG bar per non-zero value, one point per hour, table rows, CSV downloads.
Set ``HOTLINE_UPDATE_SCREENSHOTS=1`` to rewrite docs/screenshots/supervisor.png and inspection.png.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.cli import demo
from api.db import unit_of_work
from api.services import auth
from api.services.registry import get_session_factory
from api.settings import PROJECT_ROOT, Settings
from tests.console.conftest import TOKENS, VIEWPORT, free_port, serve

SUPERVISOR = ("wang_zhuguan", "Zhuguan-Secret-2026")
AGENT_USER = ("li_zuoxi", "Zuoxi-Secret-2026")
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
WEEK1 = {"from": "2026-02-23", "to": "2026-03-02"}
WEEK2 = {"from": "2026-03-02", "to": "2026-03-09"}
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
SHOTS = Path(os.environ.get("HOTLINE_UI_SHOTS", "/tmp/ui_shots"))


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh context on the centre's clock (times on the page are shown in the browser's zone)."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(30_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="module")
def dash_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Own SQLite database; no knowledge index (the dashboard and inspection pages need none)."""
    data = tmp_path_factory.mktemp("supervisor")
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=data,
        database_url=f"sqlite:///{data / 'dash.db'}",
        kb_documents=[],
        rasa_url=f"http://127.0.0.1:{free_port()}",
        ticket_escalation_interval_s=0,
        **TOKENS,
    )
    demo.seed(
        settings,
        days=14,
        per_day=15,
        end=dt.date(2026, 3, 8),
        now=dt.datetime(2026, 3, 9, 0, 0, tzinfo=SHANGHAI),
        rng_seed=7,
    )
    with unit_of_work(get_session_factory(settings)) as session:
        auth.create_user(
            session,
            username=SUPERVISOR[0],
            password=SUPERVISOR[1],
            roles=["supervisor"],
            display_name="王主管",
        )
        auth.create_user(session, username=AGENT_USER[0], password=AGENT_USER[1], roles=["agent"])
    return settings


@pytest.fixture(scope="module")
def dash_server(dash_settings: Settings) -> Iterator[str]:
    with serve(dash_settings) as base:
        yield base


def _api(base: str, settings: Settings, path: str, **params: Any) -> Any:
    headers = {"Authorization": f"Bearer {settings.supervisor_token}"}
    resp = httpx.get(base + path, params=params, headers=headers, timeout=30)
    resp.raise_for_status()
    return resp.json()


def _shot(page: Any, name: str) -> None:
    if os.environ.get("HOTLINE_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def _login(page: Any, base: str, user: tuple[str, str]) -> None:
    """Log in through the auth API in the page's browser context (the session cookie lands in it)."""
    resp = page.request.post(f"{base}/api/auth/login", data={"username": user[0], "password": user[1]})
    assert resp.ok, resp.text()


def _open(page: Any, base: str, rng: dict[str, str]) -> None:
    page.goto(f"{base}/console/supervisor?from={rng['from']}&to={rng['to']}")
    page.wait_for_selector(f"body[data-loaded='{rng['from']}_{rng['to']}']")


def test_dashboard_draws_the_numbers_and_follows_the_date_filter(
    page: Any, dash_server: str, dash_settings: Settings
) -> None:
    _login(page, dash_server, SUPERVISOR)
    _open(page, dash_server, WEEK1)
    summary = _api(dash_server, dash_settings, "/api/dashboard/summary", **WEEK1)
    forecast = _api(dash_server, dash_settings, "/api/dashboard/forecast", **WEEK1, weeks=4)
    assert summary["contacts"] > 0 and summary["gaps"]

    assert page.inner_text("#kpi-contacts .kpi-value") == str(summary["contacts"])
    hourly_cells = sum(1 for h in summary["hourly"] for n in h["channels"].values() if n > 0)
    assert page.locator("#chart-hourly svg rect.bar").count() == hourly_cells
    assert page.locator("#chart-daily svg rect.bar").count() == sum(1 for d in summary["daily"] if d["count"])
    assert page.locator("#chart-channels svg rect.bar").count() == sum(
        1 for c in summary["channels"] if c["count"]
    )
    assert page.locator("#chart-topics svg rect.bar").count() == len(summary["topics"])
    containment = summary["containment"]
    assert page.locator("#chart-containment svg rect.bar").count() == sum(
        1 for k in ("contained", "handoff", "ticket") if containment[k]
    )
    assert page.locator("#chart-qa-agents svg rect.bar").count() == len(summary["qa"]["by_agent"])
    assert page.locator("#chart-tickets svg rect.bar").count() == sum(
        1 for r in summary["tickets"]["by_status"] if r["count"]
    )
    # The demo data starts on the first day of this week: no history, so no forecast is drawn
    # (no line at zero, no MAPE), the page says why, and the actual line is still there.
    assert forecast["enough_history"] is False and forecast["history_days"] == 0
    assert {p["forecast"] for p in forecast["points"]} == {None}
    note = page.locator("#forecast-note")
    assert note.is_visible()
    assert f"历史数据不足（需至少 {forecast['min_history_days']} 天" in note.inner_text()
    assert "暂不预测" in note.inner_text()
    assert page.locator("#chart-forecast svg g.series[data-series='预测'] circle.point").count() == 0
    assert "MAPE" not in page.inner_text("#forecast-accuracy")
    actual = [p for p in forecast["points"] if p["actual"] is not None]
    assert page.locator("#chart-forecast svg g.series[data-series='实际'] circle.point").count() == len(
        actual
    )
    # Tooltips and axes.
    first_bar = page.locator("#chart-hourly svg rect.bar").first
    assert "：" in (first_bar.locator("title").text_content() or "")
    assert page.locator("#chart-hourly svg g.y-axis text").count() >= 3
    assert page.locator("#chart-hourly svg g.x-axis text").count() == 12
    # The gaps table links each question to the knowledge editor.
    rows = page.locator("#gaps-table tbody tr")
    assert rows.count() == len(summary["gaps"])
    link = rows.first.locator("a.kb-link")
    assert link.get_attribute("href") == summary["gaps"][0]["kb_url"]
    assert "/console/kb?question=" in summary["gaps"][0]["kb_url"]

    # Changing the dates changes the numbers.
    other = _api(dash_server, dash_settings, "/api/dashboard/summary", **WEEK2)
    assert other["contacts"] != summary["contacts"]
    page.fill("#from", WEEK2["from"])
    page.fill("#to", "2026-03-08")
    page.click("#apply")
    page.wait_for_selector(f"body[data-loaded='{WEEK2['from']}_{WEEK2['to']}']")
    assert page.inner_text("#kpi-contacts .kpi-value") == str(other["contacts"])
    assert page.locator("#chart-daily svg rect.bar").count() == sum(1 for d in other["daily"] if d["count"])
    assert f"from={WEEK2['from']}" in page.url
    # A week of history: the forecast is drawn, one point per hour, with its accuracy.
    forecast = _api(dash_server, dash_settings, "/api/dashboard/forecast", **WEEK2, weeks=4)
    assert forecast["enough_history"] is True and forecast["history_days"] == 7
    forecast_points = page.locator("#chart-forecast svg g.series[data-series='预测'] circle.point")
    assert forecast_points.count() == len(forecast["points"]) == 7 * 24
    assert page.locator("#forecast-note").is_hidden()
    assert "MAPE" in page.inner_text("#forecast-accuracy")
    _shot(page, "supervisor.png")


# What a chart's tick labels must look like, by what the axis measures.
COUNT, PERCENT, SCORE = r"^\d+$", r"^\d+(\.\d+)?%$", r"^\d+(\.\d+)?$"
AXES = {
    "#chart-hourly svg g.y-axis": COUNT,
    "#chart-daily svg g.y-axis": COUNT,
    "#chart-channels svg g.y-axis": COUNT,
    "#chart-tickets svg g.y-axis": COUNT,
    "#chart-satisfaction svg g.y-axis": COUNT,
    "#chart-forecast svg g.y-axis": COUNT,
    "#chart-topics svg g.x-axis": COUNT,
    "#chart-containment svg g.x-axis": PERCENT,
    "#chart-qa-agents svg g.y-axis": SCORE,
    "#chart-qa-rules svg g.x-axis": SCORE,
}
# Each chart text's size on screen: its font size times the scale the SVG is drawn at.
TEXT_SIZES = """() => [...document.querySelectorAll('svg.chart text')]
  .filter(t => t.textContent.trim() && t.getClientRects().length)
  .map(t => {
    const svg = t.ownerSVGElement, vb = svg.viewBox.baseVal;
    const scale = vb && vb.width ? svg.getBoundingClientRect().width / vb.width : 1;
    return [t.textContent, Math.round(parseFloat(getComputedStyle(t).fontSize) * scale * 10) / 10];
  })"""


@pytest.mark.parametrize("viewport", [VIEWPORT, {"width": 390, "height": 844}], ids=["1280px", "phone"])
def test_axes_read_as_what_they_measure_and_labels_are_legible(
    browser: Any, dash_server: str, viewport: dict[str, int]
) -> None:
    import re

    context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        page = context.new_page()
        _login(page, dash_server, SUPERVISOR)
        _open(page, dash_server, WEEK2)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"supervisor-{viewport['width']}.png"), full_page=True)
        small = [(t, size) for t, size in page.evaluate(TEXT_SIZES) if size < 12]
        assert not small, small[:10]
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        # No axis mixes a count with a percentage, as "1500（84.8%）" did.
        assert not [
            t
            for t in page.locator("svg.chart .axis text, svg.chart text.axis").all_text_contents()
            if "（" in t
        ]
        for axis, pattern in AXES.items():
            ticks = page.locator(f"{axis} text.tick").all_text_contents()
            assert len(ticks) >= 2, axis
            assert all(re.match(pattern, t) for t in ticks), (axis, ticks)
    finally:
        context.close()


def _rated(settings: Settings, day: dt.date, rating: str) -> None:
    """A web chat on ``day`` (10:00 in Shanghai) rated ``rating`` by its caller."""
    from api.models.conversations import Conversation

    at = dt.datetime.combine(day, dt.time(10), SHANGHAI)
    with unit_of_work(get_session_factory(settings)) as session:
        session.add(
            Conversation(
                session_id=f"rated-{day.isoformat()}",
                channel="web",
                created_at=at,
                updated_at=at,
                rating=rating,
            )
        )


def test_colours_follow_good_and_bad(page: Any, dash_server: str, dash_settings: Settings) -> None:
    _rated(dash_settings, dt.date(2026, 4, 7), "不满意")
    _rated(dash_settings, dt.date(2026, 4, 14), "满意")
    _login(page, dash_server, SUPERVISOR)

    def colour(selector: str) -> str:
        return str(page.eval_on_selector(selector, "e => getComputedStyle(e).color"))

    def css(name: str) -> str:
        probe = f"() => {{ const e = document.createElement('b'); e.style.color = 'var({name})';"
        probe += " document.body.append(e); const c = getComputedStyle(e).color; e.remove(); return c; }"
        return str(page.evaluate(probe))

    # 满意率 0 %: the bad colour, never green.
    _open(page, dash_server, {"from": "2026-04-06", "to": "2026-04-13"})
    assert page.inner_text("#kpi-satisfaction .kpi-value") == "0%"
    bad, good = css("--bad"), css("--ok")
    assert colour("#kpi-satisfaction .kpi-value") == bad
    assert colour("#kpi-overdue .kpi-value") != bad  # nothing overdue here
    # 满意率 100 %: the good colour.
    _open(page, dash_server, {"from": "2026-04-13", "to": "2026-04-20"})
    assert page.inner_text("#kpi-satisfaction .kpi-value") == "100%"
    assert colour("#kpi-satisfaction .kpi-value") == good
    # Overdue work orders: the bad colour.
    _open(page, dash_server, WEEK1)
    summary = _api(dash_server, dash_settings, "/api/dashboard/summary", **WEEK1)
    assert summary["tickets"]["overdue"] > 0
    assert colour("#kpi-overdue .kpi-value") == bad


def test_a_missing_holiday_year_is_shown_on_the_dashboard(
    page: Any, dash_server: str, dash_settings: Settings
) -> None:
    """chinesecalendar ends with 2026 and the shipped holiday file lists no year: from December
    2026 on, /api/health reports the next year missing, and the dashboard says so."""
    calendar = httpx.get(f"{dash_server}/api/health", timeout=30).json()["calendar"]
    _login(page, dash_server, SUPERVISOR)
    _open(page, dash_server, WEEK1)
    box = page.locator("#calendar-warning")
    if calendar["ok"]:
        assert box.is_hidden()
        return
    box.wait_for(state="visible")
    missing = [str(y) for y in calendar["missing_years"]]
    assert box.get_attribute("data-missing") == ",".join(missing)
    assert "节假日" in box.inner_text() and all(year in box.inner_text() for year in missing)


def test_csv_download_from_the_page(page: Any, dash_server: str) -> None:
    _login(page, dash_server, SUPERVISOR)
    _open(page, dash_server, WEEK1)
    with page.expect_download() as info:
        page.click("a.csv[data-table='gaps']")
    download = info.value
    assert download.suggested_filename == "dashboard-gaps-2026-02-23_2026-03-02.csv"
    content = Path(download.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0] == ["问题", "次数", "无法回答", "追问参保地", "最近一次"] and len(rows) > 1
    with page.expect_download() as info:
        page.click("a.csv[data-table='hourly']")
    hourly = list(csv.reader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8-sig"))))
    assert len(hourly) == 25 and hourly[0][0] == "小时"


def test_agents_cannot_open_the_dashboard(page: Any, dash_server: str) -> None:
    _login(page, dash_server, AGENT_USER)
    resp = page.goto(f"{dash_server}/console/supervisor")
    assert resp is not None and resp.status == 403
    api = page.request.get(f"{dash_server}/api/dashboard/summary")
    assert api.status == 403


def _pending_result(base: str, settings: Settings) -> tuple[dict[str, Any], dict[str, Any]]:
    """A stored result with a pending finding whose evidence is quoted from its transcript."""
    listing = _api(base, settings, "/api/qa/results", limit=200)
    for item in listing["items"]:
        if not item["findings"]:
            continue
        full = _api(base, settings, f"/api/qa/results/{item['id']}")
        texts = [t["text"] for t in full["transcript"]["turns"]]
        for finding in full["findings"]:
            if (
                finding["review_status"] == "pending"
                and finding["evidence"]
                and any(finding["evidence"][0] in x for x in texts)
            ):
                return full, finding
    raise AssertionError("the demo data has no pending finding with quoted evidence")


def test_inspection_highlights_evidence_and_overrule_changes_the_score(
    page: Any, dash_server: str, dash_settings: Settings
) -> None:
    result, finding = _pending_result(dash_server, dash_settings)
    _login(page, dash_server, SUPERVISOR)
    page.goto(f"{dash_server}/console/inspection")
    page.wait_for_selector("#results-table tbody tr")
    page.click(f"#results-table tr[data-id='{result['id']}']")
    page.wait_for_selector(f"body[data-result='{result['id']}']")
    assert page.inner_text("#sheet-reviewed .score") == f"{result['reviewed_score']:g}"
    marks = page.locator(f"mark.evidence[data-findings~='{finding['id']}']")
    assert marks.count() >= 1
    assert (
        finding["evidence"][0] in marks.first.inner_text()
        or marks.first.inner_text() in finding["evidence"][0]
    )
    assert page.locator(f"#finding-{finding['id']}").get_attribute("data-status") == "pending"

    page.click(f"#finding-{finding['id']} .evidence-quote")
    assert "active" in (marks.first.get_attribute("class") or "")
    page.fill(f"#note-{finding['id']}", "录音里是在复述来电人的话，不构成服务禁语")
    page.click(f"#finding-{finding['id']} button[data-action='overrule']")
    page.wait_for_selector(f"#finding-{finding['id']}[data-status='overruled']")

    after = _api(dash_server, dash_settings, f"/api/qa/results/{result['id']}")
    assert after["reviewed_score"] > result["reviewed_score"]
    assert page.inner_text("#sheet-reviewed .score") == f"{after['reviewed_score']:g}"
    assert "overruled" in (
        page.locator(f"mark.evidence[data-findings~='{finding['id']}']").first.get_attribute("class") or ""
    )
    row = page.locator(f"#results-table tr[data-id='{result['id']}'] td.reviewed")
    row.filter(has_text=f"{after['reviewed_score']:g}").wait_for()
    stored = next(f for f in after["findings"] if f["id"] == finding["id"])
    assert stored["review_status"] == "overruled" and stored["reviewed_by"] == SUPERVISOR[0]
    _shot(page, "inspection.png")
