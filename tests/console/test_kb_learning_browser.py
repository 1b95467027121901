"""The knowledge editor's review side and the dashboard's clusters in headless Chromium: drafts from a
document accepted and rejected, a cluster an agent answered turned into a draft in one click, stale
and conflict flags beside the entries, and the supervisor's list of unanswered clusters.

The module runs its own API server on its own SQLite database and a copy of the curated-entries
index, so what it publishes does not reach the other console tests.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.db import unit_of_work
from api.services import auth, kb_clusters, kb_drafts, kb_editor
from api.services import knowledge as kb_service
from api.services.conversations import store
from api.services.registry import get_session_factory
from api.settings import PROJECT_ROOT, Settings
from tests.console.conftest import TOKENS, do_login, free_port, serve

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PASSWORD = "learn-password-1"
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
NOTICE = (PROJECT_ROOT / "tests" / "data" / "documents" / "kaifeng_chronic_notice.txt").read_text(
    encoding="utf-8"
)
CARD_ANSWER = "社保卡丢失请先拨打12345挂失，再带身份证到就近的社保卡服务网点补办，一般当场可以领取。"
RIVAL_ID = "reimbursement-kaifeng-20-days"


@pytest.fixture(scope="module")
def learn_settings(tmp_path_factory: pytest.TempPathFactory, console_index_cache: Path) -> Settings:
    data = tmp_path_factory.mktemp("kb-learning")
    shutil.copytree(console_index_cache, data / "index")
    (data / "开封慢特病通知.txt").write_text(NOTICE, encoding="utf-8")
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=data,
        database_url=f"sqlite:///{data / 'learn.db'}",
        kb_documents=[],
        rasa_url=f"http://127.0.0.1:{free_port()}",
        ticket_escalation_interval_s=0,
        kb_cluster_interval_s=0,
        **TOKENS,
    )


def _conversation(settings: Settings, session_id: str, turns: list[tuple[str, str, str | None]]) -> None:
    with unit_of_work(get_session_factory(settings)) as db:
        conv = store.get_or_create(db, session_id, "web")
        for speaker, text, kind in turns:
            store.add_turn(db, conv, speaker, text, kind)


@pytest.fixture(scope="module")
def learn_server(learn_settings: Settings) -> Iterator[str]:
    """The server, with what the line and an ingested document left for the editor to review."""
    settings = learn_settings
    with serve(settings) as base:
        with unit_of_work(get_session_factory(settings)) as session:
            kb_drafts.propose_from_documents(session, settings, [settings.data_dir / "开封慢特病通知.txt"])
            for name, password, roles in (
                ("learn-editor", PASSWORD, ["editor"]),
                ("learn-boss", PASSWORD, ["supervisor"]),
            ):
                auth.create_user(session, username=name, password=password, roles=roles)
            kaifeng = kb_editor.get_entry(session, settings, entry_id="reimbursement-kaifeng-30-working-days")
            assert kaifeng.published is not None
            rival = {**kaifeng.published, "id": RIVAL_ID, "answer": "开封市手工零星报销在20个工作日内办完。"}
            rival["points"] = {"time_limit": "20个工作日"}
            kb_editor.save(
                session,
                settings,
                data=kb_editor.EntryIn.model_validate(rival),
                author="x",
                reason="新文件",
                create=True,
            )
            kb_editor.publish(session, settings, by="x", entry_ids=[RIVAL_ID])
        declined = "这个问题我暂时没法给您准确答复"
        for i, question in enumerate(["医保卡丢了怎么补办", "我的医保卡找不到了咋办", "医保卡丢了能补吗"]):
            _conversation(
                settings, f"learn-ui-{i}", [("caller", question, None), ("bot", declined, "abstain")]
            )
        _conversation(
            settings,
            "learn-ui-agent",
            [
                ("caller", "社保卡掉了去哪补", None),
                ("bot", declined, "abstain"),
                ("caller", "转人工", None),
                ("agent", "您好，我是坐席小王", None),
                ("agent", CARD_ANSWER, None),
            ],
        )
        kb_clusters.forget()
        yield base
    kb_service.reset()
    kb_clusters.forget()


def _answer(base: str, question: str, region: str) -> dict[str, Any]:
    resp = httpx.post(
        f"{base}/api/knowledge/answer", json={"question": question, "region": region}, timeout=60
    )
    resp.raise_for_status()
    return resp.json()


def test_editor_reviews_drafts_clusters_and_flags(page: Any, learn_server: str) -> None:
    do_login(page, learn_server, "learn-editor", PASSWORD)
    page.goto(f"{learn_server}/console/kb")
    queue = page.locator("#kb-queue tbody tr")
    queue.filter(has_text="文档摘录").nth(2).wait_for()
    assert queue.filter(has_text="文档摘录").count() == 3

    # Flags: the curated entries date from 2023 or earlier, and the published rival disagrees.
    page.locator("#kb-conflicts li.conflict").wait_for()
    conflict = page.locator("#kb-conflicts li.conflict").inner_text()
    assert "reimbursement-kaifeng-30-working-days" in conflict and RIVAL_ID in conflict
    assert "30个工作日" in conflict and "20个工作日" in conflict
    assert "已过复核期" in page.locator("#kb-stale-count").inner_text()
    page.fill("#kb-search", "开封 零星报销")
    kaifeng = page.locator('#kb-list li[data-id="reimbursement-kaifeng-30-working-days"]')
    kaifeng.locator(".review-flag", has_text="数字冲突").wait_for()
    assert kaifeng.locator(".review-flag", has_text="需复核").count() == 1
    kaifeng.click()
    page.locator("#kb-status .review-flag", has_text="数字冲突").wait_for()
    status = page.locator("#kb-status").inner_text()
    assert f"与 {RIVAL_ID} 数字不一致：本条 30个工作日，对方 20个工作日" in status

    # Learning from the line: the cluster an agent answered becomes a draft in one click.
    cluster = page.locator("#kb-clusters tbody tr", has_text="医保卡")
    cluster.wait_for()
    assert cluster.locator("td").nth(1).inner_text() == "4" and CARD_ANSWER in cluster.inner_text()
    cluster.locator("button", has_text="生成草稿").click()
    page.locator("#kb-review-message.ok", has_text="已生成草稿").wait_for()
    queue.filter(has_text="来电学习").wait_for()
    cluster.locator(".badge", has_text="草稿待审").wait_for()  # no second draft of the same cluster

    # Reject one document draft (a reason is required), accept another: callers get it at once.
    first = queue.filter(has_text="报销比例")
    first.locator("button", has_text="拒绝").click()
    page.locator("#kb-review-message.error", has_text="拒绝原因").wait_for()
    page.fill("#kb-queue-reason", "比例只适用于一级医疗机构，需补充后再发")
    first.locator("button", has_text="拒绝").click()
    page.locator("#kb-review-message.ok", has_text="已拒绝").wait_for()
    queue.filter(has_text="报销比例").wait_for(state="detached")  # the queue reloads without it
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "console-kb-review.png"), full_page=True)
    accepted = queue.filter(has_text="15个工作日")
    accepted.locator("button", has_text="采纳发布").click()
    page.locator("#kb-review-message.ok", has_text="已发布").wait_for(timeout=120_000)
    queue.filter(has_text="15个工作日").wait_for(state="detached")
    answer = _answer(learn_server, "开封门诊慢特病认定要多长时间", "开封")
    assert answer["kind"] == "answer" and "15个工作日" in answer["text"]
    assert answer["text"].endswith("以上为2024年3月的规定，请以最新政策为准。")


def test_supervisor_sees_the_top_unanswered_clusters(
    page: Any, learn_server: str, login: Callable[..., None]
) -> None:
    kb_clusters.forget()
    login(page, learn_server, "learn-boss", PASSWORD)
    page.goto(f"{learn_server}/console/supervisor")
    row = page.locator("#clusters-table tbody tr", has_text="医保卡")
    row.wait_for()
    cells = row.locator("td")
    assert (
        cells.nth(1).inner_text() == "4"
        and cells.nth(2).inner_text() == "3"
        and cells.nth(3).inner_text() == "1"
    )
    assert CARD_ANSWER in row.inner_text()


def test_review_routes_are_closed_to_agents(learn_server: str) -> None:
    agent = {"Authorization": f"Bearer {TOKENS['agent_token']}"}
    supervisor = {"Authorization": f"Bearer {TOKENS['supervisor_token']}"}
    with httpx.Client(base_url=learn_server, timeout=60) as client:
        for path in ("/api/kb/drafts", "/api/kb/clusters", "/api/kb/review", "/api/dashboard/clusters"):
            assert client.get(path, headers=agent).status_code == 403, path
        assert client.post("/api/kb/clusters/0123456789/draft", headers=agent).status_code == 403
        clusters = client.get("/api/dashboard/clusters", headers=supervisor, params={"limit": 1})
        assert clusters.status_code == 200 and len(clusters.json()) == 1
