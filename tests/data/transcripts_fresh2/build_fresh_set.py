"""Build the second fresh labelled call set (clean/ and noised/ JSON) from the hand-written src/*.txt.

The dialogues were written by hand for issue 17, apart from the phrase pools the inspection was
tuned on and apart from the first fresh set; see README.md. Building and checking are those of
tests/data/transcripts_fresh/build_fresh_set.py (``write_set``, ``check_set``), which use ``parse``
and ``build`` of tests/data/transcripts/build_labelled_set.py and make the noised copies with
``devtools.evaluation.make_noise`` (profile "phone", seeded by id). Nothing is scored.

On top, this script checks the split: odd ids tune, even ids test, and every rule must be labelled
about as often in either half (at most one call apart).

Run: .venv/bin/python tests/data/transcripts_fresh2/build_fresh_set.py [--check]
(``--check`` only re-reads and checks the files already written.)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "transcripts_fresh"))

from build_fresh_set import check_set, write_set  # noqa: E402

PREFIX = "QG"
COUNT = 110


def half(call_id: str, prefix: str = PREFIX) -> str:
    """The half a call belongs to: odd ids tune, even ids test."""
    return "tune" if int(call_id[len(prefix) :]) % 2 else "test"


def check_split(here: Path = HERE, prefix: str = PREFIX, count: int = COUNT) -> dict[str, Counter[str]]:
    """Count the labels of each half; check that ids run {prefix}001..{count} and every rule is balanced."""
    per_half: dict[str, Counter[str]] = {"tune": Counter(), "test": Counter()}
    ids = []
    for path in sorted((here / "clean").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        ids.append(data["id"])
        per_half[half(data["id"], prefix)].update(data["labels"]["rules"] or ["(clean)"])
    problems = []
    if ids != [f"{prefix}{n:03d}" for n in range(1, count + 1)]:
        problems.append(f"ids are not {prefix}001..{prefix}{count:03d}")
    for rule in sorted(set(per_half["tune"]) | set(per_half["test"])):
        if abs(per_half["tune"][rule] - per_half["test"][rule]) > 1:
            problems.append(f"{rule}: {per_half['tune'][rule]} tune vs {per_half['test'][rule]} test")
    if problems:
        raise SystemExit("\n".join(problems))
    return per_half


def main(here: Path = HERE, prefix: str = PREFIX, count: int = COUNT, description: str = __doc__) -> None:
    """Build (unless ``--check``) and check one fresh set whose ids are ``prefix`` + three digits."""
    parser = argparse.ArgumentParser(description=description.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only re-read and check the written files")
    args = parser.parse_args()
    if not args.check:
        n = write_set(here)
        sys.stdout.write(f"{n} calls written, each with a noised copy\n")
    mix = check_set(here, re.compile(rf"^{prefix}\d{{3}}$"))
    per_half = check_split(here, prefix, count)
    sys.stdout.write(f"{count} calls load and check; labels (tune/test):\n")
    for rule, n_labelled in sorted(mix.items()):
        tune, test = per_half["tune"][rule], per_half["test"][rule]
        sys.stdout.write(f"  {rule:34s} {n_labelled:3d}  ({tune}/{test})\n")


if __name__ == "__main__":
    main()
