"""knowledge/doc_drafts.py: uncited fact sentences of a document become draft entries with stable ids."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from api.services.kb_entries import validate
from api.settings import PROJECT_ROOT
from knowledge.catalog import parse_entry
from knowledge.coverage import load_fact_patterns
from knowledge.doc_drafts import propose

NOTICE = (PROJECT_ROOT / "tests" / "data" / "documents" / "kaifeng_chronic_notice.txt").read_text(
    encoding="utf-8"
)


def _document(tmp_path: Path, text: str = NOTICE, name: str = "开封慢特病通知.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_each_fact_line_becomes_a_valid_draft_with_the_documents_metadata(tmp_path: Path) -> None:
    drafts = propose(_document(tmp_path), [], load_fact_patterns())
    assert [d.line for d in drafts] == [5, 7, 9]  # the closing sentence states no fact
    time_limit = drafts[0]
    assert time_limit.types == ("time_limit",)
    data = time_limit.data
    assert data["answer"] == "门诊慢特病待遇认定在受理后15个工作日内完成。"
    assert data["region"] == "河南/开封" and data["effective"] == "2024-03-01"
    assert data["source"] == "开封慢特病通知.txt L5" and data["topic"] == "办理时限"
    assert data["points"] == {"time_limit": data["answer"]}
    assert len(data["questions"]) >= 3 and all(q.startswith("开封门诊慢特病") for q in data["questions"])
    assert any("多长时间" in q for q in data["questions"])  # the question asks for the fact's type
    for draft in drafts:  # the editor's validation and the catalog accept every draft as it is
        assert validate(draft.data).id == draft.id
        parse_entry(dict(draft.data), "test")


def test_ids_are_stable_and_a_cited_line_is_skipped(tmp_path: Path) -> None:
    path = _document(tmp_path)
    first = propose(path, [], load_fact_patterns())
    again = propose(path, [], load_fact_patterns())
    assert [d.id for d in first] == [d.id for d in again]
    citing = replace(validate(first[0].data), id="kaifeng-chronic-time-limit")  # an entry citing line 5
    rest = propose(path, [citing], load_fact_patterns())
    assert [d.line for d in rest] == [7, 9]
    assert [d.id for d in rest] == [d.id for d in first[1:]]


def test_a_restricted_document_proposes_nothing(tmp_path: Path) -> None:
    path = _document(tmp_path, "内部资料 不予公开\n" + NOTICE, name="internal.txt")
    assert propose(path, [], load_fact_patterns()) == []
