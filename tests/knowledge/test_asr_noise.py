"""The recogniser-error simulator: determinism, rates, sound-alike replacements, particles, file mode."""

from __future__ import annotations

import random
import unicodedata

import pytest
from pypinyin import Style, lazy_pinyin

from knowledge.asr_noise import (
    PROFILES,
    AsrNoise,
    NoiseConfig,
    SyllableTable,
    char_error_rate,
    confusable_syllables,
    gb2312_level1,
)
from knowledge.textnorm import char_pinyin

CORPUS = (
    "异地就医备案可以在国家医保服务平台上办理，备案后在就医地直接结算。",
    "生育津贴由单位申报，一般十个工作日到账。门诊慢特病的认定材料要提前准备。",
)
QUESTIONS = (
    "我想问一下异地就医备案需要什么材料？",
    "生育津贴多久到账，要单位去申报吗？",
    "门诊慢特病在哪里申请，能在手机上办吗？",
    "职工医保个人账户的钱能给家里人用吗？",
    "住院费用报销比例是多少，有没有起付线？",
)
# Sentences with no domain term, long enough to measure a per-character rate on.
PLAIN = "今天下午我们一起去公园散步然后回家吃饭晚上看书休息明天早上还要上班" * 40


@pytest.fixture(scope="module")
def table() -> SyllableTable:
    return SyllableTable.build(CORPUS)


def _sub_only(table: SyllableTable, **rates: float) -> AsrNoise:
    """Substitutions only, so the noised text lines up with the original character by character."""
    return AsrNoise(table, config=NoiseConfig(drop_rate=0.0, insert_rate=0.0, **rates))


def _toneless(char: str) -> str:
    return lazy_pinyin(char, style=Style.NORMAL)[0]


def test_gb2312_level1_is_the_3755_common_characters() -> None:
    chars = gb2312_level1()
    assert len(chars) == 3755 == len(set(chars))
    assert chars[0] == "啊" and chars[-1] == "座"


def test_table_ranks_characters_by_corpus_frequency(table: SyllableTable) -> None:
    yi = [c.char for c in table.by_syllable["yi"]]
    # 医 (three times in the corpus) and 异/以/一 (once) come before characters the corpus lacks.
    assert yi[0] == "医"
    assert set(yi[1:4]) == {"异", "以", "一"}
    assert "义" in yi[4:]
    assert table.syllable_of("备") == "bei"


def test_confusable_syllables_swap_accent_pairs() -> None:
    assert confusable_syllables("zhi") == {"zi"}
    assert confusable_syllables("si") == {"shi"}
    assert confusable_syllables("lan") == {"nan", "lang", "nang"}
    assert confusable_syllables("xing") == {"xin"}
    assert confusable_syllables("fu") == {"hu"}
    assert confusable_syllables("zheng") == {"zeng", "zhen", "zen"}
    assert confusable_syllables("yi") == set()


def test_same_seed_same_text_other_seed_other_text(table: SyllableTable) -> None:
    noise = AsrNoise(table)
    text = " ".join(QUESTIONS)
    assert noise.noise(text, random.Random(7)) == noise.noise(text, random.Random(7))
    assert noise.noise(text, random.Random(7)) != noise.noise(text, random.Random(8))


def test_rate_of_replaced_characters(table: SyllableTable) -> None:
    noise = _sub_only(table)
    changed = total = 0
    for seed in range(5):
        out = noise.noise(PLAIN, random.Random(seed))
        assert len(out) == len(PLAIN)
        changed += sum(a != b for a, b in zip(PLAIN, out, strict=True))
        total += len(PLAIN)
    assert 0.10 <= changed / total <= 0.14  # the default rate is 0.12
    none = _sub_only(table, rate=0.0).noise(PLAIN, random.Random(0))
    assert none == PLAIN


def test_domain_terms_are_hit_more_often(table: SyllableTable) -> None:
    noise = AsrNoise(
        table, terms=("异地就医", "备案"), config=NoiseConfig(rate=0.0, drop_rate=0.0, insert_rate=0.0)
    )
    text = "我想问一下异地就医备案需要什么材料"
    outs = [noise.noise(text, random.Random(seed)) for seed in range(200)]
    # Only the six term characters may change (rate 0 elsewhere), each at term_rate 0.35.
    assert all(out[:5] == text[:5] and out[11:] == text[11:] for out in outs)
    hit = sum(out[5:11] != text[5:11] for out in outs) / len(outs)
    assert hit >= 0.85  # 1 - 0.65**6 = 0.92


def test_every_replacement_sounds_the_same_or_confusably_alike(table: SyllableTable) -> None:
    noise = _sub_only(table, rate=0.5)
    kinds = {"same": 0, "confusable": 0}
    for seed, question in enumerate(QUESTIONS * 10):
        clean = "".join(ch for ch in question if ch.isalnum())
        heard = char_pinyin(clean)
        out = noise.noise(question, random.Random(seed))
        assert len(out) == len(clean)
        for original, written, syllable in zip(clean, out, heard, strict=True):
            if original == written:
                continue
            if _toneless(written) == syllable:
                kinds["same"] += 1
            else:
                assert _toneless(written) in confusable_syllables(syllable), (original, written, syllable)
                kinds["confusable"] += 1
    assert kinds["same"] > kinds["confusable"] > 0


def test_punctuation_and_spaces_are_removed_digits_kept(table: SyllableTable) -> None:
    out = AsrNoise(table).noise("请问，12393 热线几点上班？（周末呢）！", random.Random(1))
    assert "12393" in out
    assert not any(ch.isspace() or unicodedata.category(ch)[0] in "PS" for ch in out)


def test_particles_dropped_by_reading_and_inserted_at_clause_starts(table: SyllableTable) -> None:
    drop = AsrNoise(table, config=NoiseConfig(rate=0.0, drop_rate=1.0, insert_rate=0.0))
    # 的 and 了 as particles go; 了 in 了解 (liao) and 的 in 目的 (di) stay.
    assert drop.noise("我的目的是了解报销了吗那个", random.Random(0)) == "我目的是了解报销吗"
    insert = AsrNoise(table, config=NoiseConfig(rate=0.0, drop_rate=0.0, insert_rate=1.0))
    out = insert.noise("报销要多久，材料有哪些", random.Random(0))
    assert out.count("报销要多久") == 1 and out.count("材料有哪些") == 1
    assert len(out) > len("报销要多久材料有哪些")
    assert not out.startswith("报销")


def test_config_rejects_rates_outside_zero_to_one() -> None:
    with pytest.raises(ValueError, match="rate"):
        NoiseConfig(rate=1.5)
    with pytest.raises(ValueError, match="same_tone_weight"):
        NoiseConfig(same_tone_weight=0)


def test_noise_rejects_non_text(table: SyllableTable) -> None:
    with pytest.raises(TypeError, match="text"):
        AsrNoise(table).noise(None, random.Random(0))  # type: ignore[arg-type]


def test_items_keep_ids_and_fields_and_do_not_depend_on_each_other(table: SyllableTable) -> None:
    noise = AsrNoise(table, terms=("异地就医", "备案"))
    items: list[dict] = [
        {"id": "Q1", "question": QUESTIONS[0], "kind": "answer", "expect_any": [["备案"]]},
        {
            "id": "D1",
            "turns": [
                {"user": QUESTIONS[1], "expect_kind": "clarify_region"},
                {"user": "我是河北的。", "expect_kind": "answer"},
            ],
        },
    ]
    out = list(noise.noise_items(items, seed=3))
    assert [o["id"] for o in out] == ["Q1", "D1"]
    assert all(o["noised"] is True for o in out)
    assert out[0]["kind"] == "answer" and out[0]["expect_any"] == [["备案"]]
    assert out[0]["question"] != QUESTIONS[0]  # at least the punctuation is gone
    assert [t["expect_kind"] for t in out[1]["turns"]] == ["clarify_region", "answer"]
    assert all("。" not in t["user"] and "？" not in t["user"] for t in out[1]["turns"])
    assert "noised" not in items[0] and items[1]["turns"][0]["user"] == QUESTIONS[1]  # inputs untouched
    alone = list(noise.noise_items(items[1:], seed=3))
    assert alone[0] == out[1]
    assert list(noise.noise_items(items, seed=4)) != out


def test_character_error_rate_counts_edits_over_the_reference() -> None:
    assert char_error_rate("异地就医备案", "一地就医备按") == pytest.approx(2 / 6)
    assert char_error_rate("异地就医，备案？", "异地就医备案") == 0.0  # punctuation is not counted
    assert char_error_rate("", "") == 0.0


def test_the_phone_profile_is_milder_than_the_harsh_one(table: SyllableTable) -> None:
    text = "我想问一下去外地看病住院的话医保能不能直接结算要不要先备案" * 4
    rates = {}
    for name, config in PROFILES.items():
        noise = AsrNoise(table, terms=("备案", "直接结算"), config=config)
        rates[name] = sum(char_error_rate(text, noise.noise(text, random.Random(s))) for s in range(20)) / 20
    assert rates["phone"] < rates["harsh"]
    assert 0.03 < rates["phone"] < 0.15
