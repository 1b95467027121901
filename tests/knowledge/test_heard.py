"""knowledge.heard at the typed strictness: places and terms a pinyin input method (or a recogniser)
wrote with the wrong characters are put back; words that only sound like a place stay as written.

The phone line's looser strictness is tested with Whisper's transcripts in tests/voice/test_heard.py.
The typed cases are of the kinds the held-out sets' noised copies show (tune halves), written anew.
"""

from __future__ import annotations

import pytest

from api.services import knowledge as service
from api.settings import Settings
from knowledge.heard import county_places, recover, repair_terms

# Counties and districts the knowledge base has rules for (Answerer.places gives the live list).
PLACES = ("重庆/梁平", "上海/静安", "陕西/汉中/略阳", "山东/菏泽/东明")


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("俺是验太的，刚出院有人打电话来回访", "俺是烟台的，刚出院有人打电话来回访"),  # after 俺是
        ("整州医保热线礼拜天也能打吗", "郑州医保热线礼拜天也能打吗"),  # first in the words
        ("我是重庆娘平的，外伤调查认不认", "我是重庆梁平的，外伤调查认不认"),  # a district the base knows
        ("我妈在嘿龙江佳目斯，没有智能手机", "我妈在黑龙江佳木斯，没有智能手机"),  # exact sound, no mark
        ("下门这边村居代办点能办啥", "厦门这边村居代办点能办啥"),  # before 这边
        ("上东的鲁e保是啥", "山东的鲁e保是啥"),
    ],
)
def test_a_place_typed_with_the_wrong_characters_is_put_back(typed: str, meant: str) -> None:
    assert recover(typed, places=PLACES, strict=True) == meant


@pytest.mark.parametrize(
    "typed",
    [
        "12393拨了十几遍都是占线，还能咋咨询",  # 占线 is a word (湛江)
        "点了不满意，后面会不会有人来核实",  # 会有 (惠州)
        "残疾人去医保大厅办事有绿色通道吗",  # 残疾 is a word (昌吉)
        "参疾人去医保大厅办事有绿色通道吗",  # a kind of people, not 昌吉人
        "为啥有的药店能走门诊统筹，能走的占多少",  # 能走 (温州)
        "俺村卫生室拿俺的医保卡刷了一堆药",  # 俺的 (常德)
        "没走转诊自己跑去外地住院了",  # 没走 (梅州)
        "职工医保门诊共济是哪年开始搞的",  # 哪年 (吕梁)
        "病情严重程度的评估谁来做",  # 程度 is a word; the phone line reads 成都 only where marked
        "医保那个直播是每周几播",  # 每周 (梅州)
        "我是烟台人，想问长护险",  # written right
    ],
)
def test_words_that_only_sound_like_a_place_stay(typed: str) -> None:
    assert recover(typed, places=PLACES, strict=True) == typed


def test_a_term_written_right_is_never_made_another_term() -> None:
    assert repair_terms("医保卡丢了怎么补") == "医保卡丢了怎么补"  # not 医保码, one syllable off
    assert recover("我一保卡里头还剩多少钱", strict=True) == "我医保卡里头还剩多少钱"  # the exact sound
    assert recover("医保大厅在哪", strict=True) == "医保大厅在哪"  # 医保 + 大, no 医保码
    assert recover("查实了医报咋处理", strict=True) == "查实了医保咋处理"  # 咋 is no syllable of a term


def test_a_term_one_syllable_off_is_put_back_where_it_is_no_word() -> None:
    assert (
        recover("灵璧俺爹帕金森要自己申请门诊慢特兵不", strict=True) == "灵璧俺爹帕金森要自己申请门诊慢特病不"
    )
    assert recover("慢特病免什即享覆盖多少病种", strict=True) == "慢特病免申即享覆盖多少病种"


def test_county_places_are_the_county_level_regions_municipal_districts_included() -> None:
    assert county_places(["山东/济南", "重庆/梁平", "陕西/汉中/略阳", "重庆", "京津冀"]) == (
        "重庆/梁平",
        "陕西/汉中/略阳",
    )


def test_the_answer_reads_the_place_the_caller_meant(kb_settings: Settings) -> None:
    typed = service.answer(
        "我是重庆娘平的，在四川摔了一跤住院，外伤调查两边的结果认不认？", settings=kb_settings
    )
    assert typed.kind == "answer"
    assert any("梁平" in (s.region or "") for s in typed.sources)
