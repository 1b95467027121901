"""Sentence embeddings with sentence-transformers, loaded lazily and once.

The model folder is passed in (a setting of the app); nothing is fetched from a hub.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


class ModelMissingError(RuntimeError):
    """The embedding model folder is missing; the message names the setting to fix."""


class Embedder:
    """Turns texts into L2-normalised float32 vectors (cosine = inner product)."""

    def __init__(
        self, model_path: str | Path, *, setting_name: str = "HOTLINE_EMBEDDING_MODEL", threads: int = 1
    ):
        self.model_path = Path(model_path) if model_path else Path("")
        self.setting_name = setting_name
        self.threads = threads
        self._model = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.model_path.name

    def _load(self):  # type: ignore[no-untyped-def]
        with self._lock:
            if self._model is not None:
                return self._model
            if not str(self.model_path) or not (self.model_path / "config.json").exists():
                raise ModelMissingError(
                    f"embedding model not found at {str(self.model_path) or '(empty)'}; "
                    f"set {self.setting_name} to a sentence-transformers model folder (see README, Models)"
                )
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            import torch
            from sentence_transformers import SentenceTransformer

            torch.set_num_threads(self.threads)
            log.info("loading embedding model from %s", self.model_path)
            self._model = SentenceTransformer(str(self.model_path), device="cpu")
            return self._model

    @property
    def dimension(self) -> int:
        model = self._load()
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(get_dim())

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Embed ``texts``; an empty list gives an empty (0, dim) array."""
        if isinstance(texts, str):
            raise TypeError("texts must be a sequence of strings, not a single string")
        model = self._load()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = model.encode(
            list(texts),
            batch_size=batch_size,
            show_progress_bar=progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
