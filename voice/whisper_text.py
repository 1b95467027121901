"""Clean-up of Whisper's text: repetition loops, a copied prompt, invented captions, traditional characters.

Whisper-base on telephone audio loops on a character or phrase, repeats its prompt when it hears
nothing it knows, writes subtitle credits over noise and mangles commas into other full-width
forms; voice/whisper_asr.py runs every decoded segment through ``clean_text``.
"""

from __future__ import annotations

import re

# Captions Whisper writes over silence and noise (learnt from subtitled video); never a caller's words.
_CAPTION_RE = re.compile(r"字幕|谢谢观看|感谢观看|点赞|订阅|打赏|amara|明镜|栏目", re.IGNORECASE)
_NUMBER_CHARS = set("0123456789零〇一二三四五六七八九幺两")
_FULL_WIDTH = str.maketrans({chr(0xFF10 + i): chr(0x30 + i) for i in range(10)})
# Whisper's byte-level tokens spell "，" (EF BC 8C) in two pieces; on telephone audio it gets the last
# byte wrong now and then and writes another full-width form: "备案０还要开证明吗", "客服Ｇ请稍后",
# "抱歉（系统暂时有些忙". Callers' words hold no full-width letter, bracket or lone full-width digit
# (Whisper writes numbers in ASCII), so such a character is the comma it meant.
_MANGLED_COMMA_RE = re.compile(r"[Ａ-Ｚａ-ｚ（）]|(?<![0-9０-９])[０-９](?![0-9０-９])")
_PIECE_RE = re.compile(r"[^，。、；：！？,.;:!?\s]+")


def cut_repetition(text: str, *, max_unit: int = 10) -> str:
    """Cut a decoding loop down to one copy of what repeats.

    A character repeated 4 times or more in a row (6 for digits: "000000" is no phone number, but
    "1000" is), or a unit of 2 to ``max_unit`` characters (punctuation included) repeated 4 times or
    more, is a loop: speech does not do that, while "喂喂喂", "对对对" or "谢谢" stay as they are.
    """

    def one_char(match: re.Match[str]) -> str:
        run = match.group(0)
        return run if run[0] in _NUMBER_CHARS and len(run) < 6 else run[0]

    text = re.sub(r"(.)\1{3,}", one_char, text, flags=re.DOTALL)
    for unit in range(2, max_unit + 1):
        text = re.sub(rf"(.{{{unit}}})\1{{3,}}", r"\1", text, flags=re.DOTALL)
    return text


def strip_prompt_echo(text: str, prompt: str) -> str:
    """Drop a run of the prompt that Whisper copied: of two pieces adjacent in both, keep the first.

    On unclear audio Whisper repeats its prompt ("门诊慢特病，住院报销，…" after "门诊慢特病"). A caller
    may say one prompt term, but not two of them in the prompt's own order.
    """
    if not prompt:
        return text
    prompt_pieces = _PIECE_RE.findall(prompt)
    pairs = set(zip(prompt_pieces, prompt_pieces[1:], strict=False))
    pieces = list(_PIECE_RE.finditer(text))
    for before, after in zip(pieces, pieces[1:], strict=False):
        if (before.group(0), after.group(0)) in pairs:
            return text[: before.end()]
    return text


def to_simplified(text: str) -> str:
    """Traditional characters (Whisper writes them now and then) to simplified ones."""
    import zhconv

    return str(zhconv.convert(text, "zh-hans"))


def repair_punctuation(text: str) -> str:
    """Mangled full-width commas back to "，"; full-width digit runs (a number) to ASCII."""
    return _MANGLED_COMMA_RE.sub("，", text).translate(_FULL_WIDTH)


def clean_text(text: str, prompt: str = "") -> str:
    """One decoded segment as the dialogue should see it; empty when it is an invented caption."""
    # A decode cut by the token cap can end inside a character (U+FFFD).
    text = repair_punctuation(text.replace("\ufffd", "")).strip()
    text = to_simplified(strip_prompt_echo(cut_repetition(text), prompt))
    return "" if _CAPTION_RE.search(text) else text
