"""voice.tts.speech_text: the bot's prompts and answers as the phone voice says them.

Cases are the bot's own texts (voice/prompts.yaml, knowledge answers) where Whisper-base, hearing the
neural voice through G.711, wrote something else (bench voice, intelligibility): 按0 came back as 按铃,
12393医保 as 123931保, and the voice said nothing for APP.
"""

from __future__ import annotations

from voice.tts import speech_text
from voice.tts_voice import PhoneVoice


def test_keys_are_read_as_keys() -> None:
    assert speech_text("转人工请按0，重听请按1，留下回电请求请按9。") == (
        "转人工请按零键，重听请按一键，留下回电请求请按九键。"
    )
    assert speech_text("请按#结束") == "请按井号键结束"
    assert speech_text("请按0键") == "请按零键"  # said once, not twice
    assert speech_text("按10次") == "按十次"  # a count, not a key


def test_a_long_number_gets_a_pause_before_the_next_word() -> None:
    assert speech_text("这里是12393医保服务热线") == "这里是幺二三九三，医保服务热线"
    assert speech_text("打12393或者12345都可以受理") == "打幺二三九三，或者幺二三四五，都可以受理"
    assert speech_text("拨打12393。") == "拨打幺二三九三。"


def test_latin_app_is_said_in_chinese() -> None:
    assert speech_text("也可以通过新疆医保服务平台、手机APP在网上办理") == (
        "也可以通过新疆医保服务平台、手机应用在网上办理"
    )
    assert speech_text("国家医保服务平台APP") == "国家医保服务平台手机应用"
    assert speech_text("Apple") == "Apple"


def test_numbers_dates_and_percentages_as_an_operator_reads_them() -> None:
    text = "从2023年8月1日起，报销比例100%，24小时内回电，材料从14种减到4种。"
    assert speech_text(text) == (
        "从二零二三年八月一日起，报销比例百分之一百，二十四小时内回电，材料从十四种减到四种。"
    )


def test_two_of_something_is_liang_and_amounts_are_not_read_digit_by_digit() -> None:
    assert speech_text("审核时间缩短到2个月内，封顶线2000元。") == "审核时间缩短到两个月内，封顶线两千元。"
    assert speech_text("跑2到3次") == "跑两到三次"
    assert speech_text("授信8000到20000元不等") == "授信八千到两万元不等"
    # An ordinal, a month and a key stay 二; a phone number is still read digit by digit.
    assert speech_text("第2批，2月1日起，按2") == "第二批，二月一日起，按二键"
    assert speech_text("服务全市12000000人") == "服务全市一千二百万人"
    assert speech_text("打12393咨询") == "打幺二三九三，咨询"


def test_signs_and_dashes_are_said_as_words_or_pauses() -> None:
    assert speech_text("医生“刷脸+定位”双重认证") == "医生“刷脸加定位”双重认证"
    assert speech_text("路径是：我要办事—社会救助—医疗救助。") == "路径是：我要办事，社会救助，医疗救助。"
    assert speech_text("1-3个月，比例10%-20%") == "一到三个月，比例百分之十到百分之二十"


class _Recording:
    """Stands in for a synthesis engine (the edge): records what it was asked to say."""

    name = "recording"
    voice_id = "recording"

    def __init__(self) -> None:
        self.said: list[str] = []

    def synthesize(self, text: str, *, sample_rate: int) -> bytes:
        self.said.append(text)
        return b"\x10\x00" * (sample_rate // 10)


def test_the_phone_voice_speaks_the_prepared_text() -> None:
    engine = _Recording()
    PhoneVoice(engine).synthesize("转人工请按0。这里是12393医保服务热线。", sample_rate=8000)
    assert "".join(engine.said) == "转人工请按零键。这里是幺二三九三，医保服务热线。"
