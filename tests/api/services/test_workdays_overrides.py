"""The centre's holiday file takes precedence over chinesecalendar, and a missing year is reported."""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.routes import health
from api.services import workdays
from api.services.workdays import (
    HolidayFileError,
    add_workdays,
    calendar_status,
    is_workday,
    load_overrides,
    package_years,
    parse_overrides,
)
from api.settings import PROJECT_ROOT, Settings

D = dt.date

# A 2027 written the way a centre would enter it (dates invented for the test, not the real schedule).
YEAR_2027 = """
years:
  2027:
    holidays:
      - 2027-01-01
      - "2027-02-06 ~ 2027-02-12"
    workdays:
      - 2027-02-14
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "holidays.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_installed_package_stops_before_2027() -> None:
    # The reason for the file: chinesecalendar (latest release on PyPI: 1.11.0) has no 2027.
    assert 2026 in package_years() and 2027 not in package_years()


def test_the_repository_file_parses_and_adds_no_invented_year() -> None:
    overrides = load_overrides(PROJECT_ROOT / "api" / "holidays.yaml")
    assert overrides.years == frozenset()  # no year is guessed before the State Council publishes it


def test_a_year_from_the_file_counts_holidays_and_make_up_days(tmp_path: Path) -> None:
    overrides = load_overrides(_write(tmp_path, YEAR_2027))
    assert overrides.years == {2027}
    assert is_workday(D(2027, 1, 1), overrides=overrides) is False  # a Friday off
    assert is_workday(D(2027, 2, 8), overrides=overrides) is False  # a Monday inside the range
    assert is_workday(D(2027, 2, 14), overrides=overrides) is True  # a Sunday worked (调休)
    assert is_workday(D(2027, 2, 13), overrides=overrides) is False  # an ordinary Saturday
    assert is_workday(D(2027, 3, 3), overrides=overrides) is True
    # Received Fri 5 Feb: 6-12 off, Sat 13 off, Sun 14 worked, then Mon 15.
    assert add_workdays(D(2027, 2, 5), 1, overrides=overrides) == D(2027, 2, 14)
    assert add_workdays(D(2027, 2, 5), 2, overrides=overrides) == D(2027, 2, 15)
    # Without the file the same deadline would be counted Monday-Friday, a week too early.
    assert add_workdays(D(2027, 2, 5), 1, overrides=workdays.NO_OVERRIDES) == D(2027, 2, 8)


def test_the_file_corrects_a_year_the_package_knows(tmp_path: Path) -> None:
    # 2026-10-08 is a working day for the package; a centre that closes that day says so.
    assert is_workday(D(2026, 10, 8), overrides=workdays.NO_OVERRIDES) is True
    overrides = parse_overrides({"years": {2026: {"holidays": [D(2026, 10, 8)]}}})
    assert is_workday(D(2026, 10, 8), overrides=overrides) is False
    assert is_workday(D(2026, 10, 10), overrides=overrides) is False  # the file now decides 2026


def test_the_file_is_reread_when_it_changes(tmp_path: Path) -> None:
    path = _write(tmp_path, "years: {}\n")
    assert 2027 not in load_overrides(path).years
    path.write_text(YEAR_2027, encoding="utf-8")
    os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 5))
    assert 2027 in load_overrides(path).years


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("years: {2027: {holidays: [2027-13-01]}}", "valid dates"),
        ("years: {2027: {holidays: [' 2027-02-30']}}", "not a date"),
        ("years: {2027: {holidays: [2026-12-31]}}", "listed under 2027"),
        ("years: {2027: {workdays: [2027-02-14]}}", "no holidays"),
        ("years: {2027: {holidays: [2027-01-01], workdays: [2027-01-01]}}", "both"),
        ("years: {2027: {holidays: ['2027-02-12 ~ 2027-02-06']}}", "range"),
        ("years: {2027: {off: [2027-01-01]}}", "only"),
        ("- 2027-01-01", "mapping"),
    ],
)
def test_a_malformed_file_is_refused_naming_the_problem(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(HolidayFileError, match=match):
        load_overrides(_write(tmp_path, text))


def test_status_names_the_missing_next_year_and_logs_it_once(caplog: pytest.LogCaptureFixture) -> None:
    workdays._status_warned.discard(2027)
    with caplog.at_level(logging.WARNING, logger="api.services.workdays"):
        first = calendar_status(D(2026, 12, 6), overrides=workdays.NO_OVERRIDES)
        calendar_status(D(2026, 12, 7), overrides=workdays.NO_OVERRIDES)
    assert first["ok"] is False and first["missing_years"] == [2027]
    assert "2027 年的节假日" in first["message"] and "Monday-Friday" in first["message"]
    logged = [r for r in caplog.records if "missing_years" in r.getMessage()]
    assert len(logged) == 1 and "2027" in logged[0].getMessage()
    covered = calendar_status(
        D(2026, 12, 6), overrides=parse_overrides({"years": {2027: {"holidays": ["2027-01-01"]}}})
    )
    assert covered["ok"] is True and covered["missing_years"] == [] and "message" not in covered


def test_health_reports_the_calendar(tmp_path: Path, make_db_settings: Callable[..., Settings]) -> None:
    today = dt.datetime.now(dt.UTC).date()
    missing_expected = [y for y in (today.year, today.year + 1) if y not in package_years()]
    app = FastAPI()
    empty = tmp_path / "entries"  # no entries: the knowledge component builds an empty index quickly
    empty.mkdir()
    app.state.settings = make_db_settings(
        holidays_file=_write(tmp_path, "years: {}\n"), kb_entries_dir=empty, kb_documents=[]
    )
    app.include_router(health.router)
    with TestClient(app) as client:
        calendar = client.get("/api/health").json()["calendar"]
    assert calendar["missing_years"] == missing_expected
    assert calendar["ok"] is (not missing_expected)
    # Filling both years in the centre's file clears it.
    years = "\n".join(f"  {y}:\n    holidays: [{y}-01-01]" for y in (today.year, today.year + 1))
    full = tmp_path / "full.yaml"
    full.write_text(f"years:\n{years}\n", encoding="utf-8")
    app.state.settings = make_db_settings(holidays_file=full, kb_entries_dir=empty, kb_documents=[])
    with TestClient(app) as client:
        calendar = client.get("/api/health").json()["calendar"]
    assert calendar["ok"] is True and calendar["missing_years"] == []
