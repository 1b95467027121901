"""FAQ import on the real model and index: a sheet of seed facts alone (no curated entries) answers
caller rewordings with the right facts, never gives one city's rule to another, re-imports update
instead of duplicating, a draft import waits for review, and a bad sheet writes nothing."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from api.db import unit_of_work
from api.models.users import KbEntryVersion
from api.services import kb_editor, kb_import, knowledge
from api.services.registry import get_session_factory
from api.settings import PROJECT_ROOT, Settings
from devtools.evaluation import text_matches

pytestmark = pytest.mark.integration

FAQ = PROJECT_ROOT / "tests" / "data" / "faq"
# Rewordings of rows from several regions, each a different style (story, dialect, region in passing).
FLOOR_IDS = ("F005", "F019", "F023", "F026", "F035", "F041", "F050", "F052", "F056", "F060")
FLOOR = 8


def make_settings(root: Path) -> Settings:
    """A fresh data folder and an empty curated-entries folder: the import alone."""
    (root / "entries").mkdir(parents=True)
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=root / "data",
        database_url=f"sqlite:///{root / 'kb.db'}",
        kb_entries_dir=root / "entries",
        kb_documents=[],
    )


def run_import(settings: Settings, data: bytes, filename: str, **options: bool) -> kb_import.ImportReport:
    with unit_of_work(get_session_factory(settings)) as session:
        return kb_import.import_sheet(
            session, settings, data=data, filename=filename, author="导入员", **options
        )


def sheet_rows() -> list[list[str]]:
    with (FAQ / "seed_faq.csv").open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def to_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("gbk")  # a centre's Excel on Windows saves GBK


def versions(settings: Settings) -> int:
    with unit_of_work(get_session_factory(settings)) as session:
        return int(session.scalar(select(func.count()).select_from(KbEntryVersion)) or 0)


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, kb_import.ImportReport]]:
    """The whole seed sheet (the XLSX copy, English headers) imported and published."""
    settings = make_settings(tmp_path_factory.mktemp("faq-import"))
    report = run_import(settings, (FAQ / "seed_faq.xlsx").read_bytes(), "seed_faq.xlsx")
    yield settings, report
    knowledge.reset()


@pytest.fixture
def small(tmp_path: Path) -> Iterator[Settings]:
    settings = make_settings(tmp_path)
    yield settings
    knowledge.reset()


def test_the_sheet_is_published_and_callers_get_the_right_facts(
    imported: tuple[Settings, kb_import.ImportReport],
) -> None:
    settings, report = imported
    assert report.ok and not report.errors
    assert report.created == len(report.rows) >= 40 and report.indexed == report.created
    assert all(r.phrasings > 5 for r in report.rows)  # the sheet's phrasing plus generated ones
    items = {
        item["id"]: item
        for item in map(
            json.loads, (FAQ / "caller_rewordings.jsonl").read_text(encoding="utf-8").splitlines()
        )
    }
    right, wrong = [], []
    for item_id in FLOOR_IDS:
        item = items[item_id]
        result = knowledge.answer(item["question"], settings=settings)
        if result.kind == "answer":
            (right if text_matches(result.text, item["expect_any"]) else wrong).append(item_id)
            assert result.sources and result.sources[0].source  # the sheet's 来源 is cited
    assert len(right) >= FLOOR, (right, wrong)
    assert not wrong


def test_one_citys_imported_rule_is_never_given_to_another(
    imported: tuple[Settings, kb_import.ImportReport],
) -> None:
    settings, _ = imported
    for line in (FAQ / "cross_region.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        result = knowledge.answer(item["question"], settings=settings)
        assert result.kind != "answer", (item["id"], result.text)


def test_reimport_updates_changed_rows_only(small: Settings) -> None:
    rows = sheet_rows()[:5]
    first = run_import(small, to_csv(rows), "faq.csv")
    assert (first.created, first.updated, first.unchanged) == (4, 0, 0)
    assert versions(small) == 4

    again = run_import(small, to_csv(rows), "faq.csv")
    assert (again.created, again.updated, again.unchanged, again.indexed) == (0, 0, 4, 0)
    assert versions(small) == 4

    rows[2][1] = "（已更新）" + rows[2][1]
    changed = run_import(small, to_csv(rows), "faq.csv")
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 3)
    assert [r.status for r in changed.rows] == ["unchanged", "edit", "unchanged", "unchanged"]
    assert versions(small) == 5
    with unit_of_work(get_session_factory(small)) as session:
        detail = kb_editor.get_entry(session, small, entry_id=changed.rows[1].entry_id)
    assert detail.published is not None and detail.published["answer"].startswith("（已更新）")
    assert [v.reason for v in detail.history] == ["FAQ 导入: faq.csv"] * 2
    assert detail.history[0].author == "导入员"


def test_a_draft_import_waits_for_review(small: Settings) -> None:
    rows = sheet_rows()[:3]
    question = "我是太原的，跨省异地就医自助备案要交证明材料吗"
    report = run_import(small, to_csv(rows), "faq.csv", draft=True)
    assert (report.created, report.drafts, report.indexed) == (2, 2, 0)
    factory = get_session_factory(small)
    with unit_of_work(factory) as session:
        assert kb_editor.published_overlay(session, small)["entries"] == {}
        pending = [s for s in kb_editor.search(session, small) if s.draft == "create"]
    assert sorted(s.id for s in pending) == sorted(r.entry_id for r in report.rows)
    assert knowledge.answer(question, settings=small).kind != "answer"

    with unit_of_work(factory) as session:
        kb_editor.publish(session, small, by="审核员")
    assert "承诺制" in knowledge.answer(question, settings=small).text


def test_a_bad_sheet_writes_nothing_and_a_dry_run_neither(small: Settings, tmp_path: Path) -> None:
    rows = sheet_rows()[:4]
    rows.append(["", "答案", "太原", "2023", "来源", "", "", ""])
    rows.append(["问题", "答案", "火星", "2023", "来源", "", "", ""])
    report = run_import(small, to_csv(rows), "faq.csv")
    assert not report.ok and not report.rows
    assert [(e.row, e.column) for e in report.errors] == [(5, "问题"), (6, "地区")]
    assert "为空" in report.errors[0].reason and "火星" in report.errors[1].reason
    assert versions(small) == 0 and not (small.index_dir / "CURRENT").exists()

    dry = run_import(small, to_csv(rows[:4]), "faq.csv", dry_run=True)
    assert dry.ok and dry.created == 3 and versions(small) == 0


def test_ids_are_stable_and_follow_the_catalog_rules() -> None:
    a = kb_import.entry_id_for("生育津贴多久到账？", "浙江/杭州")
    assert a == kb_import.entry_id_for(" 生育津贴多久到账 ", "浙江/杭州")
    assert a != kb_import.entry_id_for("生育津贴多久到账？", "河南/开封")
    assert a.startswith("faq-") and len(a) == 20
