import pytest

from knowledge.textnorm import (
    clean_text,
    domain_terms,
    has_chinese,
    normalize_dialect,
    normalize_domain_terms,
    normalize_query,
    repair_by_sound,
)


@pytest.mark.parametrize(
    ("heard", "meant"),
    [
        ("去一地就医要备按吗", "去异地就医要备案吗"),
        ("慢特并认定要多久", "慢特病认定要多久"),
        ("医保电子凭正在哪激活", "医保电子凭证在哪激活"),
        ("零星报消能在手机上办吗", "零星报销能在手机上办吗"),
        ("生育金贴多久到账", "生育津贴多久到账"),
    ],
)
def test_asr_homophones_are_repaired_to_domain_terms(heard: str, meant: str) -> None:
    assert normalize_domain_terms(heard) == meant


def test_correct_text_is_left_alone() -> None:
    text = "我想问一下异地就医备案需要什么材料"
    assert normalize_domain_terms(text) == text


def test_a_question_particle_is_not_heard_as_a_term() -> None:
    # 医保吗 sounds like 医保码, but the 吗 asks a question: repairing it changed every such question.
    assert normalize_query("异地就医能用医保吗") == "异地就医能用医保吗"
    assert normalize_query("医保马怎么申领") == "医保码怎么申领"


def test_repair_by_sound_takes_any_word_list() -> None:
    assert repair_by_sound("卡被到刷了", ("盗刷",)) == "卡被盗刷了"
    assert repair_by_sound("卡被到刷了", ("骗保",)) == "卡被到刷了"
    assert repair_by_sound("一地就医", domain_terms()) == normalize_domain_terms("一地就医") == "异地就医"


def test_dialect_wording_becomes_standard() -> None:
    assert normalize_dialect("俺娃刚生下来咋整") == "我孩子刚生下来怎么办"
    # Cantonese and Shanghainese as callers type them.
    assert normalize_dialect("我喺东莞住院，点解要刷脸") == "我在东莞住院，为什么要刷脸"
    assert normalize_dialect("侬讲钞票打到啥地方") == "你讲钱打到哪里"


def test_clean_text_drops_emoji_and_collapses_space() -> None:
    assert clean_text("  你好 🤔🤔  医保  ！！！") == "你好 医保 !"
    assert clean_text("😀😀😀") == ""


def test_clean_text_rejects_non_strings() -> None:
    with pytest.raises(TypeError, match="text"):
        clean_text(None)  # type: ignore[arg-type]


def test_has_chinese() -> None:
    assert has_chinese("hello 医保")
    assert not has_chinese("hello world 123")


def test_normalize_query_combines_all_steps() -> None:
    assert normalize_query("咋个办一地备按嘛") == "怎么办异地备案嘛"


@pytest.mark.parametrize(
    ("said", "joined"),
    [("给窗口的服务打个分", "给窗口的服务打分"), ("去医院挂个号", "去医院挂号"), ("开了药没报", "开药没报")],
)
def test_a_separable_verb_is_joined_for_search(said: str, joined: str) -> None:
    assert normalize_query(said) == joined


def test_a_measure_word_before_other_nouns_stays() -> None:
    assert normalize_query("打个比方这个分数怎么算") == "打个比方这个分数怎么算"
