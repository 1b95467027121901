"""Build the semantic labelled set: tune/ and test/ halves, and homophone-noised copies of both.

The calls are composed from the hand-written wordings in pools.py: a greeting, one or two
exchanges about a real knowledge-base topic, and a closing, with one kind of problem put in (or
none). The split is fixed here, before any tuning: problem wordings of the ``tune`` pools only go
into tune/ calls and those of the ``test`` pools only into test/ calls. Timings and labels come from
tests/data/transcripts/build_labelled_set.py (``build``), so both sets share one format.
The noised copies (``tune_noised/``, ``test_noised/``) pass every turn through the project's
recogniser-error simulator (knowledge/asr_noise.py, profile ``phone``: homophones, dropped
particles, no punctuation), seeded by the transcript id.

Run: .venv/bin/python tests/data/transcripts_semantic/build_semantic_set.py
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path[:0] = [str(ROOT), str(HERE), str(ROOT / "tests" / "data" / "transcripts")]

import pools as P  # noqa: E402
from build_labelled_set import build, noised_copy, write_json  # noqa: E402

HALVES = {"tune": "ST", "test": "SX"}
Turn = tuple[str, str, dict[str, float]]


class Call:
    """A dialogue being composed: turns as (speaker letter, text, timing options) and rule labels."""

    def __init__(self, rng: random.Random, half: str) -> None:
        self.rng, self.half = rng, half
        self.agent = rng.choice(P.AGENTS)
        self.turns: list[Turn] = []
        self.rules: set[str] = set()

    def a(self, text: str, **opts: float) -> None:
        self.turns.append(("A", text, opts))

    def c(self, text: str, **opts: float) -> None:
        self.turns.append(("C", text, opts))

    def pick(self, options: list[str]) -> str:
        return self.rng.choice(options)

    def pool(self, pools: dict[str, list[str]]) -> str:
        return self.rng.choice(pools[self.half])

    def greet(self, bad: bool = False) -> None:
        if bad:
            self.a(self.pick(P.BAD_GREETINGS))
            self.rules.add("greeting.opening")
        else:
            self.a(self.pick(P.GREETINGS).format(id=self.agent))

    def close(self, kind: str = "ok") -> None:
        self.a(self.pick(P.CLOSE_ASK))
        self.c(self.pick(P.CALLER_NO))
        if kind == "no_rating":
            self.a(self.pick(P.FAREWELL_NO_RATING))
            self.rules.add("closing.satisfaction")
        elif kind == "none":
            self.a(self.pick(P.FAREWELL_NONE))
            self.rules |= {"closing.farewell", "closing.satisfaction"}
        else:
            self.a(self.pick(P.FAREWELLS))

    def ask(self, question: str) -> None:
        self.c(self.pick(P.CALLER_OPENERS) + question)


def _notice(call: Call, *, missing: bool, impatient: bool = False, near_miss: bool = False) -> None:
    topic = call.pick(P.NOTICES)
    call.ask(call.pick(topic["q"]))
    facets = list(topic["facets"].items())
    if missing:
        keep = call.rng.randint(1, len(facets) - 1)
        facets = call.rng.sample(facets, keep)
        call.rules.add("one_time_notice.missing")
    call.rng.shuffle(facets)
    texts = [t for _, t in facets]
    if near_miss:
        texts.insert(0, call.pick(P.NEAR_MISS))
    if len(texts) > 2 and call.rng.random() < 0.5:
        call.a("您好，" + "".join(texts[:2]))
        call.c("嗯，还有呢？")
        call.a("".join(texts[2:]))
    else:
        call.a("您好，" + "".join(texts))
    if impatient:
        call.c(call.pick(P.CALLER_REPEAT))
        call.a(call.pool(P.IMPATIENCE) + texts[0])
        call.rules.add("politeness.impatience")
    call.c(call.pick(P.CALLER_ACKS))


def _fact(call: Call, *, wrong: bool) -> None:
    topic = call.pick(P.FACTS)
    call.ask(call.pick(topic["q"]))
    if wrong:
        call.a("您好，" + call.pool(topic["wrong"]))
        call.rules.add("accuracy.contradiction")
    else:
        call.a("您好，" + call.pick(topic["ok"]))
    call.c(call.pick(P.CALLER_ACKS))


def _problem(call: Call, kind: str) -> None:
    """A caller's problem closed by a work order, deflected, or left open with vague words."""
    call.ask(call.pick(P.PROBLEMS) + "这是怎么回事？")
    if kind == "ticket":
        call.a("您好，" + call.pick(P.NEAR_MISS[-2:]) + call.pick(P.TICKET))
        call.c(call.pick(P.CALLER_ACKS))
    elif kind == "referral_ticket":
        call.a("您好，" + call.pool(P.DEFLECTION) + call.pick(P.TICKET_AFTER_REFERRAL))
        call.c(call.pick(P.CALLER_ACKS))
    elif kind == "deflect":
        call.a("您好，" + call.pool(P.DEFLECTION))
        call.c(call.pick(P.CALLER_GIVE_UP))
        call.rules |= {"first_contact.deflection", "unresolved.no_ticket"}
    else:
        call.a("您好，" + call.pool(P.VAGUE))
        call.c(call.pool(P.CALLER_OPEN))
        call.a(call.pool(P.VAGUE))
        call.c(call.pick(P.CALLER_GIVE_UP))
        call.rules.add("unresolved.no_ticket")


def _forbidden(call: Call) -> None:
    """A forbidden phrase in other words, after which the agent still answers in full."""
    topic = call.pick(P.NOTICES)
    call.ask(call.pick(topic["q"]))
    call.a(call.pool(P.FORBIDDEN))
    call.c(call.pick(["你就不能跟我说一下吗？", "我不会上网啊，你就告诉我呗。", "那你说我该咋办？"]))
    call.a("行，" + "".join(topic["facets"].values()))
    call.c(call.pick(P.CALLER_ACKS))
    call.rules.add("forbidden.paraphrase")


def _identity(call: Call) -> None:
    call.ask("帮我查一下我医保个人账户里还剩多少钱？")
    call.a("好的，您稍等，我帮您查一下。")
    call.a(f"查到了，您个人账户余额是{call.rng.randint(300, 5000)}元。")
    call.c(call.pick(P.CALLER_ACKS))
    call.rules.add("identity.unverified_disclosure")


def _emotion(call: Call) -> None:
    call.ask(call.pick(P.PROBLEMS) + "都打了好几回电话了！")
    call.a("您好，请问您是哪里参保的？")
    call.c(P.CALLER_ANGRY[0])
    call.a("这个需要经办机构核实，我给您登记工单，三个工作日内回电。")
    call.c(call.pick(P.CALLER_ANGRY[1:]))
    call.a("已经登记了，工单会转给经办机构处理。")
    call.rules.add("emotion.unaddressed")


def compose(half: str, kind: str, rng: random.Random) -> Call:
    """One call of the given kind."""
    call = Call(rng, half)
    call.greet(bad=kind == "greeting")
    body: dict[str, Callable[[], None]] = {
        "clean_notice": lambda: _notice(call, missing=False, near_miss=rng.random() < 0.5),
        "clean_fact": lambda: _fact(call, wrong=False),
        "clean_ticket": lambda: _problem(call, "ticket"),
        "clean_referral": lambda: _problem(call, "referral_ticket"),
        "notice": lambda: _notice(call, missing=True),
        "accuracy": lambda: _fact(call, wrong=True),
        "impatience": lambda: _notice(call, missing=False, impatient=True),
        "forbidden": lambda: _forbidden(call),
        "deflection": lambda: _problem(call, "deflect"),
        "unresolved": lambda: _problem(call, "vague"),
        "identity": lambda: _identity(call),
        "emotion": lambda: _emotion(call),
        "greeting": lambda: _fact(call, wrong=False),
        "closing": lambda: _notice(call, missing=False),
        "silence": lambda: _fact(call, wrong=False),
        "interruption": lambda: _fact(call, wrong=False),
        "speech_rate": lambda: _notice(call, missing=False),
    }
    body[kind]()
    if kind == "silence":
        speaker, text, _ = call.turns[-2]  # the agent's answer comes after 19 s of dead air
        call.turns[-2] = (speaker, text, {"gap": 19.0})
        call.rules.add("dynamics.silence")
    elif kind == "interruption":
        speaker, text, _ = call.turns[-2]
        call.turns[-2] = (speaker, text, {"overlap": 1.6})
        call.rules.add("dynamics.interruption")
    elif kind == "speech_rate":
        i = max(i for i, t in enumerate(call.turns) if t[0] == "A")
        call.turns[i] = ("A", call.turns[i][1] + "您记一下，有问题随时再打这个电话问我们。", {"cps": 9.5})
        call.rules.add("dynamics.speech_rate")
    close = {"closing": rng.choice(["no_rating", "none"])}.get(kind, "ok")
    call.close(close)
    return call


MIX = {
    "clean_notice": 14,
    "clean_fact": 12,
    "clean_ticket": 5,
    "clean_referral": 4,
    "notice": 12,
    "accuracy": 12,
    "impatience": 12,
    "forbidden": 12,
    "deflection": 9,
    "unresolved": 9,
    "identity": 3,
    "emotion": 3,
    "greeting": 3,
    "closing": 3,
    "silence": 3,
    "interruption": 3,
    "speech_rate": 3,
}


def half_dialogues(half: str) -> list[dict]:
    """The dialogues of one half, in build_labelled_set's input form."""
    kinds = [k for k, n in MIX.items() for _ in range(n)]
    random.Random(f"order:{half}").shuffle(kinds)
    out = []
    for n, kind in enumerate(kinds, 1):
        tid = f"{HALVES[half]}{n:03d}"
        call = compose(half, kind, random.Random(f"{half}:{n}:{kind}"))
        rules = sorted(call.rules)
        turns = [
            {"speaker": {"A": "agent", "C": "caller"}[s], "text": t, "opts": o} for s, t, o in call.turns
        ]
        out.append({"id": tid, "channel": "phone", "agent_id": call.agent, "rules": rules, "turns": turns})
    return out


def main() -> None:
    from devtools.evaluation import make_noise

    noise = make_noise(ROOT / "knowledge" / "entries", "phone")
    for half in HALVES:
        clean_dir, noised_dir = HERE / half, HERE / f"{half}_noised"
        for folder in (clean_dir, noised_dir):
            folder.mkdir(exist_ok=True)
            for old in folder.glob("*.json"):
                old.unlink()
        for d in half_dialogues(half):
            built = build(d)
            built["labels"]["split"] = half
            write_json(clean_dir / f"{d['id']}.json", built)
            write_json(noised_dir / f"{d['id']}N.json", noised_copy(built, noise))
    sys.stdout.write(f"{2 * sum(MIX.values())} transcripts, each with a noised copy\n")


if __name__ == "__main__":
    main()
