"""A short turn carrying on the topic of the answer just given (knowledge/continuity.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from knowledge.continuity import CONTINUE_MAX_CHARS, PLAIN_FLOOR, confirmed, may_continue, on_topic_query
from knowledge.search import Hit
from tests.knowledge.hits import entry_doc, entry_hit


def _conf(values: Mapping[str, float]) -> Callable[[Sequence[Hit]], dict[int, float]]:
    def conf_of(hits: Sequence[Hit]) -> dict[int, float]:
        return {id(h): values.get(h.doc.key, 0.0) for h in hits}

    return conf_of


def test_only_a_short_turn_after_an_entry_with_a_topic_may_continue() -> None:
    given = entry_doc("credit-what", "云南/昆明", topic="信用就医")
    assert may_continue("住院还要交押金不", given)
    assert not may_continue("住院还要交押金不", None)
    assert not may_continue("住院还要交押金不", entry_doc("no-topic", "云南/昆明"))
    assert not may_continue("押" * (CONTINUE_MAX_CHARS + 1), given)
    assert on_topic_query(given, "住院还要交押金不") == "信用就医 住院还要交押金不"


def test_the_entry_must_come_first_without_the_topics_name_too() -> None:
    deposit = entry_hit("credit-deposit", 0.85, "云南/昆明", topic="信用就医")
    other = entry_hit("chengdu-assistance", 0.86, "四川/成都")
    plain = [[other, deposit]]
    first = _conf({"entry:credit-deposit": PLAIN_FLOOR + 0.1, "entry:chengdu-assistance": PLAIN_FLOOR})
    assert confirmed(deposit, plain, first)
    second = _conf({"entry:credit-deposit": PLAIN_FLOOR + 0.1, "entry:chengdu-assistance": PLAIN_FLOOR + 0.2})
    assert not confirmed(deposit, plain, second)
    weak = _conf({"entry:credit-deposit": PLAIN_FLOOR - 0.05})
    assert not confirmed(deposit, plain, weak)
    assert confirmed(deposit, [[], [deposit]], first)  # any of the plain searches may confirm it
