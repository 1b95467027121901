"""Names a document gives its measures that the citing entry's answer restates but leaves out."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.kept_names import char_pairs, dropped_names, shared_share
from tests.knowledge.hits import cited_entry

DOC = "900_0123456789abcdef.txt"
INTERNAL = "902_00112233445566aa.txt"

DOC_TEXT = "\n".join(
    [
        "某市医保服务创新做法",  # 1 heading
        "参保人出院时在医院窗口直接结算报销费用，实现“同院结”。市里还开展“我为群众办实事”活动。",  # 2
        "在社区设立“医保 e 站”，老人可就近办理参保登记和异地备案。",  # 3
        "全市推行“一单结算”，各项待遇一次结清。",  # 4
    ]
)


@pytest.fixture
def documents(tmp_path: Path) -> list[Path]:
    doc = tmp_path / DOC
    doc.write_text(DOC_TEXT, encoding="utf-8")
    internal = tmp_path / INTERNAL
    internal.write_text("(内部资料)\n出院时在医院窗口直接结算，实现“同院结”。\n", encoding="utf-8")
    return [doc, internal]


def test_a_name_the_answer_restates_without_saying_is_listed(documents: list[Path]) -> None:
    entry = cited_entry(
        "settle", f"{DOC} L2-4", "出院的时候在医院窗口就能直接结算报销的费用，不用再跑医保局。"
    )
    found = dropped_names(documents, [entry])
    # Line 2's first sentence is restated: its name is listed. The slogan sits in a sentence the
    # answer does not restate, and lines 3 and 4 are other facts of the cited range.
    assert [(d.entry_id, d.document, d.line, d.name) for d in found] == [("settle", DOC, 2, "同院结")]
    assert found[0].shared >= 0.3
    assert found[0].sentence.startswith("参保人出院时")


def test_a_name_said_in_the_answer_is_not_listed_even_spaced_otherwise(documents: list[Path]) -> None:
    said = cited_entry("station", f"{DOC} L3", "社区里设有“医保e站”，老人可以就近办理参保登记和异地备案。")
    plain = cited_entry(
        "station-plain", f"{DOC} L3", "社区里设有服务站，老人可以就近办理参保登记和异地备案。"
    )
    found = dropped_names(documents, [said, plain])
    assert [(d.entry_id, d.name) for d in found] == [("station-plain", "医保 e 站")]


def test_restricted_and_unlisted_documents_are_not_read(documents: list[Path]) -> None:
    entry = cited_entry(
        "internal", f"{INTERNAL} L2; 903_ffffffffffffffff.txt L1", "出院时在医院窗口直接结算。"
    )
    assert dropped_names(documents, [entry]) == []


def test_the_threshold_is_checked_and_applied(documents: list[Path]) -> None:
    entry = cited_entry("settle", f"{DOC} L2", "出院的时候在医院窗口就能直接结算报销的费用。")
    assert dropped_names(documents, [entry], min_shared=1.0) == []
    with pytest.raises(ValueError, match="min_shared"):
        dropped_names(documents, [entry], min_shared=0.0)


def test_character_pairs_ignore_spaces_and_punctuation() -> None:
    assert char_pairs("医保 e 站，") == {"医保", "保e", "e站"}
    assert shared_share("医保e站", char_pairs("这里是医保e站")) == 1.0
    assert shared_share("，。", char_pairs("任何话")) == 0.0
