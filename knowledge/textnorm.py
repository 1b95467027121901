"""Text normalisation for search: cleaning, dialect wording, and ASR homophone repair by pinyin.

Mandarin ASR writes the right sound with the wrong characters (一地就医 for 异地就医, 备按 for
备案). Comparing the toneless pinyin of a window of the text with the pinyin of each domain
term finds these, so retrieval sees the term the caller said. The same toneless, accent-folded
syllables (``pinyin_keys``) give lexical search its pinyin tokens for the words no term list holds.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import cast

from pypinyin import Style, lazy_pinyin

DATA_DIR = Path(__file__).resolve().parent / "data"

_EMOJI_RE = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d]")
_SPACE_RE = re.compile(r"\s+")
_HAN_RE = re.compile(r"[\u4e00-\u9fff]")
_REPEAT_PUNCT_RE = re.compile(r"([，。！？、,.!?~～])\1+")

# Pairs that regional accents and speech recognisers merge (the "fuzzy pinyin" options of input
# methods): initials zh/z, ch/c, sh/s, n/l, h/f and finals ang/an, eng/en, ing/in. In each pair the
# first is folded into the second.
CONFUSABLE_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"), ("h", "f"))
CONFUSABLE_FINALS = (("ang", "an"), ("eng", "en"), ("ing", "in"))


def clean_text(text: str) -> str:
    """NFKC-normalise, drop emoji and control characters, collapse whitespace and repeated punctuation."""
    if not isinstance(text, str):
        raise TypeError(f"text must be str, got {type(text).__name__}")
    text = unicodedata.normalize("NFKC", text)
    text = _EMOJI_RE.sub("", text)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in "\n\t")
    text = _REPEAT_PUNCT_RE.sub(r"\1", text)
    return _SPACE_RE.sub(" ", text).strip()


def has_chinese(text: str) -> bool:
    return bool(_HAN_RE.search(text))


def read_lines(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


@lru_cache(maxsize=1)
def domain_terms() -> tuple[str, ...]:
    """Domain terms from ``data/domain_terms.txt``, longest first."""
    return tuple(sorted(set(read_lines(DATA_DIR / "domain_terms.txt")), key=len, reverse=True))


@lru_cache(maxsize=1)
def _dialect_pairs() -> tuple[tuple[str, str], ...]:
    pairs = [tuple(ln.split("\t", 1)) for ln in read_lines(DATA_DIR / "dialect.tsv")]
    return tuple(sorted(((a, b) for a, b in pairs), key=lambda p: len(p[0]), reverse=True))


@lru_cache(maxsize=4096)
def fuzzy_syllable(syllable: str) -> str:
    """Fold the confusable pairs into one spelling (zhang -> zan, nv -> lv, hu -> fu), so that syllables
    an accent or a recogniser confuses compare equal; a repair or a match may cross them."""
    for full, short in CONFUSABLE_INITIALS:
        if syllable.startswith(full) and len(syllable) > len(full):
            syllable = short + syllable[len(full) :]
            break
    for full, short in CONFUSABLE_FINALS:
        if syllable.endswith(full):
            syllable = syllable[: -len(full)] + short
            break
    return syllable


def _syllables(text: str) -> list[str]:
    """One toneless, accent-folded syllable per character (non-Han characters stand for themselves).

    Read character by character, as the terms are: a miswritten term is no known phrase, so reading
    it in context would not help, and the term and its miswriting must be read alike.
    """
    return _folded(text, _char_pinyin(text))


def pinyin_keys(text: str) -> list[str]:
    """Like the repair's syllables, but read in context (银行 is yin hang): what lexical search
    indexes, where a document's heteronyms must sound the way a caller says them."""
    return _folded(text, char_pinyin(text))


def _folded(text: str, readings: list[str]) -> list[str]:
    return [fuzzy_syllable(s) if _HAN_RE.match(ch) else ch for ch, s in zip(text, readings, strict=True)]


def _char_pinyin(text: str) -> list[str]:
    out = lazy_pinyin(list(text), style=Style.NORMAL, errors=_each_char)
    # lazy_pinyin on a list gives one item per input element.
    return [str(s) for s in out]


def _each_char(chars: str) -> str:
    # pypinyin accepts a list here (one item per character); its stubs say str.
    return cast(str, list(chars))


def char_pinyin(text: str, *, tones: bool = False) -> list[str]:
    """One reading per character, read in context (长 in 长期 is chang); non-Han characters as themselves.

    With ``tones`` the tone is a final digit, 5 for the neutral tone (yi4, de5).
    """
    style = Style.TONE3 if tones else Style.NORMAL
    out = lazy_pinyin(text, style=style, neutral_tone_with_five=True, errors=_each_char)
    if len(out) != len(text):  # not seen; read character by character rather than misalign
        out = lazy_pinyin(list(text), style=style, neutral_tone_with_five=True, errors=_each_char)
    return [str(s) for s in out]


# Sentence particles: a window ending in one is a question or a tone, never a misheard term.
PARTICLES = frozenset("吗嘛么呢吧啊呀")


@lru_cache(maxsize=8)
def _term_index(terms: tuple[str, ...]) -> dict[int, dict[tuple[str, ...], str]]:
    index: dict[int, dict[tuple[str, ...], str]] = {}
    for term in terms:
        if len(term) >= 2 and _HAN_RE.search(term):
            index.setdefault(len(term), {}).setdefault(tuple(_syllables(term)), term)
    return index


def replace_spans(text: str, lengths: Iterable[int], find: Callable[[int, int], str | None]) -> str:
    """Scan ``text`` from the left; where ``find(start, length)`` names a replacement for the span
    (lengths tried in the order given, longest first), write it and go on after the span."""
    lengths = tuple(lengths)
    out: list[str] = []
    i = 0
    while i < len(text):
        for length in lengths:
            found = find(i, length) if i + length <= len(text) else None
            if found is not None:
                out.append(found)
                i += length
                break
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def normalize_domain_terms(text: str) -> str:
    """Replace sound-alike miswritings of domain terms with the terms (一地就医 -> 异地就医)."""
    return repair_by_sound(text, domain_terms())


def repair_by_sound(text: str, terms: tuple[str, ...]) -> str:
    """Replace sound-alike miswritings of ``terms`` (a tuple, longest first wins) with the terms:
    the repair of ``normalize_domain_terms`` for another word list (到刷 -> 盗刷 for routing cues)."""
    if not text:
        return text
    index = _term_index(terms)
    sylls = _syllables(text)

    def find(start: int, length: int) -> str | None:
        term = index[length].get(tuple(sylls[start : start + length]))
        last = text[start + length - 1]
        if term is not None and last in PARTICLES and term[-1] != last:
            return None  # "能用医保吗" asks a question; it is not 医保码
        return term

    return replace_spans(text, sorted(index, reverse=True), find)


def normalize_dialect(text: str) -> str:
    """Rewrite colloquial wording to standard wording (咋整 -> 怎么办) so both rankers see one form."""
    for src, dst in _dialect_pairs():
        if src in text:
            text = text.replace(src, dst)
    return text


# A separable verb with a measure word inside (打个分, 挂个号, 办个卡, 报个销): the joined word is
# what entries and the lexicon hold.
_SEPARATED_RE = re.compile(
    r"(打|评|挂|办|报|备|交|缴|看|开|住|结|刷|补|转|签|体|问|投)[个了过次回下](分|号|卡|销|案|费|病|药|院|账|证|电话|检|事|诉)"
)


def join_separable_verbs(text: str) -> str:
    """打个分 -> 打分, 挂了号 -> 挂号: the verb and its object joined as one word."""
    return _SEPARATED_RE.sub(r"\1\2", text)


def normalize_query(text: str) -> str:
    """The full normalisation applied to both indexed text and questions before search."""
    return join_separable_verbs(normalize_dialect(normalize_domain_terms(clean_text(text))))
