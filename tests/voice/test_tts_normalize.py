"""voice.tts (text for the ear, pinyin, espeak-ng) and voice.normalize (recogniser text cleanup)."""

from __future__ import annotations

import numpy as np
import pytest

from voice.audio import ulaw_to_pcm16
from voice.normalize import clean_transcript, join_han, normalize_transcript
from voice.tts import (
    EspeakPinyinTTS,
    TTSEngine,
    numbers_to_chinese,
    shorten_for_ear,
    synthesize_telephone,
    to_tone_pinyin,
)


def test_lists_are_read_as_ordinals() -> None:
    text = "办理需要以下材料：\n1. 身份证；\n2. 医保卡；\n3、住院发票"
    assert shorten_for_ear(text) == "办理需要以下材料：第一，身份证；第二，医保卡；第三，住院发票。"
    assert (
        shorten_for_ear("渠道有：1、国家医保APP；2、线下窗口。")
        == "渠道有：第一，国家医保APP；第二，线下窗口。"
    )
    assert shorten_for_ear("- 甲\n- 乙") == "第一，甲。第二，乙。"


def test_urls_and_asides_are_not_read_out() -> None:
    text = (
        "可以在国家医保服务平台（官方渠道）办理，详见 https://fuwu.nhsa.gov.cn/ 。"
        "更多请访问 www.nhsa.gov.cn 查看。"
    )
    assert shorten_for_ear(text) == "可以在国家医保服务平台办理。"
    assert "http" not in shorten_for_ear("**注意**：请登录 http://a.b/c?d=1 办理备案手续，带好身份证。")
    assert shorten_for_ear("报销比例为70%(一级医院)") == "报销比例为70%。"


def test_long_answers_are_cut_at_a_sentence_end() -> None:
    long = "这是第一句话，说明了报销的基本规定。" * 20
    spoken = shorten_for_ear(long, max_chars=60)
    assert len(spoken) <= 60 and spoken.endswith("。")
    with pytest.raises(ValueError, match="max_chars"):
        shorten_for_ear("好", max_chars=5)
    with pytest.raises(TypeError, match="text"):
        shorten_for_ear(None)  # type: ignore[arg-type]


def test_numbers_are_read_like_an_operator() -> None:
    assert numbers_to_chinese("12393") == "幺二三九三"
    assert numbers_to_chinese("24小时") == "二十四小时"
    assert numbers_to_chinese("2024年") == "二零二四年"
    assert numbers_to_chinese("70%") == "百分之七十"
    assert numbers_to_chinese("1005元") == "一千零五元"
    assert numbers_to_chinese("1.5倍") == "一点五倍"
    assert numbers_to_chinese("30000") == "三零零零零"  # five digits or more: one by one


def test_tone_numbered_pinyin() -> None:
    assert to_tone_pinyin("你好，医保") == "ni2 hao3 , yi1 bao3"  # third-tone sandhi
    assert to_tone_pinyin("好了。") == "hao3 le5"  # neutral tone as 5
    assert to_tone_pinyin("拨打12393") == "bo1 da3 yao1 er4 san1 jiu3 san1"


def test_espeak_engine_speaks_at_telephone_rate(tts: EspeakPinyinTTS) -> None:
    assert isinstance(tts, TTSEngine)
    pcm = tts.synthesize("您好，请问有什么可以帮您？", sample_rate=8000)
    samples = np.frombuffer(pcm, "<i2")
    assert 1.0 < samples.size / 8000 < 6.0 and np.abs(samples).max() > 3000
    assert tts.synthesize("您好，请问有什么可以帮您？", sample_rate=8000) is pcm  # cached
    wide = tts.synthesize("您好，请问有什么可以帮您？", sample_rate=16000)
    assert len(wide) == pytest.approx(2 * len(pcm), rel=0.01)
    ulaw = synthesize_telephone(tts, "您好", encoding="mulaw")
    assert np.abs(ulaw_to_pcm16(ulaw)).max() > 3000
    with pytest.raises(ValueError, match="encoding"):
        synthesize_telephone(tts, "您好", encoding="opus")
    with pytest.raises(ValueError, match="text"):
        tts.synthesize("  ", sample_rate=8000)


def test_recognised_text_is_cleaned_and_repaired() -> None:
    assert join_han("异地 就医 怎么 办") == "异地就医怎么办"
    assert join_han("APP 下载 12393 热线") == "APP 下载 12393 热线"
    assert clean_transcript("[unk] 我 想 问 [noise]") == "我想问"
    assert normalize_transcript("我 想 问 一 地 就医 备 按") == "我想问异地就医备案"
    assert normalize_transcript("") == ""
