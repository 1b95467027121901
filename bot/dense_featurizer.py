"""Rasa component: dense m3e-small sentence features for DIET, computed in numpy (issue 13).

Use it in a pipeline as ``bot.dense_featurizer.M3ESentenceFeaturizer`` (Rasa puts the working
directory on ``sys.path``; run Rasa from the project root or with it on ``PYTHONPATH``). It adds
one dense SENTENCE feature (the mean-pooled 512-d m3e-small vector) to the ``text`` of every
message and no sequence features, so the token-level features stay the sparse ones. The math lives
in ``bot/bert_numpy.py``; the weights are exported once by ``scripts/export_m3e_numpy.py``.

Config: ``model_dir`` (exported folder; relative paths are taken from the project root),
``max_length`` (tokens, [CLS]/[SEP] included), ``normalize`` (unit-length vectors),
``blas_threads`` (BLAS threads for the forward pass; 1 is fastest for one short sentence at a time
on a busy machine). Note: Rasa caches a non-trainable component's output by its config, so after
re-exporting different weights, clear the Rasa cache or change ``model_dir``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from threadpoolctl import threadpool_limits

from bot.bert_numpy import SentenceEncoder, load_encoder

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class M3ESentenceFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds the m3e-small sentence vector of a message's text as a dense sentence feature."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Defaults: the exported folder under var/models, raw (unnormalised) mean pooling."""
        return {
            **DenseFeaturizer.get_default_config(),
            "model_dir": "var/models/m3e-small-numpy",
            "max_length": 128,
            "normalize": False,
            "blas_threads": 1,
        }

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Reject a non-positive length or thread count before any training starts."""
        if int(config.get("max_length", 128)) < 2:
            raise InvalidConfigException("M3ESentenceFeaturizer: max_length must be >= 2")
        if int(config.get("blas_threads", 1)) < 1:
            raise InvalidConfigException("M3ESentenceFeaturizer: blas_threads must be >= 1")

    def __init__(self, config: dict[str, Any], name: str) -> None:
        super().__init__(name, config)
        path = Path(self._config["model_dir"])
        self._model_dir = path if path.is_absolute() else PROJECT_ROOT / path
        self._encoder: SentenceEncoder | None = None

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> M3ESentenceFeaturizer:
        """Create the component; the weights load on first use."""
        return cls(config, execution_context.node_name)

    def _get_encoder(self) -> SentenceEncoder:
        if self._encoder is None:
            self._encoder = load_encoder(self._model_dir, max_length=int(self._config["max_length"]))
        return self._encoder

    def process(self, messages: list[Message]) -> list[Message]:
        """Add the sentence feature to every message that has text."""
        with_text = [m for m in messages if m.get(TEXT)]
        if not with_text:
            return messages
        with threadpool_limits(limits=int(self._config["blas_threads"]), user_api="blas"):
            vectors = self._get_encoder().encode(
                [m.get(TEXT) for m in with_text], normalize=bool(self._config["normalize"])
            )
        for message, vec in zip(with_text, vectors, strict=True):
            self.add_features_to_message(None, vec[np.newaxis, :], TEXT, message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Featurize the training examples in place."""
        self.process(training_data.training_examples)
        return training_data
