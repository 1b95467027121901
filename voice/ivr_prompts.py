"""What the phone assistant says and the caller phrases it listens for (``voice/prompts.yaml``).

Prompt texts are Chinese, in the centre's own service language; a centre edits the YAML, never the
code. They are worded for the ear: ``hard_words`` finds the words of ``voice/ear_words.yaml``
(misheard on a phone line, each with the everyday word to say instead) that a prompt still uses.
Phrase lists are compared after removing spaces, punctuation and sentence particles, so "没有了。"
and "没有了啊" both match ``没有了``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "EAR_WORDS_PATH",
    "PHRASE_LISTS",
    "PROMPTS_PATH",
    "REQUIRED_PROMPTS",
    "contains_any",
    "hard_words",
    "load_prompts",
    "phrases",
    "plain",
]

PROMPTS_PATH = Path(__file__).resolve().parent / "prompts.yaml"
EAR_WORDS_PATH = Path(__file__).resolve().parent / "ear_words.yaml"
REQUIRED_PROMPTS = (
    "welcome",
    "anything_else",
    "not_heard",
    "not_understood",
    "after_abstain",
    "transfer",
    "transfer_after_failures",
    "transfer_closed",
    "transfer_on_error",
    "nothing_to_repeat",
    "unknown_key",
    "callback_ask",
    "callback_offer",
    "callback_offer_again",
    "callback_done",
    "callback_failed",
    "call_too_long",
    "lines_busy",
    "goodbye",
)
# Lists of caller phrases (each optional in the YAML; missing means empty).
PHRASE_LISTS = (
    "no_more_phrases",
    "human_phrases",
    "callback_yes_phrases",
    "callback_yes_words",
    "callback_no_words",
)
_PUNCT_RE = re.compile(r"[\s，。！？、,.!?~～…：:；;“”\"'啊呀吧呢嘛哦哈噢唉]+")


def plain(text: str) -> str:
    """``text`` without spaces, punctuation and sentence particles, for phrase comparison."""
    return _PUNCT_RE.sub("", text)


def contains_any(text: str, phrases: Iterable[str]) -> bool:
    """Whether any non-empty phrase occurs in ``text`` (both already ``plain``)."""
    return any(p and p in text for p in phrases)


def load_prompts(path: str | Path | None = None) -> dict[str, Any]:
    """Read the IVR's words from YAML and check every prompt the call flow needs is there."""
    source = Path(path) if path else PROMPTS_PATH
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"path: {source} must hold a mapping of prompt names to text")
    missing = [key for key in REQUIRED_PROMPTS if not isinstance(data.get(key), str) or not data[key].strip()]
    if missing:
        raise ValueError(f"path: {source} lacks prompts {missing}")
    for key in PHRASE_LISTS:
        value = data.get(key) or []
        if not isinstance(value, list):
            raise ValueError(f"path: {source}: {key} must be a list of phrases")
        data[key] = [plain(str(p)) for p in value]
    return data


def phrases(prompts: Mapping[str, Any], key: str) -> list[str]:
    """A phrase list of loaded prompts (empty when a caller-supplied mapping lacks it)."""
    return list(prompts.get(key) or [])


def hard_words(prompts: Mapping[str, Any], path: str | Path = EAR_WORDS_PATH) -> list[tuple[str, str, str]]:
    """(prompt key, word said, word to say instead) for each misheard word a prompt still uses."""
    table = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(table, list) or not all(
        isinstance(e, dict) and e.get("avoid") and e.get("say") for e in table
    ):
        raise ValueError(f"path: {path} must list entries with avoid and say")
    found = []
    for entry in table:
        avoid = re.compile(entry["avoid"])
        for key, text in prompts.items():
            if isinstance(text, str) and key not in (entry.get("except") or []) and (m := avoid.search(text)):
                found.append((key, m.group(0), str(entry["say"])))
    return found
