"""Coverage of documents by curated entries: fact sentences, citations, restricted documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.catalog import load_entries
from knowledge.coverage import (
    citations,
    document_lines,
    load_fact_patterns,
    measure_coverage,
    parse_fact_patterns,
    parse_source,
    shorten,
)
from tests.knowledge.hits import cited_entry

PUBLIC = "900_0123456789abcdef.txt"
OTHER = "901_fedcba9876543210.txt"
INTERNAL = "902_00112233445566aa.txt"

PUBLIC_TEXT = "\n".join(
    [
        "开封市医疗保障局关于经办服务的通知",  # 1 title: a heading, no fact
        "今天是2020年01月15日星期三",  # 2 boilerplate, dropped but keeps its number
        "一、办理时限",  # 3 heading
        "手工零星报销30个工作日内完成。生育津贴按月发放。",  # 4 time limit, then no fact
        "参保人可通过“豫事办”APP申请异地就医备案。",  # 5 eligibility, channel, named service
        "",  # 6
        "住院费用抽查比例不低于5%，起付线为600元。",  # 7 ratio, amount
        "坚持“放管服”改革，做到政策“一口清”。",  # 8 slogans in quotes: no fact
        "职工医保费用由单位按月缴纳。",  # 9 eligibility word and a rule word
        "退休职工座谈会在市里召开。",  # 10 eligibility word without a rule: no fact
    ]
)


@pytest.fixture
def documents(tmp_path: Path) -> list[Path]:
    public = tmp_path / "docs" / PUBLIC
    public.parent.mkdir()
    public.write_text(PUBLIC_TEXT, encoding="utf-8")
    other = tmp_path / "docs" / OTHER
    other.write_text("窗口办理时间为5个工作日。\n服务热线电话12393全天接听。\n", encoding="utf-8")
    internal = tmp_path / "docs" / INTERNAL
    internal.write_text("(内部资料)\n稽核每季度不少于1次，抽查比例10%。\n", encoding="utf-8")
    return [public, other, internal]


def test_source_cites_lines_and_ranges_per_document() -> None:
    cited = parse_source(f"{PUBLIC} L4; L7–9; {OTHER} L2-L3; L5 至 6")
    assert cited == {PUBLIC: [(4, 4), (7, 9)], OTHER: [(2, 3), (5, 6)]}


@pytest.mark.parametrize("source", ["L4", f"{PUBLIC} L9-7"])
def test_bad_sources_are_refused(source: str) -> None:
    with pytest.raises(ValueError, match="source"):
        parse_source(source)


def test_citations_name_the_entry_with_a_bad_source() -> None:
    with pytest.raises(ValueError, match="broken"):
        citations([cited_entry("broken", "L1")])


def test_boilerplate_line_keeps_its_number(documents: list[Path]) -> None:
    lines, restricted = document_lines(documents[0])
    assert not restricted
    assert lines[1] == ""
    assert lines[3].startswith("手工零星报销30个工作日")


def test_fact_sentences_and_uncited_ones(documents: list[Path]) -> None:
    entries = [
        cited_entry("kaifeng-reimbursement", f"{PUBLIC} L4"),
        cited_entry("kaifeng-review", f"{PUBLIC} L6–7; {OTHER} L2"),
    ]
    report = measure_coverage(documents, entries)
    public, other, internal = report.documents

    assert [(f.line, f.types) for f in public.facts] == [
        (4, ("time_limit",)),
        (5, ("channel", "named_service", "eligibility")),
        (7, ("amount", "ratio")),
        (9, ("eligibility",)),
    ]
    assert public.facts[0].cited_by == ("kaifeng-reimbursement",)
    assert public.facts[2].cited_by == ("kaifeng-review",)
    assert [f.line for f in public.uncited] == [5, 9]
    assert [f.line for f in other.uncited] == [1]
    assert internal.skipped == "restricted" and not internal.facts

    summary = report.summary()
    assert summary == {
        "documents": 2,
        "skipped": [INTERNAL],
        "fact_sentences": 6,
        "cited": 3,
        "uncited": 3,
        "coverage_pct": 50.0,
    }
    assert report.by_type["time_limit"] == (2, 1)
    assert report.by_type["channel"] == (3, 1)


def test_entries_from_yaml_cite_their_lines(tmp_path: Path, documents: list[Path]) -> None:
    (tmp_path / "e.yaml").write_text(
        f"- id: all-public\n  topic: t\n  audience: public\n  effective: 2023\n"
        f"  source: {PUBLIC} L1-10\n  questions: [a, b, c]\n  answer: x\n",
        encoding="utf-8",
    )
    report = measure_coverage(documents[:1], load_entries(tmp_path / "e.yaml"))
    assert report.summary()["coverage_pct"] == 100.0
    data = report.to_dict(include_cited=True)
    assert data["documents"][0]["uncited"] == []
    assert {f["line"] for f in data["documents"][0]["cited_sentences"]} == {4, 5, 7, 9}
    assert data["documents"][0]["cited_sentences"][0]["cited_by"] == ["all-public"]


def test_nothing_to_cite_counts_as_covered(tmp_path: Path) -> None:
    path = tmp_path / "plain.txt"
    path.write_text("本文件没有任何规定。\n", encoding="utf-8")
    report = measure_coverage([path], [])
    assert report.facts == 0 and report.summary()["coverage_pct"] == 100.0


@pytest.mark.parametrize(
    ("sentence", "types"),
    [
        ("审核通过后3个月内拨付。", ("time_limit",)),
        ("备案即时生效。", ("time_limit",)),
        ("打开“闽政通”APP即可办理。", ("channel", "named_service")),
        ("红谷滩建成“红小依之家”服务站点。", ("named_service",)),
        ("报销比例提高到百分之八十。", ("ratio",)),
        ("着眼“五个医保”和“纵向贯通与横向联通”。", ()),
        ("新生儿凭出生医学证明即可参保。", ("eligibility",)),
    ],
)
def test_bundled_patterns_classify_sentences(sentence: str, types: tuple[str, ...]) -> None:
    assert load_fact_patterns().classify(sentence) == types


def test_table_of_contents_is_not_body_text(tmp_path: Path) -> None:
    path = tmp_path / "toc.txt"
    path.write_text("目 录\n1. 衢州市打造零星报销“一触即办”新模式 1\n二等奖\n", encoding="utf-8")
    assert measure_coverage([path], []).facts == 0


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({}, "types"),
        ({"types": {"x": {"not": ["a"]}}}, "'any'"),
        ({"types": {"x": {"any": ["("]}}}, "bad regular expression"),
        ({"types": {"x": {"any": ["a"], "unless": ["b"]}}}, "unknown keys"),
        ({"types": {"x": {"any": "a"}}}, "list of regular expressions"),
    ],
)
def test_malformed_patterns_name_the_fault(raw: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_fact_patterns(raw, "test.yaml")


def test_custom_patterns_with_and_not() -> None:
    patterns = parse_fact_patterns(
        {
            "types": {
                "rule": {"any": ["参保人"], "with": ["可以"]},
                "name": {"any": ["“[^”]+”"], "not": ["口号"]},
            }
        }
    )
    assert patterns.classify("参保人可以网上办。") == ("rule",)
    assert patterns.classify("参保人来了。") == ()
    assert patterns.classify("喊“口号”也办“一网通办”。") == ("name",)
    assert patterns.classify("只喊“口号”。") == ()


def test_shorten() -> None:
    assert shorten("一二三", 5) == "一二三"
    assert shorten("一二三四五六", 5) == "一二三四…"
    with pytest.raises(ValueError, match="width"):
        shorten("x", 1)
