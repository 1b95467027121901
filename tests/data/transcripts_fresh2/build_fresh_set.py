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

ID = re.compile(r"^QG\d{3}$")
COUNT = 110


def half(call_id: str) -> str:
    """The half a call belongs to: odd ids tune, even ids test."""
    return "tune" if int(call_id[2:]) % 2 else "test"


def check_split(here: Path = HERE) -> dict[str, Counter[str]]:
    """Count the labels of each half and check that ids run QG001..QG110 and every rule is balanced."""
    per_half: dict[str, Counter[str]] = {"tune": Counter(), "test": Counter()}
    ids = []
    for path in sorted((here / "clean").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        ids.append(data["id"])
        per_half[half(data["id"])].update(data["labels"]["rules"] or ["(clean)"])
    problems = []
    if ids != [f"QG{n:03d}" for n in range(1, COUNT + 1)]:
        problems.append(f"ids are not QG001..QG{COUNT:03d}")
    for rule in sorted(set(per_half["tune"]) | set(per_half["test"])):
        if abs(per_half["tune"][rule] - per_half["test"][rule]) > 1:
            problems.append(f"{rule}: {per_half['tune'][rule]} tune vs {per_half['test'][rule]} test")
    if problems:
        raise SystemExit("\n".join(problems))
    return per_half


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only re-read and check the written files")
    args = parser.parse_args()
    if not args.check:
        n = write_set(HERE)
        sys.stdout.write(f"{n} calls written, each with a noised copy\n")
    mix = check_set(HERE, ID)
    per_half = check_split(HERE)
    sys.stdout.write(f"{COUNT} calls load and check; labels (tune/test):\n")
    for rule, count in sorted(mix.items()):
        sys.stdout.write(f"  {rule:34s} {count:3d}  ({per_half['tune'][rule]}/{per_half['test'][rule]})\n")


if __name__ == "__main__":
    main()
