"""A knowledge edit published in the editor reaches the running bot without a restart.

The action server is its own process with its own knowledge base; it must notice the new index
version by itself. The entry is retired and published again afterwards, so the shared index ends
as it began.
"""

from __future__ import annotations

import time
import uuid

import pytest

from api.db import unit_of_work
from api.services import kb_editor as editor
from api.services.conversations.respond import respond
from api.services.registry import get_session_factory
from api.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ENTRY_ID = "test-publish-longjiang-code"
FACT = "在“龙江医保”小程序首页点“医保码”即可亮码，首次使用要先刷脸激活。"
QUESTION = "龙江医保小程序里怎么亮医保码"


def _entry() -> editor.EntryIn:
    return editor.EntryIn.model_validate(
        {
            "id": ENTRY_ID,
            "topic": "医保电子凭证",
            "title": "龙江医保小程序亮码（测试条目）",
            "questions": [
                "龙江医保小程序能亮码吗",
                "在龙江医保小程序里怎么亮医保码",
                "龙江医保小程序医保码在哪",
            ],
            "answer": FACT,
            "region": "黑龙江",
            "audience": "public",
            "source": "004_97e06d7970843a80.txt L1",
            "effective": "2024-05",
        }
    )


def test_published_entry_is_answered_by_the_running_bot(stack, stack_settings: Settings) -> None:  # type: ignore[no-untyped-def]
    factory = get_session_factory(stack_settings)
    before = respond(f"t-{uuid.uuid4().hex[:8]}", QUESTION, settings=stack_settings)
    assert FACT not in "".join(m.text for m in before.replies)
    with unit_of_work(factory) as db:
        editor.save(db, stack_settings, data=_entry(), author="editor1", reason="新增亮码渠道", create=True)
        editor.publish(db, stack_settings, by="editor1", entry_ids=[ENTRY_ID])
    try:
        deadline = time.monotonic() + 30
        while True:  # the action server checks for a new index version about once a second
            reply = respond(f"t-{uuid.uuid4().hex[:8]}", QUESTION, settings=stack_settings)
            if FACT in "".join(m.text for m in reply.replies) or time.monotonic() > deadline:
                break
            time.sleep(2)
        assert reply.kind == "answer" and FACT in "".join(m.text for m in reply.replies)
        assert any(s.id == ENTRY_ID for s in reply.sources)
    finally:
        with unit_of_work(factory) as db:
            editor.retire(db, stack_settings, entry_id=ENTRY_ID, author="editor1", reason="测试结束")
            editor.publish(db, stack_settings, by="editor1", entry_ids=[ENTRY_ID])
