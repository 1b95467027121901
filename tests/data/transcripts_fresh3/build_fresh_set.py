"""Build the third fresh labelled call set (clean/ and noised/ JSON) from the hand-written src/*.txt.

The dialogues were written by hand for issue 17 by a third writer, apart from the phrase pools the
inspection was tuned on and apart from the first two fresh sets; see README.md. Building and checking
are those of tests/data/transcripts_fresh/build_fresh_set.py (``write_set``, ``check_set``), which use
``parse`` and ``build`` of tests/data/transcripts/build_labelled_set.py and make the noised copies
with ``devtools.evaluation.make_noise`` (profile "phone", seeded by id). Nothing is scored.

On top, this script checks the split as tests/data/transcripts_fresh2/build_fresh_set.py does: odd
ids tune, even ids test, and every rule must be labelled about as often in either half (at most one
call apart).

Run: .venv/bin/python tests/data/transcripts_fresh3/build_fresh_set.py [--check]
(``--check`` only re-reads and checks the files already written.)
"""

from __future__ import annotations

import runpy
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    fresh2 = runpy.run_path(str(HERE.parent / "transcripts_fresh2" / "build_fresh_set.py"))
    fresh2["main"](HERE, "QH", 100, __doc__ or "")
