"""不满意 in the widget, on the real stack: the caller who rates the service 不满意 after a work order
gets a follow-up order of its own with a new number (the earlier order's number was repeated)."""

from __future__ import annotations

from typing import Any

import pytest

from api.db import unit_of_work
from api.services import tickets
from api.services.registry import get_session_factory
from api.settings import Settings
from tests.browser import say

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SLOW = 90_000  # a real Rasa answer on 2 shared cores


def _ticket(page: Any) -> str | None:
    return page.get_attribute("[data-hotline-widget]", "data-ticket")


def test_dissatisfied_gets_a_new_order_not_the_old_number(
    caller: Any, api_url: str, stack_settings: Settings
) -> None:
    page = caller
    page.goto(f"{api_url}/chat/demo")
    page.locator(".hl-panel").wait_for(state="visible")
    for said in (
        "医院乱收费，我要举报",
        "我叫张伟",
        "13800001111",
        "太原市中心医院收费单上同一个检查收了两次",
    ):
        say(page, said)
    first = _ticket(page)
    assert first and first.startswith("GD")

    say(page, "好的，没别的了，再见")
    page.locator(".hl-rating", has_text="不满意").click()
    page.wait_for_function("() => !document.querySelector('.hl-typing')", timeout=SLOW)
    for answer in ("等了一个月也没人联系我", "就是上面说的这件事"):  # what the follow-up form may ask
        if _ticket(page) != first:
            break
        say(page, answer)
    second = _ticket(page)
    assert second and second != first
    bubbles = page.locator(".hl-msg").all_inner_texts()
    told = [b for b in bubbles if second in b]
    assert told and all(first not in b for b in told)  # the caller hears the new number, not the old

    with unit_of_work(get_session_factory(stack_settings)) as db:
        follow_up = tickets.get_ticket(db, number=second)
    assert first in follow_up.related and follow_up.caller_phone == "13800001111"
