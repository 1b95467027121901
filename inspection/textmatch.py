"""Robust phrase matching for spoken, ASR-transcribed Chinese.

A forbidden phrase must still be found when the transcript has spaces, punctuation,
modal particles (啊呀吧呢嘛), fillers inside the phrase (不归我们这边管) or homophone
errors from speech recognition (不贵我们管). Text and phrases are both reduced to a
sequence of toneless, dialect-folded pinyin syllables (zh=z, l=n, ing=in ...), one code
point per character, so one regular expression per lexicon does the work.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pypinyin import Style, pinyin

PARTICLES = frozenset("啊呀吧呢嘛哦哈啦嘞喽呗噢哇咯呐")
DEFAULT_FILLERS: tuple[str, ...] = (
    "那个",
    "这个",
    "这边",
    "那边",
    "嗯",
    "呃",
    "就",
    "都",
    "也",
    "的",
    "是",
    "还",
    "可",
)
_INITIAL_FOLDS = (("zh", "z"), ("ch", "c"), ("sh", "s"))
_FINAL_FOLDS = (("ang", "an"), ("eng", "en"), ("ing", "in"))
WILDCARD_CHARS = 8
# No filler right after a negator inside a phrase: 不就知道(了) is a rhetorical "you would know", not 不知道.
NEGATORS = "不没别"
# Where a sentence ends: a "*" gap does not cross it (recognised speech has none, so it crosses there).
_SENTENCE_END = re.compile(r"[。！？!?；;]")
_ERHUA = frozenset("哪这那")
_CODE_BASE = 0xF0000  # supplementary private-use plane: never occurs in transcripts


def _keep(ch: str) -> bool:
    """Characters that carry content: CJK ideographs, letters and digits."""
    if ch in PARTICLES:
        return False
    if "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf":
        return True
    return ch.isascii() and ch.isalnum()


def fold_syllable(syllable: str) -> str:
    """Merge sounds that dialect speakers and ASR confuse (zh/z, n/l, ang/an ...)."""
    s = syllable
    for a, b in _INITIAL_FOLDS:
        if s.startswith(a):
            s = b + s[len(a) :]
            break
    if s.startswith("l"):
        s = "n" + s[1:]
    if s == "hu":  # 湖/福: southern speakers and ASR confuse hu and fu
        s = "fu"
    for a, b in _FINAL_FOLDS:
        if s.endswith(a):
            s = s[: -len(a)] + b
            break
    return s


_syllable_codes: dict[str, str] = {}
_codes_lock = threading.Lock()


@lru_cache(maxsize=20000)
def char_code(ch: str) -> str:
    """One code point standing for the folded pinyin of ``ch`` (itself for non-Chinese)."""
    if not ("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"):
        return ch.lower()
    return _syllable_code(pinyin(ch, style=Style.NORMAL, heteronym=False, errors="default")[0][0])


def _syllable_code(syl: str) -> str:
    key = fold_syllable(syl) if syl.isascii() else syl
    with _codes_lock:  # API requests run in threads: one syllable must get one code
        code = _syllable_codes.get(key)
        if code is None:
            code = chr(_CODE_BASE + len(_syllable_codes))
            _syllable_codes[key] = code
    return code


def phrase_codes(phrase: str) -> tuple[str, ...]:
    """Sound codes of a phrase read character by character and read as a word: 成都 is cheng-dou
    to ``char_code`` but cheng-du when spoken, which is what a recogniser's 成度 sounds like."""
    chars = normalize(phrase).chars
    by_char = "".join(char_code(ch) for ch in chars)
    readings = pinyin(chars, style=Style.NORMAL, errors="default")
    if len(readings) != len(chars) or not all("\u4e00" <= ch <= "\u9fff" for ch in chars):
        return (by_char,)  # only all-Chinese phrases (place names) have a word reading here
    spoken = "".join(_syllable_code(r[0]) for r in readings)
    return (by_char,) if spoken == by_char else (by_char, spoken)


@dataclass(frozen=True)
class NormText:
    """A normalised view of a text: kept characters, their original offsets, their sound codes."""

    original: str
    chars: str
    offsets: tuple[int, ...]
    codes: str

    def span(self, start: int, end: int) -> str:
        """Original text covering normalised positions [start, end)."""
        if start >= end:
            return ""
        return self.original[self.offsets[start] : self.offsets[end - 1] + 1]


_CHAR_INFO: dict[str, tuple[str, str]] = {}


def _char_info(ch: str) -> tuple[str, str]:
    """(kept character or "", its sound code), memoised: normalising is the hot loop of inspection."""
    info = _CHAR_INFO.get(ch)
    if info is None:
        kept = ch.lower() if _keep(ch) else ""
        info = (kept, char_code(kept) if kept else "")
        _CHAR_INFO[ch] = info
    return info


def normalize(text: str) -> NormText:
    """Drop spacing, punctuation and particles; keep offsets so evidence quotes the original."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    src = text if text.isascii() else unicodedata.normalize("NFKC", text)
    if len(src) != len(text):  # NFKC changed the length: quote the normalised text instead
        text = src
    chars: list[str] = []
    codes: list[str] = []
    offsets: list[int] = []
    info = _CHAR_INFO
    for i, ch in enumerate(src):
        kept, code = info.get(ch) or _char_info(ch)
        if kept == "儿" and chars and chars[-1] in _ERHUA:
            continue  # 在哪儿办 is 在哪办: the erhua of 哪/这/那 adds no syllable of its own
        if kept:
            chars.append(kept)
            codes.append(code)
            offsets.append(i)
    return NormText(text, "".join(chars), tuple(offsets), "".join(codes))


def normalize_phrase(phrase: str) -> str:
    """Normalised characters of a lexicon phrase."""
    return normalize(phrase).chars


@dataclass(frozen=True)
class Match:
    """A lexicon phrase found in a text."""

    phrase: str
    start: int
    end: int
    evidence: str
    exact: bool


@dataclass(frozen=True)
class LexiconEntry:
    """A phrase with optional exclusions (longer phrases in which the match does not count)."""

    phrase: str
    exclusions: tuple[str, ...] = ()


def parse_lexicon(lines: Iterable[str]) -> list[LexiconEntry]:
    """Parse ``phrase | exclusion | exclusion`` lines; ``#`` starts a comment, ``*`` is a short gap."""
    entries: list[LexiconEntry] = []
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = [p.strip() for p in line.split("|")]
        if not normalize_phrase(parts[0].replace("*", "")):
            continue
        entries.append(LexiconEntry(parts[0], tuple(p for p in parts[1:] if p)))
    return entries


def load_lexicon(path: Path) -> list[LexiconEntry]:
    """Read a lexicon file (UTF-8, one entry per line)."""
    return parse_lexicon(Path(path).read_text(encoding="utf-8").splitlines())


def _spaced(codes: str, gap: str, negators: set[str]) -> str:
    """A phrase's pattern: ``gap`` (fillers) between its sounds, except right after a negator."""
    return "".join(
        re.escape(c) + ("" if c in negators or i == len(codes) - 1 else gap) for i, c in enumerate(codes)
    )


class PhraseMatcher:
    """Finds lexicon phrases in text, tolerant of fillers, particles and homophones."""

    def __init__(
        self,
        entries: Sequence[LexiconEntry | str],
        *,
        fillers: Sequence[str] = DEFAULT_FILLERS,
        max_fillers: int = 1,
        homophones: bool = True,
    ) -> None:
        if max_fillers < 0:
            raise ValueError(f"max_fillers must be >= 0, got {max_fillers}")
        self.entries = [e if isinstance(e, LexiconEntry) else LexiconEntry(e) for e in entries]
        self.homophones = homophones
        self._key = (lambda n: n.codes) if homophones else (lambda n: n.chars)
        filler_alts = sorted({self._encode(f) for f in fillers if normalize_phrase(f)}, key=len, reverse=True)
        gap = (
            f"(?:{'|'.join(map(re.escape, filler_alts))}){{0,{max_fillers}}}"
            if filler_alts and max_fillers
            else ""
        )
        negators = {self._encode(c) for c in NEGATORS}
        self._phrases: list[LexiconEntry] = []
        self._exclusions: list[re.Pattern[str] | None] = []
        self._gapped: list[bool] = []  # phrases with a "*" gap
        # Patterns indexed by their first sound: at each position only the phrases that can start
        # there are tried, which is several times faster than one big alternation.
        self._by_first: dict[str, list[tuple[int, re.Pattern[str]]]] = {}
        for entry in self.entries:
            # "*" in a phrase stands for up to WILDCARD_CHARS characters of anything (你自己*查).
            pieces = [p for p in (self._encode(x) for x in entry.phrase.split("*")) if p]
            if not pieces:
                continue
            pattern = f".{{0,{WILDCARD_CHARS}}}?".join(_spaced(p, gap, negators) for p in pieces)
            idx = len(self._phrases)
            self._by_first.setdefault(pieces[0][0], []).append((idx, re.compile(pattern)))
            self._phrases.append(entry)
            self._gapped.append(len(pieces) > 1)
            excl = [self._encode(x) for x in entry.exclusions if self._encode(x)]
            self._exclusions.append(re.compile("|".join(map(re.escape, excl))) if excl else None)

    def _encode(self, phrase: str) -> str:
        return self._key(normalize(phrase))

    def find(self, text: str | NormText) -> list[Match]:
        """Every non-overlapping phrase occurrence, left to right; at one position the first listed wins."""
        if not self._by_first:
            return []
        norm = text if isinstance(text, NormText) else normalize(text)
        hay = self._key(norm)
        found: list[Match] = []
        pos, n = 0, len(hay)
        by_first = self._by_first
        while pos < n:
            candidates = by_first.get(hay[pos])
            hit = None
            if candidates:
                for idx, pattern in candidates:
                    m = pattern.match(hay, pos)
                    if m is None:
                        continue
                    if self._gapped[idx] and _SENTENCE_END.search(norm.span(m.start(), m.end())):
                        continue  # a gap never reaches into the next sentence (去拿就行。请问)
                    excl = self._exclusions[idx]
                    if excl is not None and any(
                        x.start() <= m.end() and x.end() >= m.start() for x in excl.finditer(hay)
                    ):
                        continue
                    hit = (idx, m)
                    break
            if hit is None:
                pos += 1
                continue
            idx, m = hit
            entry = self._phrases[idx]
            found.append(
                Match(
                    phrase=entry.phrase,
                    start=m.start(),
                    end=m.end(),
                    evidence=norm.span(m.start(), m.end()),
                    exact=norm.chars[m.start() : m.end()] == normalize_phrase(entry.phrase.replace("*", "")),
                )
            )
            pos = max(m.end(), pos + 1)
        return found

    def search(self, text: str | NormText) -> Match | None:
        """The first occurrence, or None."""
        found = self.find(text)
        return found[0] if found else None


@lru_cache(maxsize=256)
def sound_pattern(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    """A regular expression over characters turned into one over sound codes (``NormText.codes``):
    recognised speech writes 窝浙边说也不算 for 我这边说了也不算. A sound code is no word character
    to ``re``: ``\\w`` (any character, 爱(\\w)不\\1) becomes ``\\S``. None when it does not compile."""
    text = "".join(re.escape(char_code(ch)) if "\u4e00" <= ch <= "\u9fff" else ch for ch in pattern.pattern)
    text = text.replace("\\w", "\\S")
    try:
        return re.compile(text)
    except re.error:
        return None
