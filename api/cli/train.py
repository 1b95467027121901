"""``hotline train``: train the Rasa model when (and only when) its training data changed."""

from __future__ import annotations

import argparse
import sys

from api.settings import get_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``train`` sub-command."""
    tr = subparsers.add_parser("train", help="训练对话模型（训练数据未变时直接使用缓存的模型）")
    tr.add_argument("--force", action="store_true", help="即使缓存中已有同一数据的模型也重新训练")
    tr.set_defaults(handler=_train)


def _train(args: argparse.Namespace) -> int:
    from bot.actions.grievance import load_model
    from bot.rasa_model import ensure_model

    settings = get_settings()
    path = ensure_model(settings.rasa_model_dir, settings.rasa_venv, force=args.force)
    load_model(settings)  # the routing's grievance score, fitted on the same NLU data (cached)
    sys.stdout.write(f"{path}\n")
    return 0
