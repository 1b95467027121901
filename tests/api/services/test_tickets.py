"""Work-order service on SQLite and PostgreSQL: creation, routing, limits, lifecycle, escalation.

Everything here runs inside one test session's transaction, as the services run inside a caller's
unit of work; tests/api/services/test_ticket_intake.py covers the intake that owns its own.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from api.errors import Conflict, NotFound
from api.models.tickets import Ticket, TicketEvent, TicketNotification
from api.schemas import TicketPublic, TicketStatus
from api.services import tickets as svc
from api.services.tickets import (
    IllegalTransition,
    ReasonRequired,
    TicketLookupFailed,
    TicketNotFound,
    TicketRules,
    UnknownDepartment,
    UseAssign,
    UseCallback,
    load_rules,
)
from api.texts import text as message_of
from tests.api.ticket_data import ROUTING_FILE, SHANGHAI, TIME_LIMITS_FILE, local, ticket_request

NOW = local(2026, 9, 30, 10)  # the day before the National Day holiday


@pytest.fixture(scope="module")
def rules() -> TicketRules:
    return load_rules(ROUTING_FILE, TIME_LIMITS_FILE, duplicate_window_hours=72)


def _create(session: Session, rules: TicketRules, now: dt.datetime = NOW, **fields: object) -> TicketPublic:
    return svc.create_ticket(
        session, data=ticket_request(**fields), actor="bot", channel="rasa", rules=rules, now=now
    )


def _walk(session: Session, rules: TicketRules, number: str, *statuses: str, now: dt.datetime = NOW) -> None:
    for status in statuses:
        if status == "已分派":
            svc.assign(session, number=number, department="待遇保障科", actor="班长", rules=rules, now=now)
        else:
            svc.change_status(
                session,
                number=number,
                to_status=status,
                actor="坐席",
                comment="原因说明",
                rules=rules,
                now=now,
            )


# --- Creation ------------------------------------------------------------------------------------


def test_create_stores_a_whole_order(db_session: Session, rules: TicketRules) -> None:
    ticket = _create(
        db_session,
        rules,
        caller_phone="+86 138-1234-5678",
        transcript=[{"speaker": "caller", "text": "报销还没到账", "time": "10:00"}],
        conversation_id="conv-1",
    )
    assert ticket.number == "GD202609300001"
    assert ticket.status == "新建"
    assert ticket.priority == "一般"
    assert ticket.department == "待遇保障科"
    assert ticket.caller_phone == "13812345678"  # normalised digits
    assert ticket.transcript[0].text == "报销还没到账"
    assert [e.kind for e in ticket.events] == ["created"]
    assert ticket.events[0].actor == "bot" and ticket.events[0].channel == "rasa"
    assert ticket.events[0].data["time_limit"] == "30个工作日"
    again = svc.get_ticket(db_session, number=ticket.number.lower())
    assert again.model_dump(exclude={"overdue"}) == ticket.model_dump(exclude={"overdue"})


def test_numbers_follow_the_local_day(db_session: Session, rules: TicketRules) -> None:
    first = _create(db_session, rules, caller_phone="13800000001")
    second = _create(db_session, rules, caller_phone="13800000002")
    # 16:30 UTC on 30 September is already 1 October in Beijing: a new day, a new sequence.
    next_day = _create(
        db_session, rules, now=dt.datetime(2026, 9, 30, 16, 30, tzinfo=dt.UTC), caller_phone="13800000003"
    )
    assert (first.number, second.number, next_day.number) == (
        "GD202609300001",
        "GD202609300002",
        "GD202610010001",
    )


@pytest.mark.parametrize(
    ("category", "topic", "region", "department"),
    [
        ("举报", "零星报销", "河南/开封", "基金监管科"),  # fraud reports go to the audit queue first
        ("咨询", "转移接续", "广东/广州", "经办服务中心"),
        ("求助", "生育津贴", "", "待遇保障科"),
        ("投诉", "门诊慢特病认定", "", "待遇保障科"),  # contains 慢特病
        ("建议", "养老保险", "", "12345转办"),
        ("咨询", "某个没人配置过的主题", "", "经办服务中心"),  # default department
    ],
)
def test_routing_from_the_yaml(
    db_session: Session, rules: TicketRules, category: str, topic: str, region: str, department: str
) -> None:
    ticket = _create(db_session, rules, category=category, topic=topic, region=region)
    assert ticket.department == department


def test_region_rules_and_edited_files(db_session: Session, tmp_path: Path) -> None:
    routing = tmp_path / "routing.yaml"
    routing.write_text(
        "default_department: 经办服务中心\n"
        "departments: [{name: 经办服务中心}, {name: 太原待遇科}]\n"
        "rules:\n  - {region: 山西/太原, topic: 报销, department: 太原待遇科}\n",
        encoding="utf-8",
    )
    custom = load_rules(routing, TIME_LIMITS_FILE)
    assert _create(db_session, custom, region="山西/太原/小店区").department == "太原待遇科"
    assert (
        _create(db_session, custom, region="山西/大同", caller_phone="13911112222").department
        == "经办服务中心"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("default_department: 甲\ndepartments: [{name: 乙}]\n", "default_department"),
        (
            "default_department: 甲\ndepartments: [{name: 甲}]\nrules: [{topic: x, department: 丙}]\n",
            "rules[0]",
        ),
        (
            "default_department: 甲\ndepartments: [{name: 甲}]\nrules: [{category: 闲聊, department: 甲}]\n",
            "闲聊",
        ),
        ("[unclosed", "not valid YAML"),
    ],
)
def test_bad_routing_file_fails_naming_the_problem(tmp_path: Path, content: str, message: str) -> None:
    routing = tmp_path / "routing.yaml"
    routing.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_rules(routing, TIME_LIMITS_FILE)


def test_bad_time_limit_file_fails(tmp_path: Path) -> None:
    limits = tmp_path / "limits.yaml"
    limits.write_text("default: {days: 5, hours: 3}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="exactly one of days or hours"):
        load_rules(ROUTING_FILE, limits)
    with pytest.raises(FileNotFoundError, match="nowhere.yaml"):
        load_rules(ROUTING_FILE, tmp_path / "nowhere.yaml")


# --- Time limits -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "topic", "due_local"),
    [
        # Received 30 Sep 2026; 1-7 Oct is the National Day holiday, Sat 10 Oct a make-up workday.
        ("咨询", "转移接续", dt.datetime(2026, 11, 3, 17, 30)),  # 20 working days (广东)
        ("投诉", "零星报销", dt.datetime(2026, 11, 17, 17, 30)),  # 30 working days (开封)
        ("求助", "生育津贴", dt.datetime(2026, 11, 3, 17, 30)),  # 20 working days (开封)
        ("咨询", "医保码", dt.datetime(2026, 10, 13, 17, 30)),  # 咨询: 5 working days
        ("求助", "人工回电", dt.datetime(2026, 10, 1, 10, 0)),  # after-hours promise: 24 clock hours
    ],
)
def test_due_time_on_the_chinese_calendar(
    db_session: Session, rules: TicketRules, category: str, topic: str, due_local: dt.datetime
) -> None:
    ticket = _create(db_session, rules, category=category, topic=topic)
    assert ticket.due_at.astimezone(SHANGHAI).replace(tzinfo=None) == due_local


# --- Duplicates -----------------------------------------------------------------------------------


def test_same_phone_and_topic_links_to_the_open_order(db_session: Session, rules: TicketRules) -> None:
    first = _create(db_session, rules)
    again = _create(
        db_session,
        rules,
        now=NOW + dt.timedelta(hours=5),
        caller_phone="138 1234 5678",
        description="又打来问进度",
        transcript=[{"speaker": "caller", "text": "第二次来电"}],
    )
    assert again.duplicate is True
    assert again.number == first.number
    assert [e.kind for e in again.events] == ["created", "duplicate"]
    assert again.events[-1].comment == "又打来问进度"
    assert [t.text for t in again.transcript] == ["第二次来电"]
    assert db_session.scalar(select(func.count(Ticket.id))) == 1


def test_duplicate_window_topic_and_closed_orders(db_session: Session, rules: TicketRules) -> None:
    first = _create(db_session, rules)
    other_topic = _create(db_session, rules, topic="生育津贴", now=NOW + dt.timedelta(hours=1))
    later = _create(db_session, rules, now=NOW + dt.timedelta(hours=73))
    assert not other_topic.duplicate and other_topic.number != first.number
    assert not later.duplicate and later.number != first.number
    # A closed order is not reused either: the caller gets a fresh one.
    _walk(db_session, rules, later.number, "已分派", "处理中", "已办结")
    fresh = _create(db_session, rules, now=NOW + dt.timedelta(hours=74))
    assert fresh.number not in (first.number, later.number)
    assert not fresh.duplicate


def test_another_person_or_matter_on_the_same_phone_gets_its_own_order(
    db_session: Session, rules: TicketRules
) -> None:
    """An agent's report for someone else on this caller's phone is not this caller's complaint."""
    complaint = _create(db_session, rules)  # 张三, 投诉 零星报销
    # An order without a name (a key-9 callback) may be anyone's on that phone: the same caller.
    nameless = _create(db_session, rules, caller_name="", description="来电人按9申请回电")
    assert nameless.number == complaint.number and nameless.duplicate
    other_person = _create(db_session, rules, caller_name="李四", description="替家人反映报销问题")
    other_topic = _create(db_session, rules, topic="生育津贴")
    other_category = _create(db_session, rules, category="咨询")
    numbers = {complaint.number, other_person.number, other_topic.number, other_category.number}
    assert len(numbers) == 4
    assert not (other_person.duplicate or other_topic.duplicate or other_category.duplicate)
    # 张三 again is still 张三's order, though 李四's on the same phone and matter is newer.
    again = _create(db_session, rules, description="再问一次进度")
    assert again.number == complaint.number and again.duplicate
    events = svc.get_ticket(db_session, number=complaint.number).events
    assert [e.kind for e in events] == ["created", "duplicate", "duplicate"]


def test_related_orders_are_linked_only_for_the_same_caller_and_matter(
    db_session: Session, rules: TicketRules
) -> None:
    earlier = _create(db_session, rules)
    _walk(db_session, rules, earlier.number, "已分派", "处理中", "已办结")
    stranger = _create(db_session, rules, caller_phone="13900001111", caller_name="王五")
    other_matter = _create(db_session, rules, topic="生育津贴")
    again = _create(
        db_session,
        rules,
        description="上次办结了，问题又出现了",
        related=[earlier.number, stranger.number, other_matter.number, "GD209901010001"],
        now=NOW + dt.timedelta(hours=1),
    )
    assert not again.duplicate and again.related == [earlier.number]
    assert again.events[0].data["unlinked_related"] == [stranger.number, other_matter.number]
    assert again.events[0].data["unresolved_related"] == ["GD209901010001"]
    assert svc.get_ticket(db_session, number=earlier.number).related == [again.number]
    assert svc.get_ticket(db_session, number=stranger.number).related == []


def test_follow_up_opens_its_own_order_linked_to_the_original(
    db_session: Session, rules: TicketRules
) -> None:
    original = _create(db_session, rules, conversation_id="conv-7")
    follow_up = _create(
        db_session,
        rules,
        topic="服务不满意回访",
        description="对服务不满意",
        conversation_id="conv-7",
        follow_up_of=original.number,
    )
    assert follow_up.number != original.number and not follow_up.duplicate
    assert follow_up.related == [original.number]
    assert follow_up.events[0].data["follow_up_of"] == original.number
    assert svc.get_ticket(db_session, number=original.number).related == [follow_up.number]
    # Someone else's order is not linked, whatever number a request names.
    stranger = _create(db_session, rules, caller_phone="13900001111", caller_name="王五")
    odd = _create(db_session, rules, topic="服务不满意回访", caller_name="张三", follow_up_of=stranger.number)
    assert odd.number == follow_up.number and odd.duplicate  # same caller, same matter: one order
    lone = _create(
        db_session,
        rules,
        caller_phone="13700002222",
        topic="服务不满意回访",
        follow_up_of=stranger.number,
    )
    assert lone.related == [] and lone.events[0].data["unresolved_follow_up"] == stranger.number


def test_the_same_intake_key_gives_the_same_order(db_session: Session, rules: TicketRules) -> None:
    first = svc.create_ticket(
        db_session, data=ticket_request(), actor="bot", channel="rasa", rules=rules, now=NOW, key="k1"
    )
    again = svc.create_ticket(
        db_session, data=ticket_request(), actor="bot", channel="rasa", rules=rules, now=NOW, key="k1"
    )
    assert again.number == first.number and not again.duplicate
    assert [e.kind for e in again.events] == ["created"]  # nothing added the second time
    added = svc.create_ticket(
        db_session, data=ticket_request(), actor="bot", channel="rasa", rules=rules, now=NOW, key="k2"
    )
    assert added.number == first.number and added.duplicate
    repeat = svc.create_ticket(
        db_session, data=ticket_request(), actor="bot", channel="rasa", rules=rules, now=NOW, key="k2"
    )
    assert repeat.duplicate and len(repeat.events) == 2


# --- State machine ---------------------------------------------------------------------------------


def test_full_lifecycle_keeps_every_step(db_session: Session, rules: TicketRules) -> None:
    ticket = _create(db_session, rules)
    n = ticket.number
    svc.assign(
        db_session,
        number=n,
        department="待遇保障科",
        assignee="王五",
        actor="班长",
        comment="派单",
        rules=rules,
    )
    svc.change_status(db_session, number=n, to_status="处理中", actor="王五", comment="", rules=rules)
    svc.change_status(
        db_session, number=n, to_status="挂起", actor="王五", comment="等来电人补材料", rules=rules
    )
    svc.change_status(db_session, number=n, to_status="处理中", actor="王五", comment="材料已补", rules=rules)
    closed = svc.change_status(
        db_session, number=n, to_status="已办结", actor="王五", comment="已拨付", rules=rules
    )
    assert closed.closed_at is not None
    visited = svc.add_callback(db_session, number=n, result="已到账", satisfaction="满意", actor="回访员")
    assert visited.status == "已回访" and visited.satisfaction == "满意"
    archived = svc.change_status(
        db_session, number=n, to_status="已归档", actor="班长", comment="", rules=rules
    )
    assert archived.status == "已归档"
    steps = [(e.from_status, e.to_status) for e in archived.events]
    assert steps == [
        (None, "新建"),
        ("新建", "已分派"),
        ("已分派", "处理中"),
        ("处理中", "挂起"),
        ("挂起", "处理中"),
        ("处理中", "已办结"),
        ("已办结", "已回访"),
        ("已回访", "已归档"),
    ]
    assert [e.actor for e in archived.events][1:3] == ["班长", "王五"]
    assert archived.callbacks[0].result == "已到账"


# The shortest path from 新建 to every status, through legal steps only.
_PATHS = {
    "新建": [],
    "已分派": ["已分派"],
    "处理中": ["已分派", "处理中"],
    "挂起": ["已分派", "挂起"],
    "退回": ["已分派", "退回"],
    "已办结": ["已分派", "处理中", "已办结"],
    "重开": ["已分派", "处理中", "已办结", "重开"],
}


def test_every_transition_outside_the_table_is_refused(db_session: Session, rules: TicketRules) -> None:
    checked = 0
    for index, (start, path) in enumerate(_PATHS.items()):
        ticket = _create(db_session, rules, caller_phone=f"1390000{index:04d}")
        _walk(db_session, rules, ticket.number, *path)
        for target in svc.STATUSES:
            if target in svc.TRANSITIONS[start] or target in ("已分派", "已回访"):
                continue
            with pytest.raises(IllegalTransition) as caught:
                svc.change_status(
                    db_session, number=ticket.number, to_status=target, actor="x", comment="试试", rules=rules
                )
            message = message_of(caught.value.key, **caught.value.fmt)
            assert start in message and target in message
            assert caught.value.status_code == 409 and isinstance(caught.value, Conflict)
            checked += 1
        # A refused change leaves no trace.
        assert svc.get_ticket(db_session, number=ticket.number).status == start
    assert checked > 30


def test_archived_is_terminal_and_named_in_the_message(db_session: Session, rules: TicketRules) -> None:
    ticket = _create(db_session, rules)
    _walk(db_session, rules, ticket.number, "已分派", "处理中", "已办结")
    svc.add_callback(db_session, number=ticket.number, result="好", satisfaction="基本满意", actor="回访员")
    _walk(db_session, rules, ticket.number, "已归档")
    with pytest.raises(IllegalTransition) as caught:
        _walk(db_session, rules, ticket.number, "重开")
    assert message_of(caught.value.key, **caught.value.fmt) == "工单当前状态为“已归档”，不能变更为“重开”。"


def test_statuses_with_their_own_operation(db_session: Session, rules: TicketRules) -> None:
    ticket = _create(db_session, rules)
    _walk(db_session, rules, ticket.number, "已分派", "退回")
    with pytest.raises(UseAssign):
        svc.change_status(db_session, number=ticket.number, to_status="已分派", actor="x", rules=rules)
    _walk(db_session, rules, ticket.number, "已分派", "处理中", "已办结")
    with pytest.raises(UseCallback):
        svc.change_status(db_session, number=ticket.number, to_status="已回访", actor="x", rules=rules)


@pytest.mark.parametrize("target", ["挂起", "退回"])
def test_reason_required(db_session: Session, rules: TicketRules, target: str) -> None:
    ticket = _create(db_session, rules)
    _walk(db_session, rules, ticket.number, "已分派")
    with pytest.raises(ReasonRequired):
        svc.change_status(
            db_session, number=ticket.number, to_status=target, actor="x", comment="  ", rules=rules
        )


def test_returned_order_is_redispatched(db_session: Session, rules: TicketRules) -> None:
    ticket = _create(db_session, rules)
    svc.assign(db_session, number=ticket.number, department="待遇保障科", assignee="王五", actor="班长")
    returned = svc.change_status(
        db_session, number=ticket.number, to_status="退回", actor="王五", comment="不属于本科室", rules=rules
    )
    assert returned.assignee is None
    moved = svc.assign(
        db_session, number=ticket.number, department="基金监管科", actor="班长", comment="改派"
    )
    assert (moved.status, moved.department) == ("已分派", "基金监管科")
    assert moved.events[-1].data == {
        "from_department": "待遇保障科",
        "department": "基金监管科",
        "assignee": None,
    }


def test_assign_checks_department_and_state(db_session: Session, rules: TicketRules) -> None:
    ticket = _create(db_session, rules)
    with pytest.raises(UnknownDepartment) as caught:
        svc.assign(db_session, number=ticket.number, department="不存在科", actor="班长", rules=rules)
    assert "不存在科" in message_of(caught.value.key, **caught.value.fmt)
    _walk(db_session, rules, ticket.number, "已分派", "处理中")
    with pytest.raises(IllegalTransition):
        svc.assign(db_session, number=ticket.number, department="待遇保障科", actor="班长", rules=rules)


def test_unknown_numbers(db_session: Session, rules: TicketRules) -> None:
    for number in ("GD202609309999", "bogus", ""):
        with pytest.raises(TicketNotFound) as caught:
            svc.get_ticket(db_session, number=number)
        assert isinstance(caught.value, NotFound) and caught.value.status_code == 404
    with pytest.raises(TicketNotFound):
        svc.change_status(db_session, number="GD202609309999", to_status="处理中", actor="x")
    with pytest.raises(ValueError, match="to_status"):
        svc.change_status(db_session, number="GD202609309999", to_status="done", actor="x")


# --- Callbacks ------------------------------------------------------------------------------------


def test_unsatisfied_callback_reopens_with_a_new_limit(db_session: Session, rules: TicketRules) -> None:
    ticket = _create(db_session, rules)
    _walk(db_session, rules, ticket.number, "已分派", "处理中", "已办结")
    later = local(2026, 12, 1, 9)
    unreached = svc.add_callback(
        db_session, number=ticket.number, result="电话无人接听", satisfaction=None, actor="回访员", now=later
    )
    assert unreached.status == "已办结" and unreached.callbacks[-1].satisfaction is None
    reopened = svc.add_callback(
        db_session,
        number=ticket.number,
        result="钱还没到",
        satisfaction="不满意",
        actor="回访员",
        rules=rules,
        now=later,
    )
    assert reopened.status == "重开" and reopened.closed_at is None
    assert reopened.due_at > later + dt.timedelta(days=30)  # 30 working days from the reopening
    assert reopened.events[-1].data == {"satisfaction": "不满意"}
    again = svc.assign(db_session, number=ticket.number, department="待遇保障科", actor="班长", now=later)
    assert again.status == "已分派"


def test_callback_only_after_closing(db_session: Session, rules: TicketRules) -> None:
    ticket = _create(db_session, rules)
    with pytest.raises(IllegalTransition):
        svc.add_callback(db_session, number=ticket.number, result="x", satisfaction="满意", actor="回访员")
    with pytest.raises(ValueError, match="satisfaction"):
        svc.add_callback(db_session, number=ticket.number, result="x", satisfaction="还行", actor="回访员")


# --- Caller self-service and masking -------------------------------------------------------------


def test_lookup_for_caller_is_masked_and_silent_on_mismatch(db_session: Session, rules: TicketRules) -> None:
    ticket = _create(db_session, rules)
    _walk(db_session, rules, ticket.number, "已分派")
    view = svc.lookup_for_caller(db_session, number=ticket.number, phone_last4="5678")
    assert view.caller_phone == "138****5678"
    assert view.caller_name == "张*"
    assert [p.status for p in view.progress] == ["新建", "已分派"]
    assert "description" not in view.model_dump()
    messages = set()
    for number, last4 in [
        (ticket.number, "1234"),
        ("GD202609300099", "5678"),
        ("nonsense", "5678"),
        (ticket.number, "56"),
    ]:
        with pytest.raises(TicketLookupFailed) as caught:
            svc.lookup_for_caller(db_session, number=number, phone_last4=last4)
        messages.add(message_of(caught.value.key, **caught.value.fmt))
    assert len(messages) == 1  # the same words whichever part was wrong


def test_present_masks_for_agents_but_not_for_the_assignee(db_session: Session, rules: TicketRules) -> None:
    ticket = _create(
        db_session, rules, transcript=[{"speaker": "caller", "text": "身份证110101199003071234"}]
    )
    ticket = svc.assign(
        db_session, number=ticket.number, department="待遇保障科", assignee="王五", actor="班长"
    )
    agent = svc.present(ticket, role="agent", actor="李四")
    assert agent.caller_phone == "138****5678"
    assert "13812345678" not in agent.model_dump_json()
    assert "110101199003071234" not in agent.model_dump_json()
    assert svc.present(ticket, role="agent", actor="王五").caller_phone == "13812345678"
    assert svc.present(ticket, role="supervisor").caller_phone == "13812345678"


# --- Listing --------------------------------------------------------------------------------------


def test_list_filters(db_session: Session, rules: TicketRules) -> None:
    a = _create(db_session, rules, caller_phone="13800000001")  # 待遇保障科, due 17 Nov
    b = _create(db_session, rules, category="举报", caller_phone="13800000002", now=local(2026, 10, 9))
    c = _create(db_session, rules, topic="人工回电", category="求助", caller_phone="13800000003")
    _walk(db_session, rules, a.number, "已分派")
    later = local(2026, 10, 2, 12)  # c (24 h) is overdue by then
    assert svc.list_tickets(db_session, now=later).total == 3
    assert [t.number for t in svc.list_tickets(db_session, status="已分派").items] == [a.number]
    assert [t.number for t in svc.list_tickets(db_session, status=["新建"], now=later).items] == [
        b.number,
        c.number,
    ]
    assert [t.number for t in svc.list_tickets(db_session, department="基金监管科").items] == [b.number]
    overdue = svc.list_tickets(db_session, overdue=True, now=later)
    assert [t.number for t in overdue.items] == [c.number] and overdue.items[0].overdue
    assert {t.number for t in svc.list_tickets(db_session, overdue=False, now=later).items} == {
        a.number,
        b.number,
    }
    since = svc.list_tickets(db_session, since=local(2026, 10, 1, 0))
    assert [t.number for t in since.items] == [b.number]
    until = svc.list_tickets(db_session, until=local(2026, 10, 1, 0))
    assert {t.number for t in until.items} == {a.number, c.number}
    page = svc.list_tickets(db_session, limit=1, offset=1)
    assert page.total == 3 and len(page.items) == 1
    with pytest.raises(ValueError, match="limit"):
        svc.list_tickets(db_session, limit=0)
    with pytest.raises(ValueError, match="status"):
        svc.list_tickets(db_session, status="open")


# --- Escalation -----------------------------------------------------------------------------------


def test_escalation_raises_priority_once_and_notifies(db_session: Session, rules: TicketRules) -> None:
    late = _create(db_session, rules, topic="人工回电", category="求助", caller_phone="13800000001")
    waiting = _create(db_session, rules, topic="人工回电", category="求助", caller_phone="13800000002")
    closed = _create(db_session, rules, topic="人工回电", category="求助", caller_phone="13800000003")
    on_time = _create(db_session, rules, caller_phone="13800000004")
    _walk(db_session, rules, waiting.number, "已分派", "挂起")
    _walk(db_session, rules, closed.number, "已分派", "处理中", "已办结")
    after = NOW + dt.timedelta(hours=25)
    assert svc.escalate_overdue(db_session, now=NOW, rules=rules) == []
    assert svc.escalate_overdue(db_session, now=after, rules=rules) == [late.number]
    assert svc.escalate_overdue(db_session, now=after + dt.timedelta(hours=1), rules=rules) == []
    escalated = svc.get_ticket(db_session, number=late.number, now=after)
    assert escalated.priority == "紧急" and escalated.escalated_at == after and escalated.overdue
    assert escalated.events[-1].kind == "escalated" and escalated.events[-1].actor == "system"
    notes = svc.list_notifications(db_session)
    assert [n["number"] for n in notes] == [late.number]
    assert late.number in notes[0]["message"] and "紧急" in notes[0]["message"]
    assert svc.get_ticket(db_session, number=on_time.number).priority == "一般"
    assert db_session.scalar(select(func.count(TicketNotification.id))) == 1


def test_reopened_order_can_escalate_again_up_to_the_top(db_session: Session, rules: TicketRules) -> None:
    ticket = _create(db_session, rules, topic="人工回电", category="求助", priority="紧急")
    first = NOW + dt.timedelta(hours=25)
    assert svc.escalate_overdue(db_session, now=first, rules=rules) == [ticket.number]
    _walk(db_session, rules, ticket.number, "已分派", "处理中", "已办结", now=first)
    svc.add_callback(
        db_session,
        number=ticket.number,
        result="没解决",
        satisfaction="不满意",
        actor="回访员",
        rules=rules,
        now=first,
    )
    second = first + dt.timedelta(hours=25)
    assert svc.escalate_overdue(db_session, now=second, rules=rules) == [ticket.number]
    final = svc.get_ticket(db_session, number=ticket.number)
    assert final.priority == "特急"
    assert [e.kind for e in final.events].count("escalated") == 2


def test_every_change_writes_an_event(db_session: Session, rules: TicketRules) -> None:
    ticket = _create(db_session, rules)
    _walk(db_session, rules, ticket.number, "已分派", "处理中", "已办结")
    rows = db_session.scalars(select(TicketEvent).order_by(TicketEvent.id)).all()
    assert [r.kind for r in rows] == ["created", "assign", "status", "status"]
    assert all(r.at.tzinfo is not None for r in rows)


# --- Vocabulary -----------------------------------------------------------------------------------


def test_schema_vocabulary_matches_the_service() -> None:
    from typing import get_args

    from api.schemas import TicketCategory, TicketPriority

    assert tuple(TicketStatus) == svc.STATUSES
    assert get_args(TicketCategory) == svc.CATEGORIES
    assert get_args(TicketPriority) == svc.PRIORITIES
    assert set(svc.TRANSITIONS) == set(svc.STATUSES)
    assert all(targets <= set(svc.STATUSES) for targets in svc.TRANSITIONS.values())
    assert svc.OPEN_STATUSES | svc.CLOSED_STATUSES == set(svc.STATUSES)


def test_status_enum_round_trip(db_session: Session, rules: TicketRules) -> None:
    """Members go in, the same Chinese words are stored, members come back out."""
    ticket = _create(db_session, rules)
    assert ticket.status is TicketStatus.NEW and ticket.model_dump(mode="json")["status"] == "新建"
    svc.assign(db_session, number=ticket.number, department="待遇保障科", actor="班长", rules=rules)
    moved = svc.change_status(
        db_session, number=ticket.number, to_status=TicketStatus.IN_PROGRESS, actor="王五", rules=rules
    )
    stored = db_session.execute(
        text("SELECT status FROM tickets WHERE number = :n"), {"n": ticket.number}
    ).scalar_one()
    assert stored == "处理中" and type(stored) is str
    events = db_session.execute(text("SELECT to_status FROM ticket_events ORDER BY id")).scalars().all()
    assert events == ["新建", "已分派", "处理中"]
    assert moved.status is TicketStatus.IN_PROGRESS
    assert [e.to_status for e in moved.events] == ["新建", "已分派", "处理中"]
    assert [p.status for p in svc.caller_view(moved).progress] == [
        TicketStatus.NEW,
        TicketStatus.ASSIGNED,
        TicketStatus.IN_PROGRESS,
    ]
    listed = svc.list_tickets(db_session, status=[TicketStatus.IN_PROGRESS, "已分派"])
    assert [t.status for t in listed.items] == [TicketStatus.IN_PROGRESS]
    assert TicketPublic.model_validate_json(moved.model_dump_json()).status is TicketStatus.IN_PROGRESS


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("138 1234 5678", "13812345678"),
        ("+86-138-1234-5678", "13812345678"),
        ("(010) 8765-4321", "01087654321"),
    ],
)
def test_phone_is_stored_as_digits(raw: str, stored: str) -> None:
    assert ticket_request(caller_phone=raw).caller_phone == stored


@pytest.mark.parametrize("raw", ["12", "138123456789012345", "call me"])
def test_bad_phone_is_refused(raw: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="caller_phone"):
        ticket_request(caller_phone=raw)


def test_service_arguments_are_checked(db_session: Session, rules: TicketRules) -> None:
    with pytest.raises(TypeError, match="data"):
        svc.create_ticket(db_session, data={"category": "投诉"}, actor="bot", channel="rasa")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="actor"):
        svc.create_ticket(db_session, data=ticket_request(), actor=" ", channel="rasa", rules=rules)
