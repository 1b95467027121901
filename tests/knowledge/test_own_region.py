"""The caller's own region's closest entry answering under the threshold (knowledge/own_region.py)."""

from __future__ import annotations

import pytest

from knowledge.followup import without_regions
from knowledge.own_region import CLOSE_DENSE, CLOSE_RELAX, CORE_FLOOR, LEAD, RELAX, own_region_match
from knowledge.regions import RegionTable, region_table
from tests.knowledge.hits import entry_hit as _hit

THRESHOLD = 0.75


@pytest.fixture(scope="module")
def regions() -> RegionTable:
    return region_table()


def test_a_close_paraphrase_of_the_callers_rule_answers_further_under_the_threshold(
    regions: RegionTable,
) -> None:
    """The story of 我家老爷子是天津的……打个视频就给办了 lowers the confidence, not the meaning."""
    video = _hit("video-service", CLOSE_DENSE + 0.01, "天津")
    other = _hit("hebei-filing", 0.80, "河北")
    conf = {id(video): THRESHOLD - CLOSE_RELAX + 0.01, id(other): 0.2}
    assert own_region_match([video, other], conf, "天津", regions, THRESHOLD) is video


def test_a_less_close_match_keeps_the_narrow_relaxation(regions: RegionTable) -> None:
    rule = _hit("after-hours", CLOSE_DENSE - 0.02, "天津")
    conf = {id(rule): THRESHOLD - CLOSE_RELAX + 0.01}
    assert THRESHOLD - CLOSE_RELAX + 0.01 < THRESHOLD - RELAX
    assert own_region_match([rule], conf, "天津", regions, THRESHOLD) is None
    conf = {id(rule): THRESHOLD - RELAX}
    assert own_region_match([rule], conf, "天津", regions, THRESHOLD) is rule


def test_near_identical_rules_of_the_region_abstain(regions: RegionTable) -> None:
    first = _hit("filing-online", 0.90, "山西/太原")
    second = _hit("filing-after", 0.90 - LEAD / 2, "山西/太原")
    conf = {id(first): 0.74, id(second): 0.6}
    assert own_region_match([first, second], conf, "山西/太原", regions, THRESHOLD) is None


def test_another_regions_rule_closer_in_meaning_blocks_the_relaxation(regions: RegionTable) -> None:
    """A 大同 caller whose question is closest to 太原's rule gets no 山西 rule in its place."""
    taiyuan = _hit("taiyuan-rate", 0.93, "山西/太原")
    shanxi = _hit("shanxi-card", 0.91, "山西")
    conf = {id(taiyuan): 0.7, id(shanxi): 0.72}
    assert own_region_match([taiyuan, shanxi], conf, "山西/大同", regions, THRESHOLD) is None
    assert own_region_match([taiyuan, shanxi], conf, "山西/太原", regions, THRESHOLD) is taiyuan


def test_no_region_no_match(regions: RegionTable) -> None:
    rule = _hit("video-service", 0.95, "天津")
    assert own_region_match([rule], {id(rule): 0.74}, None, regions, THRESHOLD) is None


def test_the_question_without_the_city_decides_a_weak_match(regions: RegionTable) -> None:
    """A city said in passing lifts every rule of that city: one that still answers the question
    without the name may answer down to CORE_FLOOR; one that loses its support does not."""
    rule = _hit("maternity-card", 0.88, "浙江/杭州")
    conf = {id(rule): CORE_FLOOR + 0.05}
    assert CORE_FLOOR + 0.05 < THRESHOLD - CLOSE_RELAX
    assert own_region_match([rule], conf, "浙江/杭州", regions, THRESHOLD) is None
    kept = {rule.doc.key: CORE_FLOOR + 0.01}
    assert own_region_match([rule], conf, "浙江/杭州", regions, THRESHOLD, lambda: kept) is rule
    lost = {rule.doc.key: CORE_FLOOR - 0.2}
    assert own_region_match([rule], conf, "浙江/杭州", regions, THRESHOLD, lambda: lost) is None
    weak = {id(rule): CORE_FLOOR - 0.01}
    assert own_region_match([rule], weak, "浙江/杭州", regions, THRESHOLD, lambda: kept) is None


def test_the_core_search_runs_only_for_a_weak_match(regions: RegionTable) -> None:
    rule = _hit("video-service", CLOSE_DENSE + 0.01, "天津")

    def never() -> dict[str, float]:
        raise AssertionError("searched without the region although the match was strong")

    conf = {id(rule): THRESHOLD - RELAX}
    assert own_region_match([rule], conf, "天津", regions, THRESHOLD, never) is rule


@pytest.mark.parametrize(
    ("said", "asked"),
    [
        ("我太原参保的，在外地住着院呢", "我参保的，在外地住着院呢"),
        ("阿拉海曙区个，夜里向打医保咨询电话", "阿拉个，夜里向打医保咨询电话"),
        ("医保卡丢了怎么补办", "医保卡丢了怎么补办"),
    ],
)
def test_a_question_without_its_regions(regions: RegionTable, said: str, asked: str) -> None:
    assert without_regions(said, regions) == asked
