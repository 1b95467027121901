"""Knowledge a centre learns: drafts from documents, clusters of what the line could not answer,
stale and conflicting entries, on SQLite and the real embedding model."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from api.db import unit_of_work
from api.services import kb_clusters, kb_drafts, kb_editor, kb_health, knowledge
from api.services.conversations import store
from api.services.registry import get_session_factory
from api.settings import PROJECT_ROOT, Settings

pytestmark = pytest.mark.integration

ENTRIES = PROJECT_ROOT / "knowledge" / "entries"
NOTICE = (PROJECT_ROOT / "tests" / "data" / "documents" / "kaifeng_chronic_notice.txt").read_text(
    encoding="utf-8"
)
CARD_ANSWER = "社保卡丢失请先拨打12345挂失，再带身份证到就近的社保卡服务网点补办，一般当场可以领取。"


@pytest.fixture
def learn_settings(tmp_path: Path) -> Iterator[Settings]:
    """Two curated files (a small, fast index), a SQLite database and a policy notice of their own."""
    entries = tmp_path / "entries"
    entries.mkdir()
    for name in ("reimbursement.yaml", "maternity.yaml"):
        shutil.copy(ENTRIES / name, entries / name)
    (tmp_path / "开封慢特病通知.txt").write_text(NOTICE, encoding="utf-8")
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'learn.db'}",
        kb_entries_dir=entries,
        kb_documents=[],
        kb_cluster_interval_s=0,
    )
    knowledge.build_index(settings, progress=False)
    kb_clusters.forget()
    yield settings
    knowledge.reset()
    kb_clusters.forget()


@pytest.fixture
def session(learn_settings: Settings) -> Iterator[Session]:
    with unit_of_work(get_session_factory(learn_settings)) as db:
        yield db


def test_ingest_proposes_each_fact_once_and_a_rejected_draft_stays_out(
    session: Session, learn_settings: Settings, tmp_path: Path
) -> None:
    notice = tmp_path / "开封慢特病通知.txt"
    first = kb_drafts.propose_from_documents(session, learn_settings, [notice])
    assert len(first.created) == 3 and first.known == 0
    queue = kb_drafts.queue(session, learn_settings, origin="document")
    assert {item.summary.id for item in queue} == set(first.created)
    assert all(
        item.summary.status == "new" and item.draft.author == kb_drafts.INGEST_AUTHOR for item in queue
    )
    assert all("开封慢特病通知.txt" in item.draft.reason for item in queue)

    again = kb_drafts.propose_from_documents(session, learn_settings, [notice])
    assert again.created == [] and again.known == 3  # re-ingesting duplicates nothing

    rejected = first.created[0]
    kb_drafts.reject(session, learn_settings, entry_id=rejected, by="editor1", reason="不适合来电人")
    assert rejected not in {i.summary.id for i in kb_drafts.queue(session, learn_settings)}
    third = kb_drafts.propose_from_documents(session, learn_settings, [notice])
    assert third.created == [] and third.known == 3  # the rejected proposal is not proposed again
    with pytest.raises(kb_editor.EntryRetired):
        kb_drafts.reject(session, learn_settings, entry_id=rejected, by="editor1", reason="再拒一次")


def test_an_accepted_document_draft_answers_callers_with_its_date(
    session: Session, learn_settings: Settings, tmp_path: Path
) -> None:
    question = "开封门诊慢特病认定要多长时间"
    before = knowledge.answer(question, region="开封", settings=learn_settings)
    assert "15个工作日" not in before.text
    report = kb_drafts.propose_from_documents(session, learn_settings, [tmp_path / "开封慢特病通知.txt"])
    time_limit = next(
        i.summary.id for i in kb_drafts.queue(session, learn_settings) if "15个工作日" in i.summary.title
    )
    assert time_limit in report.created
    result = kb_drafts.accept(session, learn_settings, entry_id=time_limit, by="editor1")
    assert result.published == [time_limit] and result.added_or_changed == 1
    after = knowledge.answer(question, region="开封", settings=learn_settings)
    assert after.kind == "answer" and after.entry_id == time_limit and "15个工作日" in after.text
    # Effective 2024-03-01, reviewed every 12 months: by now it is stale, and the answer says its date.
    assert after.text.endswith("以上为2024年3月的规定，请以最新政策为准。")
    review = kb_health.review(session, learn_settings)
    assert time_limit in {s.id for s in review.stale}
    fresh = learn_settings.model_copy(update={"kb_review_months": 0})
    knowledge.reset()
    assert "以上为" not in knowledge.answer(question, region="开封", settings=fresh).text
    knowledge.reset()


def test_a_published_entry_that_disagrees_is_flagged_as_a_conflict(
    session: Session, learn_settings: Settings
) -> None:
    assert kb_health.review(session, learn_settings).conflicts == []  # the curated files agree
    kaifeng = kb_editor.get_entry(session, learn_settings, entry_id="reimbursement-kaifeng-30-working-days")
    assert kaifeng.published is not None
    rival = {
        **kaifeng.published,
        "id": "reimbursement-kaifeng-20-days",
        "title": "开封零星报销20个工作日",
        "answer": "开封市手工零星报销在20个工作日内办完。",
        "points": {"time_limit": "20个工作日"},
    }
    kb_editor.save(
        session,
        learn_settings,
        data=kb_editor.EntryIn.model_validate(rival),
        author="editor1",
        reason="新文件",
        create=True,
    )
    assert kb_health.review(session, learn_settings).conflicts == []  # a draft is not live yet
    kb_editor.publish(session, learn_settings, by="editor1", entry_ids=[rival["id"]])
    (conflict,) = kb_health.review(session, learn_settings).conflicts
    assert conflict.entry_ids == ["reimbursement-kaifeng-30-working-days", rival["id"]]
    assert conflict.region == "河南/开封" and conflict.topic == kaifeng.published["topic"]
    assert conflict.figures == ["30个工作日", "20个工作日"] and "零星报销" in conflict.about


def _conversation(settings: Settings, session_id: str, turns: list[tuple[str, str, str | None]]) -> None:
    with unit_of_work(get_session_factory(settings)) as db:
        conv = store.get_or_create(db, session_id, "web")
        for speaker, text, kind in turns:
            store.add_turn(db, conv, speaker, text, kind)


def test_declined_and_handed_over_questions_cluster_and_become_a_draft(
    session: Session, learn_settings: Settings
) -> None:
    declined = "这个问题我暂时没法给您准确答复"
    for i, question in enumerate(["医保卡丢了怎么补办", "我的医保卡找不到了咋办", "医保卡丢了能补吗"]):
        _conversation(
            learn_settings, f"learn-card-{i}", [("caller", question, None), ("bot", declined, "abstain")]
        )
    _conversation(  # handed over: the agent's long reply is the answer to the declined question
        learn_settings,
        "learn-card-agent",
        [
            ("caller", "社保卡掉了去哪补，我手机号13812345678", None),
            ("bot", declined, "abstain"),
            ("caller", "转人工", None),
            ("agent", "您好，我是坐席小王", None),
            ("agent", CARD_ANSWER, None),
        ],
    )
    for i, question in enumerate(["退休以后医保还要交多少年", "退休了医保得缴满几年"]):
        _conversation(
            learn_settings, f"learn-retire-{i}", [("caller", question, None), ("bot", declined, "abstain")]
        )
    _conversation(
        learn_settings,
        "learn-answered",
        [("caller", "生育津贴多久到账", None), ("bot", "20个工作日", "answer")],
    )

    found = kb_clusters.compute(session, learn_settings)
    assert [c.count for c in found] == [4, 2]
    card, retire = found
    assert set(card.examples) >= {"医保卡丢了怎么补办", "我的医保卡找不到了咋办", "医保卡丢了能补吗"}
    assert card.kinds == {"abstain": 3, "handoff": 1} and card.agent_answer == CARD_ANSWER
    assert not any("13812345678" in q for q in card.examples)  # masked before it leaves the service
    assert retire.agent_answer is None and "生育津贴多久到账" not in retire.examples

    version = kb_clusters.make_draft(session, learn_settings, key=card.key, author="editor1")
    assert version.entry_id == card.draft_id and version.data is not None
    assert version.data["answer"] == CARD_ANSWER and version.data["questions"][0] == card.question
    assert version.data["region"] is None and "来电学习" in version.data["source"]
    (queued,) = kb_drafts.queue(session, learn_settings, origin="line")
    assert queued.summary.id == card.draft_id
    with pytest.raises(kb_editor.EntryInvalid):  # nothing an agent said: the editor writes the answer
        kb_clusters.make_draft(session, learn_settings, key=retire.key, author="editor1")
    with pytest.raises(kb_clusters.ClusterNotFound):
        kb_clusters.make_draft(session, learn_settings, key="0000000000", author="editor1")
