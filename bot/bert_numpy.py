"""A BERT sentence encoder in plain numpy: WordPiece tokenizer, forward pass and mean pooling.

It runs the m3e-small weights exported once by ``scripts/export_m3e_numpy.py`` (``weights.npz``,
``vocab.txt``, ``config.json``) so that the Rasa environment, which has no torch and no
transformers, can compute the same sentence vectors as sentence-transformers in the app's venv.
Nothing here imports Rasa; ``bot/dense_featurizer.py`` wraps it as a Rasa component.
"""

from __future__ import annotations

import json
import logging
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

WEIGHTS_FILE = "weights.npz"
VOCAB_FILE = "vocab.txt"
CONFIG_FILE = "config.json"

# CJK ideograph blocks, as in BERT's BasicTokenizer (each such character becomes its own token).
_CJK_RANGES = (
    (0x4E00, 0x9FFF),
    (0x3400, 0x4DBF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F),
    (0x2B820, 0x2CEAF),
    (0xF900, 0xFAFF),
    (0x2F800, 0x2FA1F),
)


def _is_cjk(cp: int) -> bool:
    return any(lo <= cp <= hi for lo, hi in _CJK_RANGES)


def _is_control(ch: str) -> bool:
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch).startswith("C")


def _is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    # BERT counts every non-alphanumeric ASCII character ($, ^, `) as punctuation.
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def basic_tokenize(text: str) -> list[str]:
    """Split like BERT's BasicTokenizer (no lower-casing, as m3e-small's tokenizer is configured)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be str, got {type(text).__name__}")
    out: list[str] = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or _is_control(ch):
            continue
        if ch.isspace():
            out.append(" ")
        elif _is_cjk(cp):
            out.extend((" ", ch, " "))
        else:
            out.append(ch)
    tokens: list[str] = []
    for word in "".join(out).split():
        current: list[str] = []
        for ch in word:
            if _is_punctuation(ch):
                if current:
                    tokens.append("".join(current))
                    current = []
                tokens.append(ch)
            else:
                current.append(ch)
        if current:
            tokens.append("".join(current))
    return tokens


def wordpiece(word: str, vocab: Mapping[str, int], *, unk: str = "[UNK]", max_chars: int = 100) -> list[str]:
    """Greedy longest-match-first WordPiece split of one basic token ("##" marks continuations)."""
    if len(word) > max_chars:
        return [unk]
    pieces: list[str] = []
    start = 0
    while start < len(word):
        end = len(word)
        found = None
        while start < end:
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in vocab:
                found = piece
                break
            end -= 1
        if found is None:
            return [unk]
        pieces.append(found)
        start = end
    return pieces


@dataclass(frozen=True)
class WordPieceTokenizer:
    """BERT tokenizer: basic split, WordPiece, then ``[CLS] ... [SEP]`` ids, truncated to max_length."""

    vocab: Mapping[str, int]
    max_length: int = 512

    @classmethod
    def from_file(cls, path: Path, *, max_length: int = 512) -> WordPieceTokenizer:
        """Read a ``vocab.txt`` (one token a line, the line number is the id)."""
        lines = Path(path).read_text(encoding="utf-8").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        return cls({tok: i for i, tok in enumerate(lines)}, max_length)

    def tokenize(self, text: str) -> list[str]:
        """The WordPiece tokens of ``text`` without the special tokens."""
        return [p for word in basic_tokenize(text) for p in wordpiece(word, self.vocab)]

    def encode(self, text: str) -> list[int]:
        """Token ids with ``[CLS]`` and ``[SEP]``, at most ``max_length`` of them."""
        if self.max_length < 2:
            raise ValueError(f"max_length must be >= 2, got {self.max_length}")
        unk = self.vocab["[UNK]"]
        ids = [self.vocab.get(t, unk) for t in self.tokenize(text)][: self.max_length - 2]
        return [self.vocab["[CLS]"], *ids, self.vocab["[SEP]"]]


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def _erf(x: np.ndarray) -> np.ndarray:
    # Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7): numpy has no erf and scipy is not needed.
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


def gelu(x: np.ndarray) -> np.ndarray:
    """The exact (erf) GELU of BERT's ``hidden_act: gelu``."""
    return 0.5 * x * (1.0 + _erf(x / np.sqrt(2.0)))


class BertEncoder:
    """BERT forward pass over exported weights; ``encode`` gives mean-pooled sentence vectors."""

    def __init__(self, weights: Mapping[str, np.ndarray], config: Mapping[str, object]) -> None:
        self.w = {k: np.asarray(v, dtype=np.float32) for k, v in weights.items()}
        self.layers = int(config["num_hidden_layers"])  # type: ignore[call-overload]
        self.heads = int(config["num_attention_heads"])  # type: ignore[call-overload]
        self.hidden = int(config["hidden_size"])  # type: ignore[call-overload]
        self.eps = float(config.get("layer_norm_eps", 1e-12))  # type: ignore[arg-type]
        if config.get("hidden_act", "gelu") != "gelu":
            raise ValueError(f"config hidden_act {config.get('hidden_act')!r} is not supported (only gelu)")
        if self.hidden % self.heads:
            raise ValueError(
                f"hidden_size {self.hidden} is not divisible by num_attention_heads {self.heads}"
            )

    @property
    def dim(self) -> int:
        """Size of the sentence vectors."""
        return self.hidden

    def hidden_states(self, ids: Sequence[int]) -> np.ndarray:
        """Last-layer token states, shape (len(ids), hidden), for one unpadded sequence."""
        w, eps = self.w, self.eps
        ids_arr = np.asarray(ids, dtype=np.int64)
        if ids_arr.ndim != 1 or ids_arr.size == 0:
            raise ValueError("ids must be a non-empty sequence of token ids")
        n = ids_arr.size
        x = w["emb.word"][ids_arr] + w["emb.position"][:n] + w["emb.token_type"][0]
        x = _layer_norm(x, w["emb.ln.g"], w["emb.ln.b"], eps)
        hd = self.hidden // self.heads
        for i in range(self.layers):
            p = f"l{i}."
            q = (x @ w[p + "q.w"] + w[p + "q.b"]).reshape(n, self.heads, hd).transpose(1, 0, 2)
            k = (x @ w[p + "k.w"] + w[p + "k.b"]).reshape(n, self.heads, hd).transpose(1, 0, 2)
            v = (x @ w[p + "v.w"] + w[p + "v.b"]).reshape(n, self.heads, hd).transpose(1, 0, 2)
            scores = q @ k.transpose(0, 2, 1) / np.sqrt(hd)
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            probs = scores / scores.sum(axis=-1, keepdims=True)
            ctx = (probs @ v).transpose(1, 0, 2).reshape(n, self.hidden)
            x = _layer_norm(x + ctx @ w[p + "ao.w"] + w[p + "ao.b"], w[p + "ao.ln.g"], w[p + "ao.ln.b"], eps)
            inter = gelu(x @ w[p + "i.w"] + w[p + "i.b"])
            x = _layer_norm(x + inter @ w[p + "o.w"] + w[p + "o.b"], w[p + "o.ln.g"], w[p + "o.ln.b"], eps)
        return x

    def encode(self, sequences: Sequence[Sequence[int]]) -> np.ndarray:
        """Mean-pooled (over all tokens, [CLS] and [SEP] included) vectors, shape (len, hidden)."""
        out = np.zeros((len(sequences), self.hidden), dtype=np.float32)
        for row, ids in enumerate(sequences):
            out[row] = self.hidden_states(ids).mean(axis=0)
        return out


@dataclass(frozen=True)
class SentenceEncoder:
    """Tokenizer plus encoder: text in, mean-pooled m3e vectors out."""

    tokenizer: WordPieceTokenizer
    bert: BertEncoder

    @property
    def dim(self) -> int:
        """Size of the sentence vectors."""
        return self.bert.dim

    def encode(self, texts: Sequence[str], *, normalize: bool = False) -> np.ndarray:
        """Sentence vectors of ``texts``; with ``normalize`` each row has unit length."""
        vecs = self.bert.encode([self.tokenizer.encode(t) for t in texts])
        if normalize:
            norms = np.linalg.norm(vecs, axis=1, keepdims=True)
            vecs = vecs / np.maximum(norms, 1e-12)
        return vecs


def load_encoder(model_dir: Path, *, max_length: int = 512) -> SentenceEncoder:
    """Load an exported model folder; a missing file fails naming the export step."""
    model_dir = Path(model_dir)
    missing = [f for f in (WEIGHTS_FILE, VOCAB_FILE, CONFIG_FILE) if not (model_dir / f).exists()]
    if missing:
        raise FileNotFoundError(
            f"{model_dir} lacks {', '.join(missing)}; "
            "run `.venv/bin/python scripts/export_m3e_numpy.py` first"
        )
    config = json.loads((model_dir / CONFIG_FILE).read_text(encoding="utf-8"))
    limit = min(max_length, int(config.get("max_position_embeddings", 512)))
    with np.load(model_dir / WEIGHTS_FILE) as npz:
        weights = {k: npz[k] for k in npz.files}
    log.info("bert_numpy.loaded dir=%s tensors=%d max_length=%d", model_dir, len(weights), limit)
    return SentenceEncoder(
        WordPieceTokenizer.from_file(model_dir / VOCAB_FILE, max_length=limit), BertEncoder(weights, config)
    )
