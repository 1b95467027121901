"""The knowledge editor service on the real model: validation, versions, retire, preview, and an
incremental publish that another process picks up by itself."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from api.db import unit_of_work
from api.services import kb_editor as editor
from api.services import knowledge
from api.services.registry import get_session_factory
from api.settings import PROJECT_ROOT, Settings
from devtools.stack import settings_env

pytestmark = pytest.mark.integration

ENTRIES = PROJECT_ROOT / "knowledge" / "entries"
NEW_FACT = "医保电子凭证可以在“龙江医保”小程序里一键亮码，首次使用需刷脸认证。"
QUESTION = "龙江医保小程序能不能亮医保码"


def new_entry(**overrides: object) -> editor.EntryIn:
    values: dict[str, object] = {
        "id": "e-voucher-longjiang-app",
        "topic": "医保电子凭证",
        "title": "龙江医保小程序亮码",
        "questions": ["龙江医保小程序能亮码吗", "在龙江医保小程序里怎么亮医保码", "龙江医保小程序医保码在哪"],
        "answer": NEW_FACT,
        "region": "黑龙江",
        "audience": "public",
        "source": "004_97e06d7970843a80.txt L1",
        "effective": "2024-05",
        "points": {"channel": "龙江医保小程序"},
    }
    values.update(overrides)
    return editor.EntryIn.model_validate(values)


@pytest.fixture
def editor_settings(tmp_path: Path) -> Iterator[Settings]:
    """Two curated files (a small, fast index) and a SQLite database of their own."""
    entries = tmp_path / "entries"
    entries.mkdir()
    for name in ("e_voucher.yaml", "maternity.yaml"):
        shutil.copy(ENTRIES / name, entries / name)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'editor.db'}",
        kb_entries_dir=entries,
        kb_documents=[],
    )
    knowledge.build_index(settings, progress=False)
    yield settings
    knowledge.reset()


@pytest.fixture
def session(editor_settings: Settings) -> Iterator[Session]:
    with unit_of_work(get_session_factory(editor_settings)) as db:
        yield db


def test_validation_names_every_problem_in_chinese() -> None:
    with pytest.raises(editor.EntryInvalid) as caught:
        editor.validate(new_entry(id="Bad Id", questions=["一个问法"], source="somewhere", region="火星"))
    message = caught.value.fmt["reason"]
    for part in ("编号只能用小写字母", "至少需要 3 种不同的问法", "来源应写成", "参保地“火星”无法识别"):
        assert part in message
    with pytest.raises(editor.EntryInvalid, match="缺少"):
        editor.validate(new_entry(answer="", topic=""))
    assert editor.validate(new_entry(region="哈尔滨")).region == "黑龙江/哈尔滨"


def test_versions_author_reason_and_retire(session: Session, editor_settings: Settings) -> None:
    with pytest.raises(editor.ReasonRequired):
        editor.save(session, editor_settings, data=new_entry(), author="editor1", reason=" ", create=True)
    first = editor.save(
        session, editor_settings, data=new_entry(), author="editor1", reason="新政策", create=True
    )
    assert (first.version, first.action, first.author) == (1, "create", "editor1")
    with pytest.raises(editor.EntryExists):
        editor.save(session, editor_settings, data=new_entry(), author="editor1", reason="重复", create=True)
    second = editor.save(
        session,
        editor_settings,
        data=new_entry(title="改标题"),
        author="editor2",
        reason="改标题",
        create=False,
    )
    assert (second.version, second.action) == (2, "create")  # still never published: still a creation
    detail = editor.get_entry(session, editor_settings, entry_id="e-voucher-longjiang-app")
    assert detail.summary.status == "new" and detail.summary.draft == "create"
    assert [v.reason for v in detail.history] == ["改标题", "新政策"]
    assert detail.published is None and detail.draft is not None and detail.draft["title"] == "改标题"

    yaml_id = "maternity-kaifeng-payment-time-limit"
    retired = editor.retire(session, editor_settings, entry_id=yaml_id, author="editor1", reason="政策废止")
    assert retired.action == "retire" and retired.data is None
    found = {s.id: s for s in editor.search(session, editor_settings, query="开封 生育")}
    assert found[yaml_id].draft == "retire"
    with pytest.raises(editor.EntryNotFound):
        editor.retire(session, editor_settings, entry_id="no-such-entry", author="x", reason="y")


def test_preview_then_incremental_publish_reaches_another_process(
    session: Session, editor_settings: Settings
) -> None:
    before = knowledge.answer(QUESTION, region="黑龙江", settings=editor_settings)
    assert NEW_FACT not in before.text
    # Another process answering from the same index (as the action server does).
    watcher = subprocess.Popen(
        [sys.executable, "-c", _WATCHER],
        cwd=PROJECT_ROOT,
        env={**settings_env(editor_settings), "PATH": "/usr/bin:/bin"},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert watcher.stdout is not None and watcher.stdin is not None
        assert watcher.stdout.readline().strip() == "ready-old", (
            watcher.stderr.read() if watcher.stderr else ""
        )

        editor.save(
            session, editor_settings, data=new_entry(), author="editor1", reason="新渠道", create=True
        )
        shown = editor.preview(
            session, editor_settings, question=QUESTION, region="黑龙江", entry_id=new_entry().id
        )
        assert shown.draft.kind == "answer" and shown.draft.entry_id == "e-voucher-longjiang-app"
        assert NEW_FACT not in shown.current.text
        # Nothing is live before publishing.
        assert NEW_FACT not in knowledge.answer(QUESTION, region="黑龙江", settings=editor_settings).text

        result = editor.publish(session, editor_settings, by="editor1")
        assert result.published == ["e-voucher-longjiang-app"]
        assert result.added_or_changed == 1 and result.removed == 0  # only the new entry was embedded
        assert NEW_FACT in knowledge.answer(QUESTION, region="黑龙江", settings=editor_settings).text

        watcher.stdin.write("published\n")
        watcher.stdin.flush()
        assert watcher.stdout.readline().strip() == "saw-new"
    finally:
        watcher.kill()
        watcher.wait(timeout=10)

    # Retire it again: removed from the index, and `hotline kb build` keeps the overlay.
    editor.retire(
        session, editor_settings, entry_id="e-voucher-longjiang-app", author="editor2", reason="撤回"
    )
    result = editor.publish(session, editor_settings, by="editor2")
    assert (result.added_or_changed, result.removed) == (0, 1)
    stats = knowledge.build_index(editor_settings, progress=False)
    assert stats == {"added_or_changed": 0, "removed": 0, "total": result.total}
    assert "entry:e-voucher-longjiang-app" not in knowledge.get_knowledge_base(editor_settings).docs
    overlay = editor.published_overlay(session, editor_settings)
    assert overlay["retired"] == ["e-voucher-longjiang-app"]


_WATCHER = textwrap.dedent(
    f"""
    import sys, time
    from api.services import knowledge
    q, fact = {QUESTION!r}, {NEW_FACT!r}
    assert fact not in knowledge.answer(q, region="黑龙江").text
    print("ready-old", flush=True)
    sys.stdin.readline()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if fact in knowledge.answer(q, region="黑龙江").text:
            print("saw-new", flush=True)
            break
        time.sleep(0.2)
    else:
        print("never-saw-it", flush=True)
    """
)
