"""voice/ivr_prompts.py: the IVR's prompts are worded for the ear (voice/ear_words.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from voice.ivr_prompts import EAR_WORDS_PATH, hard_words, load_prompts


def test_no_prompt_says_a_word_callers_mishear() -> None:
    """Every prompt uses the everyday word (回电话, not 回电); the list says what each was heard as."""
    assert hard_words(load_prompts()) == []


def test_misheard_words_are_found_where_they_stand_alone() -> None:
    prompts = {
        "callback_done": "工作人员会在24小时内给您回电，请保持电话畅通。",
        "callback_offer": "工作人员会给您回电话。",  # the everyday word itself is no finding
        "goodbye": "感谢您的来电，再见。",  # the standard closing keeps 来电 on purpose
        "lines_busy": "现在来电较多。",
    }
    found = {(key, word) for key, word, _ in hard_words(prompts)}
    assert found == {
        ("callback_done", "回电"),
        ("callback_done", "畅通"),
        ("lines_busy", "来电"),
        ("lines_busy", "较"),
    }


def test_every_entry_names_the_word_to_say_and_what_was_heard(tmp_path: Path) -> None:
    table = yaml.safe_load(EAR_WORDS_PATH.read_text(encoding="utf-8"))
    assert all(entry["say"] and entry["heard"] for entry in table)
    broken = tmp_path / "ear_words.yaml"
    broken.write_text("- avoid: 回电\n", encoding="utf-8")
    with pytest.raises(ValueError, match="avoid and say"):
        hard_words({"welcome": "您好"}, broken)
