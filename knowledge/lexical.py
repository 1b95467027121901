"""BM25 over jieba words and Han character bigrams, with the domain dictionary loaded.

Words carry meaning (异地就医, 备案); bigrams survive segmentation differences between
a caller's phrasing and the indexed text. Postings are updated in place, so adding or
removing one document costs only that document.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

import jieba

from knowledge.textnorm import domain_terms

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


def tokenize(text: str) -> list[str]:
    """Words (search mode) plus Han bigrams, lower-cased, stopwords removed."""
    text = text.lower()
    words = [w for w in _tokenizer().lcut_for_search(text) if _TOKEN_RE.match(w) and w not in STOPWORDS]
    bigrams = [run[i : i + 2] for run in _HAN_RUN_RE.findall(text) for i in range(len(run) - 1)]
    return words + ["§" + b for b in bigrams]


class BM25Index:
    """Okapi BM25 with incremental add and remove."""

    def __init__(self, k1: float = 1.2, b: float = 0.75):
        self.k1 = k1
        self.b = b
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
        length = sum(counts.values())
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
        scores: dict[int, float] = {}
        for term, qtf in Counter(tokenize(query)).items():
            posting = self._postings.get(term)
            if not posting:
                continue
            idf = self.idf(term)
            for doc_id, tf in posting.items():
                if allowed is not None and doc_id not in allowed:
                    continue
                norm = (
                    tf
                    * (self.k1 + 1)
                    / (tf + self.k1 * (1 - self.b + self.b * self._lengths[doc_id] / avgdl))
                )
                scores[doc_id] = scores.get(doc_id, 0.0) + idf * norm * (1 + 0.2 * (qtf - 1))
        return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:k]

    def max_score(self, query: str) -> float:
        """The score a document containing every query term once would get: a scale for confidence."""
        return sum(self.idf(t) for t in set(tokenize(query))) * 1.0
