"""Build the fresh labelled call set (clean/ and noised/ JSON) from the hand-written src/*.txt.

The dialogues were written by hand for issue 17, apart from the phrase pools the inspection was
tuned on; see README.md. Parsing, timings and labels come from
tests/data/transcripts/build_labelled_set.py (``parse``, ``build``); the noised copies pass every
turn through the recogniser-error simulator (``devtools.evaluation.make_noise``, profile "phone",
seeded by id) the same way tests/data/transcripts_semantic/build_semantic_set.py does.
After writing, every file is read back with ``inspection.transcript.load_transcript`` and its
labels and turns are checked; nothing is scored.

Run: .venv/bin/python tests/data/transcripts_fresh/build_fresh_set.py [--check]
(``--check`` only re-reads and checks the files already written.)
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "data" / "transcripts"))

from build_labelled_set import build, noised_copy, parse, write_json  # noqa: E402

from inspection.ruleset import default_ruleset  # noqa: E402
from inspection.transcript import load_transcript  # noqa: E402

CLEAN, NOISED = HERE / "clean", HERE / "noised"
ID = re.compile(r"^QF\d{3}$")
MIN_TURNS, MAX_TURNS = 4, 16


def dialogues(here: Path = HERE) -> list[dict]:
    """All hand-written dialogues of ``here``/src/*.txt, in file order; ids must be unique."""
    found: list[dict] = []
    seen: set[str] = set()
    for src in sorted((here / "src").glob("*.txt")):
        for d in parse(src):
            if d["id"] in seen:
                raise SystemExit(f"{src.name}: duplicate id {d['id']}")
            seen.add(d["id"])
            found.append(d)
    return found


def write_set(here: Path = HERE) -> int:
    """Write clean/<id>.json and noised/<id>N.json under ``here`` for every dialogue; returns the count."""
    from devtools.evaluation import make_noise

    noise = make_noise(ROOT / "knowledge" / "entries", "phone")
    clean, noised = here / "clean", here / "noised"
    for folder in (clean, noised):
        folder.mkdir(exist_ok=True)
        for old in folder.glob("*.json"):
            old.unlink()
    ds = dialogues(here)
    for d in ds:
        built = build(d)
        write_json(clean / f"{d['id']}.json", built)
        write_json(noised / f"{d['id']}N.json", noised_copy(built, noise))
    return len(ds)


def check_set(here: Path = HERE, id_pattern: re.Pattern[str] = ID) -> Counter[str]:
    """Re-read every file written under ``here`` with the product's loader and check ids, turns and labels.

    Returns how many clean calls hold each rule (``(clean)`` counts calls with no violation).
    """
    ruleset = default_ruleset()
    clean = {t.id: t for t in map(load_transcript, sorted((here / "clean").glob("*.json")))}
    noised = {t.id: t for t in map(load_transcript, sorted((here / "noised").glob("*.json")))}
    problems: list[str] = []
    mix: Counter[str] = Counter()
    for tid, t in clean.items():
        labels = t.labels or {}
        rules = labels.get("rules")
        if not id_pattern.match(tid):
            problems.append(f"{tid}: id does not match {id_pattern.pattern}")
        if t.channel != "phone" or not t.timed:
            problems.append(f"{tid}: not a timed phone call")
        if not MIN_TURNS <= len(t.turns) <= MAX_TURNS:
            problems.append(f"{tid}: {len(t.turns)} turns, outside {MIN_TURNS}-{MAX_TURNS}")
        if not t.agent_id or not t.turns or t.turns[0].speaker != "agent":
            problems.append(f"{tid}: no agent id, or the agent does not open the call")
        if not isinstance(rules, list) or labels.get("passed") is not (not rules):
            problems.append(f"{tid}: labels.rules / labels.passed inconsistent")
            continue
        for rule in rules:
            ruleset.rule(rule)  # raises on an unknown rule id
        mix.update(rules or ["(clean)"])
        twin = noised.get(f"{tid}N")
        if twin is None:
            problems.append(f"{tid}: no noised copy")
            continue
        twin_labels = twin.labels or {}
        if twin_labels.get("rules") != rules or twin_labels.get("noised") is not True:
            problems.append(f"{tid}N: labels differ from the clean copy")
        if [(a.speaker, a.start, a.end) for a in twin.turns] != [
            (a.speaker, a.start, a.end) for a in t.turns
        ]:
            problems.append(f"{tid}N: turns or timings differ from the clean copy")
    if len(noised) != len(clean):
        problems.append(f"{len(clean)} clean files but {len(noised)} noised files")
    if problems:
        raise SystemExit("\n".join(problems))
    return mix


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only re-read and check the written files")
    args = parser.parse_args()
    if not args.check:
        n = write_set()
        sys.stdout.write(f"{n} calls written, each with a noised copy\n")
    mix = check_set()
    total = sum(1 for _ in CLEAN.glob("*.json"))
    sys.stdout.write(f"{total} calls load and check; labels per rule:\n")
    for rule, count in sorted(mix.items()):
        sys.stdout.write(f"  {rule:34s} {count}\n")


if __name__ == "__main__":
    main()
