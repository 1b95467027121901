"""The evaluation harness: run labelled questions or dialogues through an engine and score them.

Input is JSON Lines: single questions ``{id, question, kind, region, expect_any}`` or dialogues
``{id, turns: [{user, expect_kind, expect_any}]}``. Output is one line per question or turn:
``{id, turn, kind, reply, sources, ticket_id}`` plus the scoring fields. Scoring follows
shared/eval/README.md: the reply (whitespace removed) must contain one variant of every
``expect_any`` group, and the kind must match, where abstain, handoff and ticket all count as
not guessing.
With ``make_noise`` the same items can be run as a speech recogniser would have written them
(``knowledge.asr_noise``), and ``format_side_by_side`` prints both runs in one table.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

from knowledge.asr_noise import PROFILES, AsrNoise, SyllableTable, char_error_rate
from knowledge.catalog import load_entries
from knowledge.textnorm import domain_terms

NOT_GUESSING = {"abstain", "handoff", "ticket"}
FORM_KINDS = {"ask_slot", "ticket"}
# The expected kind of a routing item that is a policy question: answered, clarified or missed,
# anything but a work-order form (tests/data/routing/utterances.jsonl).
ROUTE_POLICY = "policy"


@dataclass
class TurnResult:
    """What an engine replied to one user turn."""

    kind: str
    reply: str
    sources: list[dict] = field(default_factory=list)
    ticket_id: str | None = None


class Engine(Protocol):
    name: str

    def new_session(self, session_id: str) -> None: ...

    def turn(self, session_id: str, text: str, *, region: str | None = None) -> TurnResult: ...

    def close(self) -> None: ...


class KnowledgeEngine:
    """The knowledge service alone: keeps a dialogue's region and question history itself."""

    name = "kb"

    def __init__(self, settings=None) -> None:  # type: ignore[no-untyped-def]
        from api.services import knowledge

        self._knowledge = knowledge
        self._settings = settings
        self._sessions: dict[str, dict] = {}

    def new_session(self, session_id: str) -> None:
        self._sessions[session_id] = {"region": None, "history": []}

    def turn(self, session_id: str, text: str, *, region: str | None = None) -> TurnResult:
        from knowledge.regions import extract_region

        state = self._sessions.setdefault(session_id, {"region": None, "history": []})
        state["region"] = extract_region(text) or region or state["region"]
        result = self._knowledge.answer(
            text, region=state["region"], history=tuple(state["history"]), settings=self._settings
        )
        state["history"].append(text)
        return TurnResult(result.kind, result.text, [s.model_dump() for s in result.sources])

    def close(self) -> None:
        self._sessions.clear()


def normalize(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


def text_matches(reply: str, expect_any: Sequence[Sequence[str]]) -> bool:
    """Every group needs at least one of its strings in the reply (whitespace ignored)."""
    flat = normalize(reply)
    return all(any(normalize(v) in flat for v in group) for group in expect_any)


def kind_matches(expected: str, got: str, *, in_form: bool = False, personal_record: bool = False) -> bool:
    if expected == got:
        return True
    if expected == "abstain" and got in NOT_GUESSING:
        return True
    if in_form and expected in FORM_KINDS and got in FORM_KINDS:
        return True
    if expected == ROUTE_POLICY:  # a routing item: any reply but a work-order form
        return got not in FORM_KINDS
    return personal_record and expected == "answer" and got in {"abstain", "handoff"}


@dataclass
class Scored:
    id: str
    turn: int
    expected: str
    kind: str
    reply: str
    sources: list[dict]
    ticket_id: str | None
    correct: bool
    text_ok: bool
    kind_ok: bool
    guessed: bool  # a reply that states facts and is wrong (README: the guess rate)


def load_items(path: Path) -> list[dict]:
    items = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
        if "route" in item and "text" in item:  # tests/data/routing: only the route is expected
            item = {
                "id": item["id"],
                "question": item["text"],
                "kind": "ticket" if item["route"] == "ticket" else ROUTE_POLICY,
                "expect_any": [],
            }
        if "id" not in item or not ("question" in item or "turns" in item):
            raise ValueError(f"{path}:{number}: needs id and question or turns")
        items.append(item)
    return items


def _is_personal_record(item: dict, turn: dict | None = None) -> bool:
    topic = (turn or item).get("topic", "") or item.get("topic", "")
    return (
        "个人账户" in topic
        or "余额" in topic
        or "查询" in topic
        or bool((turn or item).get("personal_record"))
    )


def run(engine: Engine, items: Iterable[dict], *, session_prefix: str = "eval-") -> Iterator[Scored]:
    """Run every item (each dialogue in its own session) and yield scored turns.

    A second run on the same engine (the noised copy of the items) takes another ``session_prefix``,
    so that no conversation carries over from the first.
    """
    for item in items:
        session = f"{session_prefix}{item['id']}"
        engine.new_session(session)
        if "turns" in item:
            in_form = False
            for number, turn in enumerate(item["turns"], start=1):
                result = engine.turn(session, turn["user"])
                expected = turn.get("expect_kind", "answer")
                in_form = in_form or result.kind == "ask_slot" or expected == "ask_slot"
                yield _score(
                    item["id"],
                    number,
                    expected,
                    turn.get("expect_any", []),
                    result,
                    in_form=in_form,
                    personal_record=_is_personal_record(item, turn),
                )
                if result.kind == "ticket":
                    in_form = False
        else:
            result = engine.turn(session, item["question"], region=None)
            yield _score(
                item["id"],
                0,
                item.get("kind", "answer"),
                item.get("expect_any", []),
                result,
                # A single complaint cannot be a finished work order (no name, no phone yet): the
                # reply that opens the form is the form running, as the eval README scores forms.
                in_form=result.kind == "ask_slot",
                personal_record=_is_personal_record(item),
            )


def _score(
    item_id: str,
    turn: int,
    expected: str,
    expect_any: list,
    result: TurnResult,
    *,
    in_form: bool = False,
    personal_record: bool = False,
) -> Scored:
    text_ok = text_matches(result.reply, expect_any)
    kind_ok = kind_matches(expected, result.kind, in_form=in_form, personal_record=personal_record)
    guessed = result.kind == "answer" and not (text_ok and kind_ok)
    return Scored(
        item_id,
        turn,
        expected,
        result.kind,
        result.reply,
        result.sources,
        result.ticket_id,
        text_ok and kind_ok,
        text_ok,
        kind_ok,
        guessed,
    )


def summarize(rows: Sequence[Scored]) -> dict[str, dict[str, float]]:
    """Accuracy per expected kind, overall accuracy, and the guess rate."""
    per: dict[str, list[Scored]] = defaultdict(list)
    for row in rows:
        per[row.expected].append(row)
    table = {
        kind: {
            "n": len(group),
            "correct": sum(r.correct for r in group),
            "accuracy": round(sum(r.correct for r in group) / len(group), 3),
        }
        for kind, group in sorted(per.items())
    }
    table["all"] = {
        "n": len(rows),
        "correct": sum(r.correct for r in rows),
        "accuracy": round(sum(r.correct for r in rows) / max(len(rows), 1), 3),
    }
    table["guess_rate"] = {
        "n": len(rows),
        "correct": sum(r.guessed for r in rows),
        "accuracy": round(sum(r.guessed for r in rows) / max(len(rows), 1), 3),
    }
    return table


def format_table(summary: dict[str, dict[str, float]]) -> str:
    lines = [f"{'kind':<16}{'n':>5}{'correct':>9}{'accuracy':>10}"]
    for kind, row in summary.items():
        label = "guesses" if kind == "guess_rate" else kind
        lines.append(f"{label:<16}{row['n']:>5}{row['correct']:>9}{row['accuracy']:>10.3f}")
    return "\n".join(lines)


POLICY_KINDS = {"answer", "clarify_region", ROUTE_POLICY}


def routing_confusion(rows: Sequence[Scored]) -> dict[str, tuple[int, int]]:
    """How policy questions and work-order requests were confused: (count, of how many).

    ``policy_to_form``: a policy question answered by a work-order form; ``ticket_to_policy``: a
    complaint, report or chase-up answered as policy; ``ticket_to_miss``: one abstained on.
    """
    policy = [r for r in rows if r.expected in POLICY_KINDS]
    tickets = [r for r in rows if r.expected == "ticket"]
    return {
        "policy_to_form": (sum(r.kind in FORM_KINDS for r in policy), len(policy)),
        "ticket_to_policy": (sum(r.kind in POLICY_KINDS for r in tickets), len(tickets)),
        "ticket_to_miss": (sum(r.kind in {"abstain", "handoff"} for r in tickets), len(tickets)),
    }


def format_side_by_side(clean: dict[str, dict[str, float]], noised: dict[str, dict[str, float]]) -> str:
    """Accuracy per kind of the clean and the noised run in one table (guesses: the guess rate)."""
    lines = [f"{'kind':<16}{'n':>5}{'clean':>9}{'noised':>9}{'delta':>9}"]
    for kind, row in clean.items():
        label = "guesses" if kind == "guess_rate" else kind
        other = noised.get(kind, {}).get("accuracy", float("nan"))
        lines.append(
            f"{label:<16}{row['n']:>5}{row['accuracy']:>9.3f}{other:>9.3f}{other - row['accuracy']:>+9.3f}"
        )
    return "\n".join(lines)


def make_noise(entries_dir: Path, profile: str = "phone") -> AsrNoise:
    """The recogniser-error simulator; character weights come from the curated entries' text."""
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {sorted(PROFILES)}, got {profile!r}")
    corpus = [" ".join((e.display_title, *e.questions, e.topic, e.answer)) for e in load_entries(entries_dir)]
    return AsrNoise(SyllableTable.build(corpus), terms=domain_terms(), config=PROFILES[profile])


def _texts(item: dict) -> list[str]:
    return [t["user"] for t in item["turns"]] if "turns" in item else [item["question"]]


def mean_cer(clean: Sequence[dict], noised: Sequence[dict]) -> float:
    """Character error rate of the noised copies against the clean items (all turns pooled)."""
    rates = [
        char_error_rate(a, b)
        for c, n in zip(clean, noised, strict=True)
        for a, b in zip(_texts(c), _texts(n), strict=True)
    ]
    return sum(rates) / max(len(rates), 1)


def write_items(items: Iterable[dict], out: Path) -> None:
    """Write evaluation items (e.g. a noised copy) as JSON Lines."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh:
        for item in items:
            fh.write(json.dumps(item, ensure_ascii=False) + "\n")


def write_results(rows: Sequence[Scored], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(asdict(row), ensure_ascii=False) + "\n")
