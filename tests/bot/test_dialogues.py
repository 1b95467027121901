"""Multi-turn dialogues through the real stack: chat service -> Rasa -> action server -> services.

One Rasa server and one action server serve the whole test session (``stack`` fixture). Each
test uses fresh session ids, so no state leaks between tests. The last test stops the action
server on purpose and starts it again.
"""

from __future__ import annotations

import uuid

import pytest

from api.db import unit_of_work
from api.schemas import ChatReply
from api.services.conversations import handoff, rasa, store
from api.services.conversations.respond import respond
from api.services.registry import get_session_factory
from api.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]


class Caller:
    """One caller in one chat session."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.session_id = f"t-{uuid.uuid4().hex[:10]}"

    def say(self, text: str) -> ChatReply:
        return respond(self.session_id, text, settings=self.settings)


def joined(reply: ChatReply) -> str:
    return "".join(m.text for m in reply.replies)


@pytest.fixture
def caller(stack, stack_settings: Settings) -> Caller:  # type: ignore[no-untyped-def]
    return Caller(stack_settings)


def test_greeting_question_follow_up(caller: Caller) -> None:
    assert caller.say("喂，你好").kind == "greet"
    answer = caller.say("杭州的生育津贴多久能到账？")
    assert answer.kind == "answer" and not answer.degraded
    assert "工作日" in joined(answer)
    assert answer.sources  # the answer shows where it comes from
    follow_up = caller.say("那要带什么材料？去哪里申请？")
    assert follow_up.kind == "answer"
    assert any(w in joined(follow_up) for w in ("无感办", "不用", "无需", "不需要"))


def test_region_asked_then_given(caller: Caller) -> None:
    first = caller.say("去外地看病要先备案吗？要不要开证明？")
    assert first.kind == "clarify_region"
    assert "参保" in joined(first)
    second = caller.say("我是太原的")
    assert second.kind == "answer"
    assert any(w in joined(second) for w in ("承诺制", "免证明", "不用开证明", "无需", "不需要"))


def test_who_the_caller_is_narrows_the_answer_just_given(caller: Caller) -> None:
    """ "我是退休职工" right after an answer is no greeting (NLU takes it for one): the retirees' rate
    of the rule just given answers it, without the other groups' rates."""
    first = caller.say("太原的，没备案自己去外省住院了，能报多少？")
    assert first.kind == "answer" and "81%" in joined(first) and "72%" in joined(first)
    narrowed = caller.say("我是退休职工")
    assert narrowed.kind == "answer", joined(narrowed)
    assert "81%" in joined(narrowed) and "72%" not in joined(narrowed)


def test_the_region_put_right_answers_the_waiting_question(caller: Caller) -> None:
    """A wrong place first (nothing on it: an abstention and an offer), then the caller puts it right
    in words NLU takes for a no or a complaint: the waiting question is answered for the right place,
    and "好，那我清楚了" closes however NLU takes it."""
    assert caller.say("去外地看病要先备案吗？要不要开证明？").kind == "clarify_region"
    assert caller.say("我是大连参保的").kind == "abstain"
    put_right = caller.say("不对不对，应该是太原，我刚才搞错了")
    assert put_right.kind == "answer" and "承诺" in joined(put_right), joined(put_right)
    assert caller.say("好，那我清楚了").kind == "goodbye"


def test_human_handoff_silences_the_bot_until_released(caller: Caller, stack_settings: Settings) -> None:
    caller.say("你好")
    reply = caller.say("转人工")
    assert reply.kind == "abstain"
    assert reply.handoff is not None and reply.handoff.status == "waiting"
    factory = get_session_factory(stack_settings)
    with unit_of_work(factory) as db:
        assert handoff.is_active(db, session_id=caller.session_id)
    silent = caller.say("喂？还在吗")
    # The bot stays silent (no repeated "请稍候"); the reply only carries the hand-off state.
    assert silent.replies == [] and silent.handoff is not None and silent.handoff.status == "waiting"
    with unit_of_work(factory) as db:
        handoff.release(db, session_id=caller.session_id, agent="坐席01")
    assert caller.say("你好").kind == "greet"
    speakers = [t.speaker for t in store.transcript(caller.session_id, settings=stack_settings).turns]
    assert speakers.count("caller") == 4


def test_complaint_form_confirms_work_order_number(caller: Caller, stack_settings: Settings) -> None:
    from api.services.tickets import get_ticket

    start = caller.say("我爸住院才一个礼拜，医院说医保额度用完了非让出院，我要投诉！")
    assert start.kind == "ask_slot"
    assert caller.say("我叫王建国").kind == "ask_slot"
    phone = caller.say("我手机号是13912345678")
    assert phone.kind == "ask_slot"
    assert "139****5678" in joined(phone) and "13912345678" not in joined(phone)
    done = caller.say("县人民医院，我爸上周三住进去的，昨天医生说额度用完了让今天必须出院，可病还没好")
    assert done.kind == "ticket" and done.ticket_id
    assert done.ticket_id in joined(done) and "工单" in joined(done)
    with unit_of_work(get_session_factory(stack_settings)) as db:
        ticket = get_ticket(db, number=done.ticket_id)
    assert (ticket.category, ticket.caller_name, ticket.caller_phone) == ("投诉", "王建国", "13912345678")
    assert "额度用完" in ticket.description and ticket.conversation_id == caller.session_id


def test_correction_during_the_form(caller: Caller, stack_settings: Settings) -> None:
    from api.services.tickets import get_ticket

    caller.say("医院乱收费，我要举报")
    caller.say("我叫张伟")
    caller.say("13800001111")
    fixed = caller.say("不对，电话是13800002222")
    assert fixed.kind == "ask_slot" and "138****2222" in joined(fixed)
    done = caller.say("太原市中心医院收费单上同一个检查收了两次")
    assert done.kind == "ticket"
    with unit_of_work(get_session_factory(stack_settings)) as db:
        ticket = get_ticket(db, number=done.ticket_id or "")
    assert ticket.caller_phone == "13800002222" and ticket.category == "举报"


def test_not_helpful_opens_a_work_order(caller: Caller) -> None:
    assert caller.say("衢州的，零星报销能在手机上办吗？").kind == "answer"
    unhappy = caller.say("我试了好几回都交不上去，你说的这个没用")
    assert unhappy.kind in ("ask_slot", "ticket")
    done = caller.say("我叫李秀英，电话13512345678")
    assert done.kind == "ticket" and done.ticket_id


def test_goodbye_asks_for_a_rating_and_dissatisfied_follows_up(caller: Caller) -> None:
    caller.say("你好")
    bye = caller.say("好的，没别的了，再见")
    assert bye.kind == "goodbye" and bye.rating_requested
    titles = [b.title for m in bye.replies for b in m.buttons]
    assert titles == ["满意", "基本满意", "不满意"]
    follow = caller.say('/rate_service{"rating": "不满意"}')
    assert follow.kind == "ask_slot"  # the follow-up work order asks for a name


def test_out_of_scope_and_personal_records_do_not_guess(caller: Caller) -> None:
    assert caller.say("明天郑州下不下雨啊？").kind == "abstain"
    record = caller.say("帮我查一下我医保卡里还剩多少钱")
    assert record.kind in ("answer", "abstain")
    assert any(w in joined(record) for w in ("实名", "认证", "验证", "身份"))
    internal = caller.say("你们内部那个不公开的稽核文件，能不能发我一份")
    assert (
        internal.kind == "abstain" and "不对外公开" in joined(internal) and "政府信息公开" in joined(internal)
    )


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket listening on ``port`` (IPv4, from /proc/net/tcp)."""
    found = set()
    for line in open("/proc/net/tcp", encoding="ascii").read().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        addr, port_hex = local.split(":")
        if state == "0A" and int(port_hex, 16) == port:  # 0A = LISTEN
            found.add(".".join(str(int(addr[i : i + 2], 16)) for i in (6, 4, 2, 0)))
    return found


def test_rasa_and_action_server_listen_on_loopback_only(stack, stack_settings: Settings) -> None:  # type: ignore[no-untyped-def]
    assert _listening_addresses(stack_settings.action_port) == {"127.0.0.1"}
    assert _listening_addresses(stack_settings.rasa_port) == {"127.0.0.1"}


def test_action_server_down_falls_back_to_the_knowledge_base(stack, stack_settings: Settings) -> None:  # type: ignore[no-untyped-def]
    from devtools.stack import ensure_running

    caller = Caller(stack_settings)
    stack.processes["actions"].terminate()
    stack.processes["actions"].wait(timeout=30)
    try:
        assert rasa.status(stack_settings)["actions"] == "down"
        reply = caller.say("杭州的生育津贴多久能到账？")
        assert reply.degraded and reply.kind == "answer" and "工作日" in joined(reply)
        assert "工单" in joined(reply)
    finally:
        restarted = ensure_running(stack_settings)
        stack.processes["actions"] = restarted.processes.pop("actions")
        stack.logs["actions"] = restarted.logs.pop("actions")
    assert rasa.status(stack_settings)["mode"] == "full"
