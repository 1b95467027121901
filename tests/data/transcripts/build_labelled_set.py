"""Build the labelled QA transcripts (JSON) from the hand-written dialogues in src/*.txt.

The dialogues are written by hand; this script only adds turn timings (speech at about
4-5 characters per second, short pauses, with explicit gaps, overlaps and fast turns where a
dialogue asks for them) and the labels. Run: .venv/bin/python tests/data/transcripts/build_labelled_set.py

Format of a dialogue:
    ### QA001 | phone | agent=1031 | rules=greeting.opening,closing.satisfaction
    A: 坐席的话          (C: 来电人, B: 机器人)
    C{gap=18}: ...       18 s of silence before this turn
    A{overlap=1.4}: ...  starts 1.4 s before the previous turn ends
    A{cps=9}: ...        spoken at 9 characters per second
Chat dialogues (channel chat) get no timings. ``rules=`` lists the violations (rule ids);
categories and passed are derived from them through the bundled rule set.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from inspection.ruleset import CATEGORIES, default_ruleset  # noqa: E402

_HEADER = re.compile(r"^###\s*(?P<id>\S+)\s*\|(?P<rest>.*)$")
_TURN = re.compile(r"^(?P<sp>[ACB])(?:\{(?P<opts>[^}]*)\})?[:：]\s*(?P<text>.+)$")
SPEAKERS = {"A": "agent", "C": "caller", "B": "bot"}


def _jitter(key: str, lo: float, hi: float) -> float:
    h = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return lo + (hi - lo) * h


def _chars(text: str) -> int:
    return len(re.findall(r"[\u4e00-\u9fff0-9A-Za-z]", text))


def parse(path: Path) -> list[dict]:
    dialogues: list[dict] = []
    cur: dict | None = None
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("//"):
            continue
        m = _HEADER.match(line)
        if m:
            fields = [f.strip() for f in m.group("rest").split("|")]
            meta = {"channel": fields[0], "agent_id": None, "rules": []}
            for f in fields[1:]:
                k, _, v = f.partition("=")
                if k == "agent":
                    meta["agent_id"] = v
                elif k == "rules":
                    meta["rules"] = [r for r in v.split(",") if r]
            cur = {"id": m.group("id"), **meta, "turns": []}
            dialogues.append(cur)
            continue
        m = _TURN.match(line)
        if not m or cur is None:
            raise SystemExit(f"{path}:{n}: cannot parse {line!r}")
        opts = dict(o.split("=") for o in (m.group("opts") or "").split(",") if o)
        cur["turns"].append({"speaker": SPEAKERS[m.group("sp")], "text": m.group("text"), "opts": opts})
    return dialogues


def build(d: dict) -> dict:
    ruleset = default_ruleset()
    timed = d["channel"] == "phone"
    turns = []
    t = _jitter(d["id"], 0.3, 0.8)
    for i, turn in enumerate(d["turns"]):
        opts = {k: float(v) for k, v in turn["opts"].items()}
        out = {"speaker": turn["speaker"], "text": turn["text"]}
        if timed:
            key = f"{d['id']}:{i}"
            if i:
                if "overlap" in opts:
                    t = turns[-1]["end"] - opts["overlap"]
                else:
                    t = turns[-1]["end"] + opts.get("gap", _jitter(key, 0.4, 1.1))
            base = 4.5 if turn["speaker"] == "agent" else 4.1
            cps = opts.get("cps", _jitter(key + "c", base - 0.5, base + 0.4))
            dur = max(0.8, _chars(turn["text"]) / cps)
            out["start"] = round(t, 1)
            out["end"] = round(t + dur, 1)
        turns.append(out)
    categories = sorted({ruleset.rule(r).category for r in d["rules"]}, key=CATEGORIES.index)
    return {
        "id": d["id"],
        "channel": d["channel"],
        "agent_id": d["agent_id"],
        "turns": turns,
        "labels": {"passed": not d["rules"], "categories": categories, "rules": sorted(d["rules"])},
    }


def write_json(path: Path, data: dict) -> None:
    """A built transcript as the sets store it (UTF-8, one-space indent, a final newline)."""
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def noised_copy(built: dict, noise: Any) -> dict:
    """A homophone-noised copy of a built transcript (``noise``: ``devtools.evaluation.make_noise``),
    seeded by its id; its id gets an ``N`` and its labels ``noised: true``."""
    rng = random.Random(f"0:{built['id']}")
    noised = dict(
        built,
        id=f"{built['id']}N",
        turns=[dict(t, text=noise.noise(t["text"], rng)) for t in built["turns"]],
    )
    noised["labels"] = dict(built["labels"], noised=True)
    return noised


def main() -> None:
    seen: set[str] = set()
    for src in sorted((HERE / "src").glob("*.txt")):
        for d in parse(src):
            if d["id"] in seen:
                raise SystemExit(f"duplicate id {d['id']}")
            seen.add(d["id"])
            write_json(HERE / f"{d['id']}.json", build(d))
    sys.stdout.write(f"{len(seen)} transcripts\n")


if __name__ == "__main__":
    main()
