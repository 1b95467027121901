"""Live agent assist on the real knowledge index (curated entries only) and the real database:
suggestions follow the caller's latest words and 参保地, the 一次性告知 checklist turns told as the
agent speaks, feedback is kept and counted, and the agent's view masks numbers unless held."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from api.db import unit_of_work
from api.services import assist, assist_feedback
from api.services import knowledge as kb_service
from api.services.conversations import handoff, store
from api.services.registry import get_session_factory
from api.settings import Settings


@pytest.fixture(scope="session")
def assist_index_dir(request: pytest.FixtureRequest) -> Iterator[Path]:
    """The curated-entries index in pytest's cache (the console tests' folder: built once, incrementally)."""
    data = Path(request.config.cache.mkdir("console-index"))
    kb_service.build_index(Settings(data_dir=data, kb_documents=[], _env_file=None), progress=False)  # type: ignore[call-arg]
    yield data
    kb_service.reset()


@pytest.fixture
def settings(make_db_settings: Callable[..., Settings], assist_index_dir: Path) -> Settings:
    return make_db_settings(data_dir=assist_index_dir, kb_documents=[])


def _caller(settings: Settings, session_id: str, *texts: str) -> None:
    for said in texts:
        store.record_turn(session_id, "caller", said, channel="web", settings=settings)


def _hand_off(
    settings: Settings, session_id: str, slots: dict | None = None, agent: str | None = None
) -> None:
    with unit_of_work(get_session_factory(settings)) as db:
        handoff.request(db, session_id=session_id, reason="caller_request", slots=slots or {})
        if agent:
            handoff.accept(db, session_id=session_id, agent=agent)


def test_suggestions_follow_region_and_topic(settings: Settings) -> None:
    _caller(settings, "as-1", "你好，我是太原的", "我想问一下异地就医怎么备案")
    view = assist.suggest("as-1", settings=settings)
    assert view.region == "山西/太原" and view.topic and "异地就医" in view.topic
    assert 1 <= len(view.suggestions) <= 3
    top = view.suggestions[0]
    assert top.decided and top.entry_id == "out-of-area-taiyuan-self-filing"
    assert all(s.applies for s in view.suggestions)
    assert all(s.sources and s.sources[0].title for s in view.suggestions)
    assert len({s.entry_id for s in view.suggestions}) == len(view.suggestions)

    # The caller keeps talking: the suggestions move to the new topic, the view's position too.
    before = assist.signature("as-1", settings=settings)
    _caller(settings, "as-1", "生孩子的生育津贴多久能到账")
    after = assist.signature("as-1", settings=settings)
    assert after[0] > before[0]
    moved = assist.suggest("as-1", settings=settings)
    assert moved.last_seq == after[0]
    assert any("生育" in s.title for s in moved.suggestions)  # 生育津贴, 生育保险待遇
    assert not any("异地就医" in (s.topic or "") for s in moved.suggestions)


def test_region_named_in_the_question_wins(settings: Settings) -> None:
    _caller(settings, "as-2", "杭州的生育津贴多久能到账？")
    view = assist.suggest("as-2", settings=settings)
    assert view.region == "浙江/杭州"
    assert view.suggestions[0].region == "浙江/杭州"
    assert view.suggestions[0].applies
    # Words without a question (a name, a number) keep the suggestions of the question before.
    _caller(settings, "as-2", "好的，我叫王芳")
    later = assist.suggest("as-2", settings=settings)
    assert "杭州的生育津贴" in later.query
    assert later.suggestions[0].entry_id == view.suggestions[0].entry_id


def test_checklist_turns_told_as_the_agent_answers(settings: Settings) -> None:
    _caller(settings, "as-3", "我是太原的", "跨省异地就医怎么备案")
    _hand_off(settings, "as-3", agent="zhang")
    view = assist.suggest("as-3", settings=settings)
    assert view.checklist_entry == view.suggestions[0].entry_id
    required = [c.key for c in view.checklist if c.required]
    assert required == ["materials", "channel", "time_limit"]  # the rule set's notice_points, in order
    assert not any(c.told for c in view.checklist)
    assert {c.label for c in view.checklist} >= {"所需材料", "办理渠道", "办理时限"}

    store.add_agent_turn(
        "as-3", "您可以自助备案，不需要证明材料，个人承诺即可。", agent="zhang", settings=settings
    )
    told = {c.key: c.told for c in assist.suggest("as-3", settings=settings).checklist}
    assert told["materials"] and told["channel"] and not told["time_limit"]


def test_no_caller_words_no_suggestions(settings: Settings) -> None:
    store.record_turn("as-4", "system", "来电接通", channel="phone", settings=settings)
    view = assist.suggest("as-4", settings=settings)
    assert view.channel == "phone" and view.suggestions == [] and view.checklist == []


def test_unknown_conversation(settings: Settings) -> None:
    with pytest.raises(store.UnknownSession):
        assist.suggest("never-seen", settings=settings)


def test_feedback_is_kept_and_counted(db_settings: Settings) -> None:
    _caller(db_settings, "fb-1", "异地就医怎么备案")
    _caller(db_settings, "fb-2", "异地就医怎么备案")
    factory = get_session_factory(db_settings)
    with factory() as db:
        first = assist_feedback.record_feedback(
            db, session_id="fb-1", entry_id="e-1", useful=True, agent="zhang"
        )
        assert (first.useful, first.not_useful, first.total) == (1, 0, 1)
        # Marking again changes the vote rather than counting twice.
        again = assist_feedback.record_feedback(
            db, session_id="fb-1", entry_id="e-1", useful=False, agent="zhang"
        )
        assert (again.useful, again.not_useful, again.total) == (0, 1, 1)
        assist_feedback.record_feedback(db, session_id="fb-1", entry_id="e-1", useful=True, agent="li")
        assist_feedback.record_feedback(db, session_id="fb-2", entry_id="e-1", useful=True, agent="zhang")
        assist_feedback.record_feedback(db, session_id="fb-2", entry_id="e-2", useful=False, agent="zhang")
        counts = assist_feedback.feedback_counts(db, titles={"e-1": "条目一"})
    assert [(c.entry_id, c.useful, c.not_useful, c.total) for c in counts] == [
        ("e-1", 2, 1, 3),
        ("e-2", 0, 1, 1),
    ]
    assert counts[0].title == "条目一" and counts[0].last_at is not None


def test_feedback_refuses_bad_input(db_settings: Settings) -> None:
    _caller(db_settings, "fb-3", "你好")
    with get_session_factory(db_settings)() as db:
        with pytest.raises(assist_feedback.InvalidFeedback):
            assist_feedback.record_feedback(
                db, session_id="fb-3", entry_id="bad id!", useful=True, agent="zhang"
            )
        with pytest.raises(store.UnknownSession):
            assist_feedback.record_feedback(
                db, session_id="nobody", entry_id="e-1", useful=True, agent="zhang"
            )


def test_conversation_view_masks_unless_held(db_settings: Settings) -> None:
    _caller(db_settings, "cv-1", "我是太原的，报销还没到账", "我的电话是13812345678，我叫王芳")
    slots = {"ticket_phone": "13812345678", "ticket_name": "王芳", "topic": "报销进度"}
    _hand_off(db_settings, "cv-1", slots=slots, agent="zhang")

    held = assist.conversation_view("cv-1", viewer="zhang", role="agent", settings=db_settings)
    assert held.held_by_viewer and held.unmasked
    assert held.slots["ticket_phone"] == "13812345678"
    assert held.draft.caller_phone == "13812345678" and held.draft.caller_name == "王芳"
    assert held.draft.region == "太原" and held.draft.topic == "报销进度"
    assert "报销还没到账" in held.draft.description and held.draft.conversation_id == "cv-1"
    assert [t.speaker for t in held.draft.transcript] == ["caller", "caller"]

    other = assist.conversation_view("cv-1", viewer="li", role="agent", settings=db_settings)
    assert not other.unmasked
    assert other.slots["ticket_phone"] == "138****5678"
    assert other.draft.caller_phone == "138****5678"
    assert all("13812345678" not in t.text for t in other.turns)
    assert all("13812345678" not in t.text for t in other.draft.transcript)

    supervisor = assist.conversation_view("cv-1", viewer="boss", role="supervisor", settings=db_settings)
    assert supervisor.unmasked and "13812345678" in supervisor.turns[-1].text


def test_work_order_draft_holds_only_the_handed_over_matter(db_settings: Settings) -> None:
    """An earlier, settled question stays out of the order; the phone number said then is still used."""
    _caller(db_settings, "cv-2", "我的电话是13812345678", "门诊慢特病怎么申请")
    store.record_turn(
        "cv-2",
        "bot",
        "门诊慢特病可以在参保地医保经办机构申请……",
        channel="web",
        kind="answer",
        settings=db_settings,
    )
    _caller(db_settings, "cv-2", "医院多收了我三百块钱，我要投诉")
    _hand_off(db_settings, "cv-2", agent="zhang")
    _caller(db_settings, "cv-2", "是上周五在市一院交的费")
    view = assist.conversation_view("cv-2", viewer="zhang", role="agent", settings=db_settings)
    draft = view.draft
    assert draft.caller_phone == "13812345678"
    assert "医院多收了我三百块钱" in draft.description and "上周五在市一院" in draft.description
    assert "门诊慢特病" not in draft.description
    assert [t.text for t in draft.transcript] == ["医院多收了我三百块钱，我要投诉", "是上周五在市一院交的费"]
    assert len(view.turns) == 5  # the agent still sees the whole conversation
