"""服务禁语 and 不耐烦用语 in staff speech only, with variants; the boundary between the two."""

from __future__ import annotations

import pytest

from inspection.rules import forbidden
from tests.inspection.conftest import context, polite_call


@pytest.mark.parametrize(
    "said",
    [
        "这个不归我们管。",
        "这 不贵 我们这边管啊",
        "你自己上网查一下吧",
        "我也不知道。",
    ],
)
def test_forbidden_variants(said: str) -> None:
    found = forbidden.check(context(polite_call(("C", "请问一下。"), ("A", said))))
    assert len(found) == 1 and found[0].turns == (2,)
    assert found[0].evidence[0] in said


def test_caller_words_and_polite_uses_do_not_count() -> None:
    call = polite_call(("C", "你们是不是不归你们管？我不知道。"), ("A", "不知道您是哪里参保的？"))
    assert forbidden.check(context(call)) == []


def test_one_finding_per_turn_with_all_phrases() -> None:
    call = polite_call(("C", "问一下"), ("A", "不知道，不归我们管。"), ("C", "啊？"), ("A", "你自己去查。"))
    found = forbidden.check(context(call))
    assert [f.turns for f in found] == [(2,), (4,)]
    assert len(found[0].evidence) == 2


@pytest.mark.parametrize(
    "said",
    ["我说了你怎么就听不明白呢", "跟你说过了，你有完没完", "这么简单都不会？"],
)
def test_blame_at_the_caller_is_impatience_not_a_forbidden_phrase(said: str) -> None:
    """Aimed at the caller (hearing, repeating, scorn): politeness.impatience; a refusal stays forbidden."""
    found = forbidden.check(
        context(polite_call(("C", "请问一下。"), ("A", said), ("C", "哦。"), ("A", "这个不归我们管。")))
    )
    assert [(f.rule, f.turns) for f in found] == [("politeness.impatience", (2,)), ("forbidden.phrase", (4,))]
    assert found[0].detail.startswith("不耐烦用语：")
