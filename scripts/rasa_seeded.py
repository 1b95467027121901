"""Run the ``rasa`` command line with numpy's global random generator seeded first.

``rasa test nlu --cross-validation`` draws its folds from ``StratifiedKFold(shuffle=True)``
without a ``random_state``, i.e. from numpy's global generator, and has no seed option. Seeding
that generator before Rasa starts gives every configuration the same folds, so two pipelines are
compared on identical splits. Usage (in the Rasa venv)::

    .venv-rasa/bin/python scripts/rasa_seeded.py --seed 12393 test nlu --cross-validation ...
"""

from __future__ import annotations

import sys

import numpy as np


def main(argv: list[str]) -> None:
    """Seed numpy from ``--seed N`` (first two arguments), then hand the rest to Rasa's CLI."""
    if len(argv) < 2 or argv[0] != "--seed":
        raise ValueError("usage: rasa_seeded.py --seed N <rasa arguments>")
    np.random.seed(int(argv[1]))
    sys.argv = ["rasa", *argv[2:]]
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main(sys.argv[1:])
