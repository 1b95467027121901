"""Calibration of the semantic thresholds on labelled calls and on supervisor reviews.

For each bank label, a labelled call is a positive when its labels hold the label's category (see
``POSITIVE``) and a negative when they hold none of it; its score is the highest similarity of a
sentence whose nearest example has the label. The threshold is the one that best separates the
two (F1, ties to the higher threshold, which favours precision). Supervisor reviews of semantic
findings add single sentences: a confirmed one is a positive of its label and becomes an example,
an overruled one is a negative and becomes a ``none`` example, so the next calibration and every
later call learn from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from inspection.context import Context
from inspection.rules.first_contact import helped
from inspection.ruleset import default_ruleset
from inspection.semantic import SemanticMatcher
from inspection.semantic_bank import NONE, Calibration
from inspection.transcript import Transcript

# label -> (categories that make a call a positive, categories that leave it out of the negatives).
POSITIVE: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "impatience": (frozenset({"politeness"}), frozenset()),
    "forbidden": (frozenset({"forbidden_phrase"}), frozenset()),
    "deflection": (frozenset({"first_contact_responsibility"}), frozenset()),
    # An open matter is one way a call ends unresolved; a deflection is the other.
    "vague": (frozenset({"unresolved"}), frozenset({"first_contact_responsibility"})),
    "caller_open": (frozenset({"unresolved"}), frozenset({"first_contact_responsibility"})),
}
# The rule a semantic finding is stored under, and the bank label it came from.
RULE_LABELS = {
    "politeness.impatience": "impatience",
    "forbidden.paraphrase": "forbidden",
    "first_contact.deflection": "deflection",
    "unresolved.no_ticket": "vague",  # or caller_open when the quoted sentence is the caller's
    "forbidden.phrase": "forbidden",
}
GATED = frozenset({"deflection", "vague", "caller_open"})  # count only in calls with no work order
ANSWERED = frozenset({"deflection"})  # nor in calls where staff answered themselves (first_contact.helped)
MIN_THRESHOLD, MAX_THRESHOLD = -0.1, 0.3  # margins over the ordinary sentences


@dataclass(frozen=True)
class ReviewedExample:
    """A sentence a supervisor judged: ``confirmed`` True keeps the finding, False overrules it."""

    label: str
    text: str
    confirmed: bool


def call_scores(matcher: SemanticMatcher, transcript: Transcript) -> dict[str, float]:
    """Per label, the best similarity of a sentence of the call whose nearest example has that label."""
    tail = {t.index for t in transcript.caller_turns[-3:]}
    turns = [
        (t.index, "staff" if t.is_staff else "caller", t.text)
        for t in transcript.turns
        if t.is_staff or t.index in tail
    ]
    scores: dict[str, float] = {}
    for _, near in matcher.scored(turns):
        if near.label != NONE:
            scores[near.label] = max(scores.get(near.label, -1.0), near.margin)
    return scores


def choose_threshold(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """The cut between positive and negative scores with the best F1 (ties: the higher cut)."""
    if not positives:
        return MAX_THRESHOLD
    values = sorted(set(positives) | set(negatives))
    cuts = [(a + b) / 2 for a, b in zip(values, values[1:], strict=False)] + [values[0] - 1e-4]
    best, best_f1 = MAX_THRESHOLD, -1.0
    for cut in sorted(cuts, reverse=True):
        tp = sum(s >= cut for s in positives)
        fp = sum(s >= cut for s in negatives)
        f1 = 2 * tp / (2 * tp + fp + (len(positives) - tp))
        if f1 > best_f1 + 1e-9:
            best, best_f1 = cut, f1
    return min(MAX_THRESHOLD, max(MIN_THRESHOLD, best))


def samples(
    matcher: SemanticMatcher,
    transcripts: Iterable[Transcript],
    *,
    resolved: Callable[[Transcript], bool] | None = None,
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Per label, the scores of the positive and of the negative labelled calls (see ``POSITIVE``)."""
    pos: dict[str, list[float]] = {label: [] for label in POSITIVE}
    neg: dict[str, list[float]] = {label: [] for label in POSITIVE}
    for transcript in transcripts:
        gold = set((transcript.labels or {}).get("categories") or [])
        scores = call_scores(matcher, transcript)
        closed = resolved is not None and resolved(transcript)
        answered = helped(Context(transcript, default_ruleset()))
        for label, (wanted, ignored) in POSITIVE.items():
            if (closed and label in GATED) or (answered and label in ANSWERED):
                continue
            if gold & wanted and not gold & ignored:
                pos[label].append(scores.get(label, -1.0))
            elif not gold & wanted:
                neg[label].append(scores.get(label, -1.0))
    return pos, neg


def calibrate(
    matcher: SemanticMatcher,
    transcripts: Iterable[Transcript],
    reviews: Sequence[ReviewedExample] = (),
    *,
    negatives: Iterable[Transcript] = (),
    resolved: Callable[[Transcript], bool] | None = None,
    source: str = "",
) -> Calibration:
    """Thresholds from labelled calls and reviews; reviewed sentences become examples.

    ``negatives`` are calls without any finding (passed calls of the centre): their staff
    sentences that pass the pre-filter become ``none`` examples, so that ordinary sentences find
    an ordinary neighbour. ``resolved`` tells calls with a work order or transfer: there a
    referral or a wait is no finding, so they are no negatives for those labels.
    """
    base = SemanticMatcher(matcher.bank, matcher.encode, Calibration({}, (), matcher.calibration.min_overlap))
    ordinary = [
        (NONE, u)
        for t in negatives
        if not (t.labels or {}).get("categories")
        for u in [c.text for c in base.candidates((x.index, "staff", x.text) for x in t.staff_turns)]
    ]
    reviewed = [r for r in reviews if r.label in POSITIVE]
    examples = tuple(
        dict.fromkeys(
            [*ordinary, *((r.label if r.confirmed else NONE, r.text) for r in reviewed if r.text.strip())]
        )
    )
    # Reviewed sentences are scored before they join the bank: as examples they would match themselves.
    matcher = SemanticMatcher(
        matcher.bank, matcher.encode, Calibration({}, tuple(ordinary), base.calibration.min_overlap)
    )
    pos, neg = samples(matcher, transcripts, resolved=resolved)
    speakers = {
        lb.name: ("caller" if lb.speaker == "caller" else "staff") for lb in matcher.bank.labels.values()
    }
    for review, near in zip(
        reviewed, matcher.nearest([(speakers[r.label], r.text) for r in reviewed]), strict=True
    ):
        score = near.margin if near.label == review.label else -1.0
        (pos if review.confirmed else neg)[review.label].append(score)
    thresholds = {label: choose_threshold(pos[label], neg[label]) for label in POSITIVE}
    return Calibration(
        thresholds=thresholds,
        examples=examples,
        min_overlap=base.calibration.min_overlap,
        source=source,
    )
