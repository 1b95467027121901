"""A short turn that carries on the topic of the answer just given.

After 昆明's "信用就医" answer, "住院还要交押金不" names no topic: searched alone, the base's other
rules about deposits or hospital stays match it about as well as the 信用就医 entry that answers it,
and the decision abstains. Searched with the topic's name in front, the topic's entry that answers
it stands out; but the topic's name lifts every entry of the topic alike ("信用就医 外地人能办不"
would get one of them with high confidence although none answers it). So an entry found that way
answers only when the turn without the topic's name also finds it first, at ``PLAIN_FLOOR`` or
more: the same evidence from both readings, as for a city said in passing (``own_region``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from knowledge.search import Doc, Hit
from knowledge.textnorm import clean_text

# A turn this long or shorter may lean on the topic before it (a follow-up is short).
CONTINUE_MAX_CHARS = 20
# The confidence the entry needs in the search of the turn without the topic's name.
PLAIN_FLOOR = 0.5


def may_continue(text: str, previous: Doc | None) -> bool:
    """Whether ``text`` may carry on the topic of ``previous`` (the entry just given)."""
    return bool(previous is not None and previous.topic and len(clean_text(text)) <= CONTINUE_MAX_CHARS)


def on_topic_query(previous: Doc, text: str) -> str:
    """The turn with its topic's name in front ("信用就医 住院还要交押金不")."""
    return f"{previous.topic} {text}"


def confirmed(
    chosen: Hit, plain: Sequence[Sequence[Hit]], conf_of: Callable[[Sequence[Hit]], Mapping[int, float]]
) -> bool:
    """Whether a search of the turn without the topic's name puts ``chosen``'s entry first too,
    with confidence ``PLAIN_FLOOR`` or more (``plain``: the hits of each such search)."""
    for hits in plain:
        if not hits:
            continue
        conf = conf_of(hits)
        top = max(hits, key=lambda h: conf[id(h)])
        if top.doc.key == chosen.doc.key and conf[id(top)] >= PLAIN_FLOOR:
            return True
    return False
