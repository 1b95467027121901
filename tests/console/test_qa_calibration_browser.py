"""重新校准 on the inspection page, in a real browser: a supervisor's overrule of a semantic finding
and the configured labelled calls feed the same calibration as ``hotline qa calibrate``; the page
shows the thresholds and each semantic category's precision/recall before and after, and the new
thresholds become current only when the supervisor applies them."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.db import unit_of_work
from api.services import auth
from api.services.registry import get_session_factory
from api.settings import Settings
from inspection.semantic_bank import DEFAULT_CALIBRATION, load_calibration
from tests.console.conftest import TOKENS, serve

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PASSWORD = "calibration-supervisor-password-1"
TUNE = Path(__file__).resolve().parents[1] / "data" / "transcripts_semantic" / "tune"
IMPATIENT_CALL = TUNE / "ST020.json"  # labelled politeness: the agent says an impatient sentence
SUPERVISOR = {"Authorization": f"Bearer {TOKENS['supervisor_token']}"}


@pytest.fixture
def calibration_server(tmp_path: Path, console_app_settings: Settings) -> Iterator[tuple[str, Settings]]:
    """An API server of its own (own database and data folder) with 40 labelled tuning calls."""
    labelled = tmp_path / "labelled"
    labelled.mkdir()
    for path in sorted(TUNE.glob("ST*.json"))[:40]:
        shutil.copy(path, labelled / path.name)
    settings = console_app_settings.model_copy(
        update={
            "data_dir": tmp_path / "data",
            "database_url": f"sqlite:///{tmp_path / 'calibration.db'}",
            "qa_calibration_labelled": [labelled],
            "qa_semantic_calibration_file": None,
        }
    )
    with unit_of_work(get_session_factory(settings)) as session:
        auth.create_user(session, username="qa-lead", password=PASSWORD, roles=["supervisor"])
    with serve(settings) as base:
        yield base, settings


def _overrule_an_impatience_finding(base: str) -> str:
    """Score the impatient call and overrule its semantic finding; returns the quoted sentence."""
    call = json.loads(IMPATIENT_CALL.read_text(encoding="utf-8"))
    call = {k: call[k] for k in ("id", "channel", "agent_id", "turns")}
    resp = httpx.post(
        f"{base}/api/qa/score", params={"kb": "false"}, json=call, headers=SUPERVISOR, timeout=120
    )
    resp.raise_for_status()
    finding = next(f for f in resp.json()["findings"] if f["rule"] == "politeness.impatience")
    review = httpx.post(
        f"{base}/api/qa/findings/{finding['id']}/review",
        json={"action": "overrule", "comment": "语气正常，不算不耐烦"},
        headers=SUPERVISOR,
        timeout=30,
    )
    review.raise_for_status()
    return str(finding["evidence"][0])


def _column(page: Any, table: str, css: str) -> dict[str, str]:
    rows = page.locator(f"#{table} tbody tr").all()
    return {row.get_attribute("data-label") or "": row.locator(css).inner_text() for row in rows}


def test_supervisor_recalibrates_and_applies(
    page: Any, calibration_server: tuple[str, Settings], login: Any
) -> None:
    base, settings = calibration_server
    target = settings.data_dir / "qa" / "semantic_calibration.json"
    overruled = _overrule_an_impatience_finding(base)

    login(page, base, "qa-lead", PASSWORD)
    page.goto(f"{base}/console/inspection")
    page.click("#calibrate-run")
    page.locator("#calibration-result").wait_for(state="visible", timeout=300_000)
    assert "40 条带标注的通话，1 条主管复核过的语句" in page.locator("#calibration-source").inner_text()

    bundled = load_calibration(DEFAULT_CALIBRATION).thresholds
    before = _column(page, "calibration-thresholds", "td.before")
    after = _column(page, "calibration-thresholds", "td.after")
    assert set(after) == {"caller_open", "deflection", "forbidden", "impatience", "vague"}
    assert {k: float(v) for k, v in before.items()} == pytest.approx(bundled, abs=1e-4)
    categories = page.locator("#calibration-categories tbody tr")
    assert categories.count() == 4
    politeness = page.locator('#calibration-categories tr[data-category="politeness"] td').all_inner_texts()
    assert int(politeness[1]) > 0 and all(v != "—" for v in politeness[2:])
    assert not target.exists(), "nothing is applied before the supervisor confirms"

    # Applying an older proposal than the one shown is refused.
    stale = httpx.post(
        f"{base}/api/qa/calibration/apply", json={"id": "0" * 16}, headers=SUPERVISOR, timeout=30
    )
    assert stale.status_code == 409 and not target.exists()

    page.click("#calibrate-apply")
    page.locator("#calibration-status").filter(has_text="新阈值已生效").wait_for()
    applied = load_calibration(target)
    assert applied.thresholds == pytest.approx({k: float(v) for k, v in after.items()}, abs=1e-4)
    assert ("none", overruled) in applied.examples  # the overrule teaches the ordinary side
    assert "1 reviewed sentences" in applied.source

    again = httpx.post(
        f"{base}/api/qa/calibration/apply", json={"id": "0" * 16}, headers=SUPERVISOR, timeout=30
    )
    assert again.status_code == 409  # nothing pending any more
