"""Build the fourth fresh labelled call set (clean/ and noised/ JSON) from the hand-written src/*.txt.

The dialogues were written by hand for issue 17 by a fourth writer, apart from the phrase pools the
inspection was tuned on and apart from the first three fresh sets; see README.md. Building and
checking are those of tests/data/transcripts_fresh/build_fresh_set.py (``write_set``, ``check_set``),
which use ``parse`` and ``build`` of tests/data/transcripts/build_labelled_set.py and make the noised
copies with ``devtools.evaluation.make_noise`` (profile "phone", seeded by id). Nothing is scored.

On top, this script checks the split as tests/data/transcripts_fresh2/build_fresh_set.py does: odd
ids tune, even ids test, and every rule must be labelled about as often in either half (at most one
call apart).

Run: .venv/bin/python tests/data/transcripts_fresh4/build_fresh_set.py [--check]
(``--check`` only re-reads and checks the files already written.)
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

HERE = Path(__file__).resolve().parent
_FRESH2 = HERE.parent / "transcripts_fresh2" / "build_fresh_set.py"
_SPEC = importlib.util.spec_from_file_location("fresh2_build", _FRESH2)
assert _SPEC is not None and _SPEC.loader is not None
fresh2 = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(fresh2)

if __name__ == "__main__":
    fresh2.main(HERE, "QJ", 100, __doc__ or "")
