"""Simulated Mandarin speech-recogniser errors, to measure how retrieval copes with spoken questions.

A recogniser writes the right sound with the wrong characters (异地 -> 一地, 备案 -> 备按), merges
accent pairs (zh/z, n/l, in/ing, ...), drops or adds particles (的, 了, 啊, 嗯, 那个) and writes no
punctuation. ``AsrNoise`` does the same to a text: each Han character is replaced, at a per-character
rate, by a common character read with the same toneless syllable or a confusable one. Candidates come
from pypinyin's readings of a fixed list of characters (GB2312 level 1 plus the characters of a
corpus), weighted by how often they occur in the corpus, so common characters are chosen the way a
language model would choose them. Domain terms are hit at a higher rate, since those are the words
whose errors matter. Everything is drawn from a ``random.Random`` the caller seeds.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from pypinyin import Style, lazy_pinyin
from rapidfuzz.distance import Levenshtein

from knowledge.textnorm import CONFUSABLE_FINALS, CONFUSABLE_INITIALS, char_pinyin

_HAN_RE = re.compile(r"[\u4e00-\u9fff]")
_KEPT_RE = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
_READING_RE = re.compile(r"^([a-z]+)([1-5])$")

# Particles a recogniser drops or inserts, with the reading they have as particles (的确 and 了解
# are not particles and are left alone).
PARTICLES: dict[str, str] = {"的": "de", "了": "le", "啊": "a", "嗯": "n", "那个": "na ge"}


def gb2312_level1() -> str:
    """The 3755 level-1 characters of GB2312: the commonly used set of simplified Chinese."""
    chars = []
    for row in range(0xB0, 0xD8):
        for cell in range(0xA1, 0xFF):
            try:
                chars.append(bytes((row, cell)).decode("gb2312"))
            except UnicodeDecodeError:
                continue  # row 0xD7 ends at 0xF9
    return "".join(chars)


def _readings(text: str) -> list[tuple[str, int]]:
    """(toneless syllable, tone 1-5) per character of ``text``, read in context; ("", 0) for non-Han."""
    out = []
    for ch, reading in zip(text, char_pinyin(text, tones=True), strict=True):
        match = _READING_RE.match(reading) if _HAN_RE.match(ch) else None
        out.append((match.group(1), int(match.group(2))) if match else ("", 0))
    return out


def confusable_syllables(syllable: str) -> set[str]:
    """Syllables an initial swap, a final swap or both away (zhi -> zi, lan -> nang), not checked to exist."""
    heads = {syllable}
    for full, short in CONFUSABLE_INITIALS:
        if syllable.startswith(full) and len(syllable) > len(full):
            heads.add(short + syllable[len(full) :])
        elif syllable.startswith(short) and not syllable.startswith(full) and len(syllable) > len(short):
            heads.add(full + syllable[len(short) :])
    out = set(heads)
    for head in heads:
        for full, short in CONFUSABLE_FINALS:
            if head.endswith(full):
                out.add(head[: -len(full)] + short)
            elif head.endswith(short):
                out.add(head[: -len(short)] + full)
    out.discard(syllable)
    return out


@dataclass(frozen=True)
class Candidate:
    char: str
    tone: int
    weight: float


class SyllableTable:
    """Toneless syllable -> the common characters read that way, with their corpus weights."""

    def __init__(self, by_syllable: dict[str, list[Candidate]]) -> None:
        self.by_syllable = by_syllable
        self._syllable_of = {c.char: s for s, cands in by_syllable.items() for c in cands}

    @classmethod
    def build(cls, corpus: Iterable[str], common: str | None = None) -> SyllableTable:
        """Read every character of ``common`` (default GB2312 level 1) and of ``corpus``.

        A character's weight is one plus its count in ``corpus``; only its default reading is
        used, so a replacement sounds like the character it replaces.
        """
        counts: Counter[str] = Counter()
        for text in corpus:
            counts.update(ch for ch in text if _HAN_RE.match(ch))
        chars = sorted(set(gb2312_level1() if common is None else common) | set(counts))
        chars = [ch for ch in chars if _HAN_RE.match(ch)]
        marked = lazy_pinyin(chars, style=Style.TONE3, neutral_tone_with_five=True)
        table: dict[str, list[Candidate]] = {}
        for ch, reading in zip(chars, marked, strict=True):
            match = _READING_RE.match(str(reading))
            if match:
                table.setdefault(match.group(1), []).append(
                    Candidate(ch, int(match.group(2)), 1.0 + counts[ch])
                )
        for cands in table.values():
            cands.sort(key=lambda c: (-c.weight, c.char))
        return cls(table)

    def syllable_of(self, char: str) -> str | None:
        """The default toneless reading of ``char`` if it is in the table."""
        return self._syllable_of.get(char)

    def __contains__(self, syllable: object) -> bool:
        return syllable in self.by_syllable


@dataclass(frozen=True)
class NoiseConfig:
    """Rates of each kind of error; defaults give about one wrong character in eight."""

    rate: float = 0.12  # per Han character outside domain terms
    term_rate: float = 0.35  # per character inside a domain term: a 2-character term is hit half the time
    confusable_share: float = 0.3  # of replacements, those that take an accent-confusable syllable
    same_tone_weight: float = 3.0  # a same-tone homophone is this much likelier than another tone
    drop_rate: float = 0.3  # per particle
    insert_rate: float = 0.15  # per clause start: a particle or filler is inserted there

    def __post_init__(self) -> None:
        for name in ("rate", "term_rate", "confusable_share", "drop_rate", "insert_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        if self.same_tone_weight <= 0:
            raise ValueError(f"same_tone_weight must be positive, got {self.same_tone_weight}")


# Named strengths. "phone" is what the project's recogniser does on 8 kHz calls (Whisper-base with a
# domain prompt: about 10 % of characters wrong, MODELS.md): a language model keeps ordinary words
# and misses the rare domain terms. "harsh" swaps any character at 12 %, like a recogniser without
# a language model (about 18 % CER).
PROFILES: dict[str, NoiseConfig] = {
    "phone": NoiseConfig(rate=0.04),
    "harsh": NoiseConfig(),
}


def char_error_rate(reference: str, hypothesis: str) -> float:
    """Edit distance over the reference length, counting Han characters, letters and digits only."""
    ref = "".join(_KEPT_RE.findall(reference))
    hyp = "".join(_KEPT_RE.findall(hypothesis))
    return Levenshtein.distance(ref, hyp) / max(len(ref), 1)


class AsrNoise:
    """Turns text into what a Mandarin recogniser might have written for it."""

    def __init__(
        self, table: SyllableTable, *, terms: Sequence[str] = (), config: NoiseConfig | None = None
    ) -> None:
        self.table = table
        self.config = config or NoiseConfig()
        # Longest first, so 异地就医 is one term rather than 异地 plus 就医.
        self.terms = tuple(
            sorted({t for t in terms if len(t) >= 2 and _HAN_RE.search(t)}, key=len, reverse=True)
        )

    def noise(self, text: str, rng: random.Random) -> str:
        """A noised copy of ``text``: characters swapped by sound, particles changed, punctuation gone."""
        if not isinstance(text, str):
            raise TypeError(f"text must be str, got {type(text).__name__}")
        cfg = self.config
        readings = _readings(text)
        in_term = self._term_mask(text)
        particle_at = self._particles(text, readings)
        out: list[str] = []
        clause_start = True
        i = 0
        while i < len(text):
            ch = text[i]
            if _is_break(ch):
                clause_start = True
                i += 1
                continue
            if clause_start:
                clause_start = False
                if rng.random() < cfg.insert_rate:
                    out.append(rng.choice(tuple(PARTICLES)))
            length = particle_at.get(i)
            if length is not None and rng.random() < cfg.drop_rate:
                i += length
                continue
            syllable, tone = readings[i]
            if syllable and rng.random() < (cfg.term_rate if in_term[i] else cfg.rate):
                ch = self._substitute(ch, syllable, tone, rng)
            out.append(ch)
            i += 1
        return "".join(out)

    def _term_mask(self, text: str) -> list[bool]:
        mask = [False] * len(text)
        for term in self.terms:
            start = text.find(term)
            while start != -1:
                if not any(mask[start : start + len(term)]):
                    mask[start : start + len(term)] = [True] * len(term)
                start = text.find(term, start + len(term))
        return mask

    def _particles(self, text: str, readings: list[tuple[str, int]]) -> dict[int, int]:
        """Start index -> length of each particle read as a particle."""
        found: dict[int, int] = {}
        for word, reading in PARTICLES.items():
            sylls = reading.split()
            start = text.find(word)
            while start != -1:
                if [readings[start + k][0] for k in range(len(word))] == sylls:
                    found.setdefault(start, len(word))
                start = text.find(word, start + 1)
        return found

    def _substitute(self, char: str, syllable: str, tone: int, rng: random.Random) -> str:
        cfg = self.config
        confusable = sorted(s for s in confusable_syllables(syllable) if s in self.table)
        homophones = [c for c in self.table.by_syllable.get(syllable, []) if c.char != char]
        if confusable and (not homophones or rng.random() < cfg.confusable_share):
            pool = list(self.table.by_syllable[rng.choice(confusable)])
        else:
            pool = homophones
        pool = [c for c in pool if c.char != char]
        if not pool:
            return char
        weights = [c.weight * (cfg.same_tone_weight if c.tone == tone else 1.0) for c in pool]
        return rng.choices(pool, weights=weights)[0].char

    def noise_items(self, items: Iterable[dict], *, seed: int = 0) -> Iterator[dict]:
        """Noised copies of evaluation items (questions or dialogues): ids kept, ``noised`` set.

        Each item draws from its own generator seeded by ``seed`` and its id, so an item's noise does
        not depend on which other items are in the file.
        """
        for item in items:
            rng = random.Random(f"{seed}:{item['id']}")
            copy = dict(item, noised=True)
            if "question" in item:
                copy["question"] = self.noise(item["question"], rng)
            if "turns" in item:
                copy["turns"] = [dict(turn, user=self.noise(turn["user"], rng)) for turn in item["turns"]]
            yield copy


def _is_break(ch: str) -> bool:
    """Punctuation, symbols and spaces: a recogniser writes none of them."""
    return ch.isspace() or unicodedata.category(ch)[0] in "PS"
