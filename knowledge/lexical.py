"""BM25 over jieba words, Han character bigrams and pinyin syllable bigrams, with the domain terms loaded.

Words carry meaning (异地就医, 备案); bigrams survive segmentation differences between
a caller's phrasing and the indexed text; pinyin bigrams (toneless, accent pairs folded by
``textnorm.fuzzy_syllable``) survive a speech recogniser writing the right sound with the wrong
characters (办理材料 heard as 半理才料). A pinyin bigram counts only where its Han bigram is
missing, so a clean question scores as before. Postings are updated in place, so adding or removing
one document costs only that document.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from functools import lru_cache

import jieba

from knowledge.textnorm import domain_terms, pinyin_keys

_HAN_RUN_RE = re.compile(r"[\u4e00-\u9fff]+")
_TOKEN_RE = re.compile(r"[\u4e00-\u9fff]|[a-z0-9]+")
STOPWORDS = frozenset(
    "的 了 吗 呢 啊 呀 吧 嘛 哦 哈 么 我 你 他 她 它 我们 你们 是 在 有 和 与 或 也 "
    "就 都 还 又 这 那 这个 那个 "
    "一下 请问 您好 你好 喂 一个 个 可以 能 会 要 想 问 问问 下 请 里 上 么 啥 呗 咯 嗯".split()
)


@lru_cache(maxsize=1)
def _tokenizer() -> jieba.Tokenizer:
    jieba.setLogLevel(logging.WARNING)  # jieba logs its dictionary loading at DEBUG on its own handler
    tok = jieba.Tokenizer()
    tok.initialize()
    for term in domain_terms():
        tok.add_word(term, freq=200000)
    return tok


PINYIN_PREFIX = "py:"


def _bigrams(text: str) -> list[tuple[str, str]]:
    """(Han bigram token, pinyin bigram token) for each pair of adjacent Han characters."""
    runs = [(m.start(), m.end()) for m in _HAN_RUN_RE.finditer(text)]
    keys = pinyin_keys(text) if runs else []
    return [
        ("§" + text[i : i + 2], f"{PINYIN_PREFIX}{keys[i]} {keys[i + 1]}")
        for start, end in runs
        for i in range(start, end - 1)
    ]


def _analyse(text: str) -> tuple[list[str], list[tuple[str, str]]]:
    text = text.lower()
    words = [w for w in _tokenizer().lcut_for_search(text) if _TOKEN_RE.match(w) and w not in STOPWORDS]
    return words, _bigrams(text)


def word_boundaries(text: str) -> tuple[set[int], Callable[[str], bool]]:
    """Offsets where jieba's words of ``text`` start or end, and a test for dictionary words."""
    tok = _tokenizer()
    bounds = {0}
    for word in tok.lcut(text):
        bounds.add(max(bounds) + len(word))
    return bounds, lambda w: bool(tok.FREQ.get(w))


def dictionary_cut(text: str) -> list[str]:
    """jieba's words of ``text`` from its dictionary (and the domain terms) alone, without the
    guesser of new words: an unknown pair of characters stays two single characters."""
    return _tokenizer().lcut(text, HMM=False)


def tokenize(text: str) -> list[str]:
    """Words (search mode), Han bigrams and pinyin bigrams, lower-cased, stopwords removed."""
    words, bigrams = _analyse(text)
    return words + [han for han, _ in bigrams] + [sound for _, sound in bigrams]


class BM25Index:
    """Okapi BM25 with incremental add and remove, and pinyin bigrams as a back-off.

    A query's pinyin bigram scores only in documents that lack the Han bigram it was read from, at
    ``pinyin_weight`` of a Han token: a document holding the caller's very characters scores as
    without pinyin, one holding only the same sounds (what the caller meant, when the recogniser wrote
    一地 for 异地) gets part of that score. Document lengths count Han-side tokens only, for the same
    reason. Of the weights tried (0.5, 0.8, 1.0; issue 13, tests/data/kb_*.jsonl clean and noised),
    0.5 is the largest that kept the abstain rate on unanswerable noised questions; higher ones
    recovered more noised questions but also more near misses.
    """

    def __init__(self, k1: float = 1.2, b: float = 0.75, pinyin_weight: float = 0.5):
        if not 0.0 <= pinyin_weight <= 1.0:
            raise ValueError(f"pinyin_weight must be between 0 and 1, got {pinyin_weight}")
        self.k1 = k1
        self.b = b
        self.pinyin_weight = pinyin_weight
        self._postings: dict[str, dict[int, int]] = {}
        self._lengths: dict[int, int] = {}
        self._total_length = 0

    def __len__(self) -> int:
        return len(self._lengths)

    def add(self, doc_id: int, text: str) -> None:
        if doc_id in self._lengths:
            self.remove([doc_id])
        counts = Counter(tokenize(text))
        for term, tf in counts.items():
            self._postings.setdefault(term, {})[doc_id] = tf
        length = sum(tf for term, tf in counts.items() if not term.startswith(PINYIN_PREFIX))
        self._lengths[doc_id] = length
        self._total_length += length

    def remove(self, doc_ids: Iterable[int]) -> None:
        for doc_id in doc_ids:
            length = self._lengths.pop(doc_id, None)
            if length is None:
                continue
            self._total_length -= length
            for term in list(self._postings):
                posting = self._postings[term]
                if posting.pop(doc_id, None) is not None and not posting:
                    del self._postings[term]

    def idf(self, term: str) -> float:
        n = len(self._postings.get(term, ()))
        return math.log(1 + (len(self._lengths) - n + 0.5) / (n + 0.5))

    def search(self, query: str, k: int, allowed: set[int] | None = None) -> list[tuple[int, float]]:
        """Top-k (doc_id, score), best first; ``allowed`` restricts the candidates."""
        if not self._lengths:
            return []
        avgdl = self._total_length / len(self._lengths)
        words, bigrams = _analyse(query)
        read_from: dict[str, set[str]] = {}
        for han, sound in bigrams:
            read_from.setdefault(sound, set()).add(han)
        terms = words + [han for han, _ in bigrams] + [sound for _, sound in bigrams]
        scores: dict[int, float] = {}
        for term, qtf in Counter(terms).items():
            posting = self._postings.get(term)
            if not posting:
                continue
            weight = 1.0
            has_han: set[int] = set()
            if term in read_from:
                weight = self.pinyin_weight
                if not weight:
                    continue
                for han in read_from[term]:
                    has_han.update(self._postings.get(han, ()))
            idf = self.idf(term) * weight
            for doc_id, tf in posting.items():
                if doc_id in has_han or (allowed is not None and doc_id not in allowed):
                    continue
                norm = (
                    tf
                    * (self.k1 + 1)
                    / (tf + self.k1 * (1 - self.b + self.b * self._lengths[doc_id] / avgdl))
                )
                scores[doc_id] = scores.get(doc_id, 0.0) + idf * norm * (1 + 0.2 * (qtf - 1))
        return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:k]

    def max_score(self, query: str) -> float:
        """The score a document containing every query term once would get: a scale for confidence.

        Pinyin bigrams add nothing to such a document (it has their Han bigrams), so they are left out.
        """
        words, bigrams = _analyse(query)
        return sum(self.idf(t) for t in {*words, *(han for han, _ in bigrams)})
