"""voice/tts_worker.py's text side, without the model: prosodic words, the pinyin phrase list and the
request's voice options. (The worker itself, synthesising, is tested in test_tts_neural.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import jieba
import pytest

from voice.tts import to_tone_pinyin
from voice.tts_worker import PHRASES_PATH, _number, load_phrases, prosodic_words


def test_prosodic_words_group_particles_and_prepositions_with_their_neighbours() -> None:
    assert prosodic_words("昌吉州把参保登记、", jieba.lcut) == ["昌吉州", "把参保", "登记"]
    assert prosodic_words("村的医保便民服务点，", jieba.lcut) == ["村的", "医保", "便民服务点"]
    words = prosodic_words("异地就医备案等十二项便民事项下沉到乡镇。", jieba.lcut)
    assert "".join(words) == "异地就医备案等十二项便民事项下沉到乡镇"  # every character, once, in order
    assert all(len(w) > 1 for w in words)  # nothing said on its own
    assert prosodic_words("好。", jieba.lcut) == ["好"]
    assert prosodic_words("“”，。", jieba.lcut) == []


def test_the_phrase_list_fixes_readings_pypinyin_gets_wrong() -> None:
    """Both voices read with the list: the worker loads it into its pypinyin, espeak-ng's pinyin here."""
    assert load_phrases()["还款"] == [["huán"], ["kuǎn"]]
    assert to_tone_pinyin("长护险待遇").split()[:3] == ["chang2", "hu4", "xian3"]  # pypinyin: zhang3
    assert to_tone_pinyin("最长不超过").split()[:2] == ["zui4", "chang2"]
    assert to_tone_pinyin("按月还款").split()[2] == "huan2"
    assert to_tone_pinyin("重听请按1").split()[0] == "chong2"  # pypinyin: zhong4 ting1, hard of hearing
    assert to_tone_pinyin("家长").split() == ["jia1", "zhang3"]  # untouched where it is right


def test_the_phrase_list_is_checked(tmp_path: Path) -> None:
    assert all(len(p) == len(r.split()) for p, r in json.loads(PHRASES_PATH.read_text("utf-8")).items())
    bad = tmp_path / "phrases.json"
    bad.write_text(json.dumps({"还款": "huan2"}), encoding="utf-8")
    with pytest.raises(ValueError, match="还款"):
        load_phrases(bad)


def test_voice_options_are_checked() -> None:
    assert _number({"rate": 1.2}, "rate", 1.0, (0.5, 2.0)) == 1.2
    assert _number({}, "rate", 1.0, (0.5, 2.0)) == 1.0
    for bad in (3, "fast", True, None):
        with pytest.raises(ValueError, match="rate must be a number from 0.5 to 2.0"):
            _number({"rate": bad}, "rate", 1.0, (0.5, 2.0))
