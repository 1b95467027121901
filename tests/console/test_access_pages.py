"""Each role in a real browser: after login it lands on its first page, its navigation lists only
the pages it may open, and the other pages answer 403; an admin sees the audit log of views."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.settings import PROJECT_ROOT

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PASSWORD = "role-test-password"
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
PAGES = ("agent", "supervisor", "inspection", "kb")

CASES = {
    "agent": ["agent"],
    "editor": ["kb"],
    "supervisor": ["agent", "supervisor", "inspection"],
    "admin": ["agent", "supervisor", "inspection", "kb"],
}


@pytest.mark.parametrize("role", list(CASES))
def test_each_role_sees_only_its_pages(
    role: str, page: Any, console_server: str, make_user: Callable[..., Any], login: Callable[..., None]
) -> None:
    username = f"page-{role}"
    make_user(username, PASSWORD, [role])
    login(page, console_server, username, PASSWORD)
    allowed = CASES[role]
    assert page.url.split("?")[0].endswith(f"/console/{allowed[0]}")
    page.locator("#console-nav a").first.wait_for()
    assert [a.get_attribute("data-page") for a in page.locator("#console-nav a").all()] == allowed
    for name in PAGES:
        response = page.goto(f"{console_server}/console/{name}")
        assert response is not None
        assert response.status == (200 if name in allowed else 403), name
        if name not in allowed:
            assert "没有访问这个页面的权限" in page.locator("#forbidden").inner_text()


def test_login_page_errors_in_chinese_and_screenshot(
    page: Any, console_server: str, make_user: Callable[..., Any], login: Callable[..., None]
) -> None:
    make_user("page-shot", PASSWORD, ["agent"])
    page.goto(f"{console_server}/console/kb")  # not logged in: sent to the login page, next kept
    page.wait_for_url("**/console/login?next=*")
    page.fill("#username", "page-shot")
    page.fill("#password", "not-the-password")
    page.click("#login-submit")
    page.locator("#login-error").wait_for(state="visible")
    assert page.locator("#login-error").inner_text() == "用户名或密码不正确。"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "console-login.png"))
    # Logging in keeps `next` only when the role allows it: an agent asked for kb gets 403 there.
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url("**/console/kb")
    assert page.locator("#forbidden").count() == 1
    page.goto(f"{console_server}/console/agent")
    page.locator("#console-logout").click()
    page.wait_for_url("**/console/login")
    assert page.goto(f"{console_server}/console/agent").url.endswith("next=%2Fconsole%2Fagent")


def test_admin_reads_the_audit_log_of_a_transcript_view(
    console_server: str, make_user: Callable[..., Any], tmp_path: Path
) -> None:
    make_user("audit-agent", PASSWORD, ["agent"])
    make_user("audit-admin", PASSWORD, ["admin"])
    with httpx.Client(base_url=console_server, timeout=60) as agent:
        agent.post(
            "/api/auth/login", json={"username": "audit-agent", "password": PASSWORD}
        ).raise_for_status()
        chat = httpx.post(
            f"{console_server}/api/chat", json={"session_id": "web-audit0001", "text": "你好"}, timeout=60
        )
        assert chat.status_code == 200
        assert agent.get("/api/chat/web-audit0001/transcript").status_code == 200
        assert agent.get("/api/audit").status_code == 403
    # The caller's own widget reads its transcript anonymously: not an audited staff view.
    assert httpx.get(f"{console_server}/api/chat/web-audit0001/transcript", timeout=30).status_code == 200
    with httpx.Client(base_url=console_server, timeout=30) as admin:
        admin.post(
            "/api/auth/login", json={"username": "audit-admin", "password": PASSWORD}
        ).raise_for_status()
        rows = admin.get("/api/audit", params={"subject_id": "web-audit0001"}).json()
    assert rows["total"] == 1
    row = rows["items"][0]
    assert (row["actor"], row["role"], row["action"], row["subject_type"]) == (
        "audit-agent",
        "agent",
        "transcript.view",
        "conversation",
    )
    assert row["ip"] == "127.0.0.1"
