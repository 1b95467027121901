"""Summarise ``rasa test nlu --cross-validation`` runs side by side, as Markdown (issue 13).

Each run is ``NAME=RESULTS_DIR:LOG_FILE``: the ``--out`` folder of the run (``intent_report.json``,
``intent_errors.json``, and ``intent_successes.json`` if run with ``--successes``) and its captured
console log (for the per-fold training times, taken from the timestamps of Rasa's "Starting/Finished
training component" lines). Standard library only::

    python3 scripts/nlu_cv_summary.py sparse=/tmp/nlu-cv/results-sparse:/tmp/nlu-cv/sparse.log \\
        dense=/tmp/nlu-cv/results-dense:/tmp/nlu-cv/dense.log
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

FOCUS = ("ask_policy", "complain", "report_fraud", "ticket_status", "not_helpful", "request_callback")
POLICY = "ask_policy"
SERVICE = FOCUS[1:]

_LINE = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) INFO +(\S+) +- (.*)")


@dataclass(frozen=True)
class Fold:
    """Wall-clock seconds of one fold: before DIET (tokenising, featurizing), DIET, whole training."""

    pre_diet: float
    diet: float
    train: float
    total: float | None  # training plus predicting on the train and test parts; None if unfinished


def fold_times(log_text: str) -> list[Fold]:
    """Per-fold times from a Rasa console log (a fold starts when JiebaTokenizer starts training)."""
    events: list[tuple[dt.datetime, str]] = []
    for match in _LINE.finditer(log_text):
        stamp = dt.datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S")
        events.append((stamp, match.group(3)))
    starts = [
        i
        for i, (_, msg) in enumerate(events)
        if msg.startswith("Starting to train component 'JiebaTokenizer'")
    ]
    # The last fold ends where Rasa starts reporting the accumulated results.
    stop = next((i for i, (_, m) in enumerate(events) if m.startswith("Accumulated test folds")), len(events))
    folds = []
    for n, begin in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else stop
        part = events[begin:end]
        t0 = part[0][0]
        diet_start = next(
            (t for t, m in part if m.startswith("Starting to train component 'DIETClassifier'")), None
        )
        diet_end = next(
            (t for t, m in part if m.startswith("Finished training component 'DIETClassifier'")), None
        )
        last_trained = max((t for t, m in part if m.startswith("Finished training component")), default=t0)
        if diet_start is None or diet_end is None:
            continue  # fold still running
        total = (events[end][0] - t0).total_seconds() if end < len(events) else None
        folds.append(
            Fold(
                pre_diet=(diet_start - t0).total_seconds(),
                diet=(diet_end - diet_start).total_seconds(),
                train=(last_trained - t0).total_seconds(),
                total=total,
            )
        )
    return folds


def confusions(errors: list[dict]) -> Counter[tuple[str, str]]:
    """(expected, predicted) counts of the misclassified examples."""
    return Counter((e["intent"], (e.get("intent_prediction") or {}).get("name") or "None") for e in errors)


def _read_list(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def _confidence(example: dict) -> float:
    return float((example.get("intent_prediction") or {}).get("confidence") or 0.0)


def summarise(name: str, results: Path, log: Path, *, threshold: float = 0.45) -> dict:
    """Numbers of one run: report, confusion counts, low-confidence counts, fold times.

    ``rasa test nlu`` undoes FallbackClassifier predictions, so predictions below ``threshold``
    (bot/config.yml's fallback threshold) are counted here: the live bot sends them to nlu_fallback.
    """
    report = json.loads((results / "intent_report.json").read_text(encoding="utf-8"))
    errors = _read_list(results / "intent_errors.json")
    successes = _read_list(results / "intent_successes.json")
    conf = confusions(errors)
    return {
        "name": name,
        "report": report,
        "policy_to_service": sum(conf[(POLICY, s)] for s in SERVICE),
        "service_to_policy": sum(conf[(s, POLICY)] for s in SERVICE),
        "low_wrong": sum(_confidence(e) < threshold for e in errors),
        "low_right": sum(_confidence(e) < threshold for e in successes) if successes else None,
        "errors": len(errors),
        "confusions": conf,
        "folds": fold_times(log.read_text(encoding="utf-8", errors="replace")) if log.exists() else [],
    }


def render(runs: list[dict]) -> str:
    """Markdown tables: headline metrics, per-intent F1, the policy/service confusions, fold times."""
    names = [r["name"] for r in runs]
    head = "| | " + " | ".join(names) + " |\n|---|" + "---|" * len(names)
    rows = [head]

    def row(label: str, values: list[str]) -> None:
        rows.append(f"| {label} | " + " | ".join(values) + " |")

    row("weighted intent F1", [f"{r['report']['weighted avg']['f1-score']:.3f}" for r in runs])
    row("macro intent F1", [f"{r['report']['macro avg']['f1-score']:.3f}" for r in runs])
    row("accuracy", [f"{r['report']['accuracy']:.3f}" for r in runs])
    row("misclassified examples", [str(r["errors"]) for r in runs])
    row("misclassified, confidence < 0.45 (live: nlu_fallback)", [str(r["low_wrong"]) for r in runs])
    row("correct, confidence < 0.45 (live: nlu_fallback)", [str(r["low_right"]) for r in runs])
    for intent in FOCUS:
        row(
            f"F1 {intent} (support {runs[0]['report'][intent]['support']})",
            [f"{r['report'][intent]['f1-score']:.3f}" for r in runs],
        )
    row("ask_policy predicted as a service intent*", [str(r["policy_to_service"]) for r in runs])
    row("service intent* predicted as ask_policy", [str(r["service_to_policy"]) for r in runs])
    out = [
        "\n".join(rows),
        "",
        "\\* complain, report_fraud, ticket_status, not_helpful, request_callback.",
        "",
    ]
    out.append("Per pair (expected → predicted), policy/service pairs only:")
    out.append("")
    pairs = sorted(
        {
            k
            for r in runs
            for k in r["confusions"]
            if (k[0] == POLICY and k[1] in SERVICE) or (k[1] == POLICY and k[0] in SERVICE)
        }
    )
    out.append("| expected → predicted | " + " | ".join(names) + " |")
    out.append("|---|" + "---|" * len(names))
    for exp, pred in pairs:
        out.append(
            f"| {exp} → {pred} | " + " | ".join(str(r["confusions"][(exp, pred)]) for r in runs) + " |"
        )
    out += [
        "",
        "Fold times (seconds, wall clock): before DIET / DIET / whole training / fold incl. predictions",
        "",
    ]
    out.append("| fold | " + " | ".join(names) + " |")
    out.append("|---|" + "---|" * len(names))
    for i in range(max(len(r["folds"]) for r in runs)):
        cells = []
        for r in runs:
            if i < len(r["folds"]):
                f = r["folds"][i]
                total = f"{f.total:.0f}" if f.total is not None else "-"
                cells.append(f"{f.pre_diet:.0f} / {f.diet:.0f} / {f.train:.0f} / {total}")
            else:
                cells.append("-")
        out.append(f"| {i + 1} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: print the Markdown summary of the given runs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="NAME=RESULTS_DIR:LOG_FILE")
    args = parser.parse_args(argv)
    runs = []
    for spec in args.runs:
        name, _, paths = spec.partition("=")
        results, _, log = paths.partition(":")
        if not name or not results or not log:
            raise ValueError(f"run must be NAME=RESULTS_DIR:LOG_FILE, got {spec!r}")
        runs.append(summarise(name, Path(results), Path(log)))
    sys.stdout.write(render(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
