"""knowledge.heard at the phone line's strictness: what Whisper-base heard, put back to what was said.

Every case is a real transcript of the project's phone test set (tests/data/voice, neural voice,
8 kHz G.711, clean or 20 dB) from its tune half (even positions); the test half is left for
`python -m bench voice` to report on.
"""

from __future__ import annotations

import pytest

from knowledge.heard import recover, repair_places, repair_terms
from tests.voice.ivr_script import ANSWER, ASK_REGION, Caller, Desk, Dialogue, ScriptedRecognizer, chat
from voice.ivr import IvrCall, IvrConfig
from voice.normalize import normalize_transcript
from voice.tts import EspeakPinyinTTS

# Counties the knowledge base has rules for (api.services.phone.rule_places gives the live list).
PLACES = ("陕西/汉中/略阳", "浙江/宁波/海曙", "湖南/永州/江永", "山东/菏泽/东明")


@pytest.mark.parametrize(
    ("heard", "meant"),
    [
        ("警南的长期护力报显到哪里去申请", "济南的长期护力报显到哪里去申请"),  # VQ037: first in the words
        ("太圆的衣宝跨省看病自己在网上备案", "太原的衣宝跨省看病自己在网上备案"),  # VQ001
        ("害源的医保,化身看病自己在网上备案", "太原的医保,化身看病自己在网上备案"),  # VQ001, 20 dB
        ("下门的医院要电动门快省直接结算猫", "厦门的医院要电动门快省直接结算猫"),  # VQ015
        ("程度的老人不会用智能手机", "成都的老人不会用智能手机"),  # VQ021: a word, but exactly the sound
        ("唱其一宝关系转移", "昌吉一宝关系转移"),  # VQ049
        ("我是大廉登", "我是大连登"),  # VR013: after 我是
        ("山东景南", "山东济南"),  # VR011: right after a province named right
        ("裂扬线的门诊", "略阳县的门诊"),  # VQ023: a county the knowledge base knows
        ("您播海属区的一保窗口", "宁波海曙区的一保窗口"),  # VQ067
        ("将有线村里有没有医保服务术", "江永县村里有没有医保服务术"),  # VQ065
    ],
)
def test_misheard_places_are_put_back_where_the_words_mark_a_place(heard: str, meant: str) -> None:
    assert repair_places(heard, places=PLACES) == meant


@pytest.mark.parametrize(
    "heard",
    [
        "孩子参加的太元居民医保,在外省商大学探病要备案吗",  # VQ005: 在外省 is no 台湾省
        "杭州的生意今天,初院以后大概多少天能到",  # VQ011: 初院 (出院) is no 固原: nothing marks it
        "其中的医院里有没有专门办报销的窗口",  # VQ045: 其中 is a word and only near 衢州's sound
        "今天外面天气怎么样",  # VQ093
        "我家还不大疫苗要去哪个医院",  # VQ095
    ],
)
def test_words_that_only_sound_near_a_place_stay(heard: str) -> None:
    assert repair_places(heard, places=PLACES) == heard


def test_a_place_right_after_a_region_must_lie_in_it() -> None:
    assert repair_places("山东景门") == "山东景门"  # VR011, 20 dB: 荆门 is in 湖北
    assert repair_places("安徽零必现", asked_region=True) == "安徽零必现"  # VR014: 宁波 is in 浙江


def test_after_the_region_question_a_short_answer_is_read_as_a_place() -> None:
    heard = "闪鲜汗中列扬线本"  # VR015: 陕西汉中略阳县的
    assert repair_places(heard, places=PLACES) == heard
    assert repair_places(heard, places=PLACES, asked_region=True) == "闪鲜汉中略阳县本"
    long_question = "今天外面天气怎么样我家还不大疫苗要去哪个医院"
    assert repair_places(long_question, asked_region=True) == long_question


@pytest.mark.parametrize(
    ("heard", "meant"),
    [
        ("门诊漫特定在手机上怎么申请", "门诊慢特病在手机上怎么申请"),  # VQ023: 定 for 病 (same final)
        ("药店门诊统筹的起步线是多少钱", "药店门诊统筹的起付线是多少钱"),  # VQ073: 步 for 付
        ("寒宝地在正中", "参保地在正中"),  # VR005
    ],
)
def test_domain_terms_one_syllable_off_are_put_back(heard: str, meant: str) -> None:
    assert repair_terms(heard) == meant


def test_terms_are_not_made_from_the_words_around_them() -> None:
    assert repair_terms("下门参宝的 去外省看并") == "下门参宝的 去外省看并"  # VQ013: 参保的 is no 参保地
    assert repair_terms("公积金怎么提取出来") == "公积金怎么提取出来"


def test_the_phone_line_text_gets_places_and_terms_back() -> None:
    heard = "裂扬线的门诊漫特定在手机上怎么申请"  # VQ023
    assert recover(heard, places=PLACES) == "略阳县的门诊慢特病在手机上怎么申请"
    assert normalize_transcript(heard, places=PLACES) == "略阳县的门诊慢特病在手机上怎么申请"


def test_the_ivr_reads_the_answer_to_its_region_question_as_a_place(tts: EspeakPinyinTTS) -> None:
    dialogue = Dialogue([chat("answer", ANSWER), chat("clarify_region", ASK_REGION), chat("answer", ANSWER)])
    ivr = IvrCall(
        call_id="CA-flow",
        recognizer=ScriptedRecognizer(),
        tts=tts,
        respond=dialogue,
        create_callback=Desk(),
        caller="13800001234",
        config=IvrConfig(no_input_s=1.0, places=PLACES),
        staffed=lambda: True,
    )
    caller = Caller(ivr)
    caller.says("闪鲜汗中列扬线本")  # not asked for a region: left as heard
    caller.says("门诊慢特病怎么申请")
    caller.says("闪鲜汗中列扬线本")  # the answer to 参保地?
    assert dialogue.asked == ["闪鲜汗中列扬线本", "门诊慢特病怎么申请", "闪鲜汉中略阳县本"]
