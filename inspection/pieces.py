"""The pieces of an utterance that the semantic matcher embeds: sentences, clause windows, open sentences.

Written text gives its sentences by punctuation. Recognised speech has none, and its clauses run
together ("您要是记不住就别打来问了当天就能收到"): around a cue word, windows guess where the clause
begins and ends, starting and ending where the recogniser's text still shows a clause edge. A
short staff sentence that refuses or says 你, with no figure in it, is embedded even without a cue
word (an "open" sentence): a forbidden phrase or impatience in new words shares no word with any
list. ``inspection.semantic`` decides which pieces pass and scores them.
"""

from __future__ import annotations

import re

from inspection.claims import quantities, split_clauses
from inspection.textmatch import NormText, normalize

MIN_UNIT_CHARS = 5  # 嗯好的、对对对: backchannels say nothing a label is about
# A longer sentence (recognised speech has no punctuation) is embedded only around its cue words.
LONG_CHARS, CUE_CONTEXT, MIN_WINDOW_CHARS = 30, 12, 8
CLAUSE_CHARS = 14  # unpunctuated speech longer than this likely runs two clauses together
# Open sentences: at most this many characters, and saying 你, refusing or disowning (答不了, 不归, 没法).
OPEN_CHARS = 16
_OPEN_MARK = re.compile(
    r"[你别甭谁]|自己|自个|没[法空用辙招]|不[了管懂知归]|不是我|不明白|不清楚|哪知道|什么好"
)
_SENTENCE = re.compile(r"[^。！？!?；;\n]+")
_PUNCT = re.compile(r"[，。！？、,.!?；;：:“”\n]")
_FILLERS = frozenset("嗯呃")


def sentences(text: str) -> list[str]:
    """The sentences of an utterance, backchannels left out."""
    pieces = (p.strip() for p in _SENTENCE.findall(text))
    return [p for p in pieces if len(normalize(p).chars) >= MIN_UNIT_CHARS]


def is_spoken(text: str) -> bool:
    """Whether an utterance reads as recognised speech: no punctuation at all."""
    return not _PUNCT.search(text)


def open_sentence(sentence: str, max_chars: int = OPEN_CHARS) -> bool:
    """A short sentence that says 你, refuses or disowns, with no figure in it (no policy content)."""
    if not _OPEN_MARK.search(sentence) or len(normalize(sentence).chars) > max_chars:
        return False
    return not re.search(r"\d", sentence) and not any(quantities(c) for c in split_clauses(sentence))


def clause_edges(norm: NormText) -> tuple[set[int], set[int]]:
    """Where in ``norm.chars`` a clause of recognised speech visibly starts and ends inside the text:
    where a particle or a space was dropped (啊, 吧, 呢 end clauses), and after (start) or before
    (end) a filler (嗯, 呃). The text's own ends are no evidence: speech runs clauses together."""
    n = len(norm.chars)
    starts, ends = set(), set()
    for i in range(1, n):
        if norm.offsets[i] - norm.offsets[i - 1] > 1:
            starts.add(i)
            ends.add(i)
    for i, ch in enumerate(norm.chars):
        if ch in _FILLERS:
            starts.add(i + 1)
            ends.add(i)
    return starts - {0, n}, ends - {0, n}


def windows(sentence: str, spans: list[tuple[int, int]], length: int, spoken: bool) -> list[tuple[str, bool]]:
    """Windows of ``sentence`` around its cue-word ``spans`` (normalised positions; ``length`` chars),
    each with whether it is a whole clause (both its ends are clause edges of recognised speech)."""
    norm = normalize(sentence)
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + 2:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    # Written text: the cue's sentence is known, only where the cue sits in it is not: one window
    # reaching back, one forward. Recognised speech: where the clause around the cue begins and
    # ends is unknown. Where the recogniser's text still shows a clause edge within reach (a
    # dropped particle such as 啊/吧, a filler 嗯/呃, a space), the windows start and end there;
    # only a side without one reaches back or forward by a whole and by half the context.
    starts, ends = clause_edges(norm) if spoken else (set(), set())
    out = []
    for start, end in merged:
        if spoken:
            steps = (CUE_CONTEXT, CUE_CONTEXT // 2, 0)
            backs = [start - e for e in starts if start - CUE_CONTEXT <= e <= start] or list(steps)
            aheads = [e - end for e in ends if end <= e <= end + CUE_CONTEXT] or list(steps)
            reach = [(back, ahead) for back in backs for ahead in aheads]
        else:
            reach = [(CUE_CONTEXT, 0), (0, CUE_CONTEXT)]
        for back, ahead in reach:
            lo, hi = max(0, start - back), min(length, end + ahead)
            if hi - lo >= MIN_WINDOW_CHARS:
                out.append((norm.span(lo, hi), lo in starts and hi in ends))
    return out
