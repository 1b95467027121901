"""``hotline tickets list|show|export|escalate`` against the test databases."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from api.cli import main
from api.db import unit_of_work
from api.services import tickets as svc
from api.settings import get_settings
from tests.api.ticket_data import ROUTING_FILE, TIME_LIMITS_FILE, ticket_request

RULES = svc.load_rules(ROUTING_FILE, TIME_LIMITS_FILE)


@pytest.fixture
def cli_db(
    db_url: str, session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[str]]:
    """Point the CLI's settings at the test database and create two orders."""
    monkeypatch.setenv("HOTLINE_DATABASE_URL", db_url)
    get_settings.cache_clear()
    numbers = []
    with unit_of_work(session_factory) as session:
        numbers.append(
            svc.create_ticket(session, data=ticket_request(), actor="bot", channel="test", rules=RULES).number
        )
        numbers.append(
            svc.create_ticket(
                session,
                data=ticket_request(category="求助", topic="人工回电", caller_phone="13900001111"),
                actor="bot",
                channel="test",
                rules=RULES,
                now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=30),
            ).number
        )
    yield numbers
    get_settings.cache_clear()


def test_list_masks_phones_by_default(cli_db: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tickets", "list"]) == 0
    out = capsys.readouterr()
    assert all(number in out.out for number in cli_db)
    assert "138****5678" in out.out and "13812345678" not in out.out
    assert "超期" in out.out  # the 24-hour callback made 30 hours ago
    assert "共 2 条" in out.err
    assert main(["tickets", "list", "--overdue"]) == 0
    assert capsys.readouterr().out.count("GD") == 1


def test_show_and_unknown_number(cli_db: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tickets", "show", cli_db[0]]) == 0
    out = capsys.readouterr().out
    assert "工单编号：" + cli_db[0] in out and "待遇保障科" in out and "→新建" in out
    assert main(["tickets", "show", cli_db[0], "--json", "--show-phone"]) == 0
    assert json.loads(capsys.readouterr().out)["caller_phone"] == "13812345678"
    assert main(["tickets", "show", "GD202001010001"]) == 1
    assert "没有找到编号为 GD202001010001 的工单" in capsys.readouterr().err


def test_export_csv_and_xlsx(cli_db: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv_path, xlsx_path = tmp_path / "out" / "tickets.csv", tmp_path / "tickets.xlsx"
    assert main(["tickets", "export", "--format", "csv", "-o", str(csv_path)]) == 0
    with csv_path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:3] == ["工单编号", "受理时间", "类别"] and len(rows) == 3
    assert {r[0] for r in rows[1:]} == set(cli_db)
    assert "13812345678" not in csv_path.read_text(encoding="utf-8-sig")
    assert main(["tickets", "export", "--format", "xlsx", "-o", str(xlsx_path), "--show-phone"]) == 0
    sheet = load_workbook(xlsx_path).active
    values = list(sheet.values)
    assert values[0][0] == "工单编号" and len(values) == 3
    assert "13812345678" in {row[6] for row in values[1:]}
    assert "已导出 2 条" in capsys.readouterr().err


def test_escalate_once(cli_db: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tickets", "escalate"]) == 0
    assert json.loads(capsys.readouterr().out) == {"escalated": [cli_db[1]]}
    assert main(["tickets", "escalate"]) == 0
    assert json.loads(capsys.readouterr().out) == {"escalated": []}


def test_bad_date_is_an_argument_error(cli_db: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["tickets", "list", "--since", "yesterday"])
    assert "YYYY-MM-DD" in capsys.readouterr().err
