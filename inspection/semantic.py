"""Semantic matching (语义质检): sentences compared with banks of example phrasings by embedding.

Impatience, a forbidden phrase in other words, a deflection or an open matter is said in endless
wordings that no phrase list covers. Each sentence of a call (staff sentences; the caller's last
ones for open matters) is embedded and compared with the examples of ``data/semantic_bank.yaml``
plus the examples supervisors confirmed or overruled (the calibration file); the nearest example
decides the label, and a label counts only above its calibrated threshold. The matched example is
the evidence. The encoder is passed in (``knowledge.embed.Embedder.encode`` fits), so the library
runs without a model when none is given.

Cost: a sentence is embedded only when it passes a cheap pre-filter (a cue word of some label,
matched by sound so that recogniser homophones pass, enough sound bigrams shared with an
example, or a short staff sentence that refuses or says 你), short backchannels are skipped, a
long sentence is embedded only around its cue words (``inspection.pieces`` cuts them),
each call is encoded in one batch, and vectors are cached by text, least recently used
dropped first (scripted sentences recur from call to call).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from inspection.pieces import (
    CLAUSE_CHARS,
    LONG_CHARS,
    OPEN_CHARS,
    is_spoken,
    open_sentence,
    sentences,
    windows,
)
from inspection.semantic_bank import NONE, Bank, Calibration, load_bank, load_calibration
from inspection.textmatch import PhraseMatcher, normalize, sound_pattern

Encoder = Callable[[Sequence[str]], np.ndarray]
# What of an utterance is embedded: (text, kind, cued labels, decisive labels a window holds).
Piece = tuple[str, str, tuple[str, ...], tuple[str, ...]]
# A window is a guess at where a sentence begins and ends: it must clear the threshold by this much.
WINDOW_PENALTY = 0.02
# An open sentence (see ``pieces.open_sentence``) passed no pre-filter: its label rests on the vector
# alone, so it must clear the threshold by this much (scripted "还有别的问题吗" sits 0.02-0.05 above it).
OPEN_PENALTY = 0.055


def _bigrams(text: str) -> set[str]:
    codes = normalize(text).codes
    return {codes[i : i + 2] for i in range(len(codes) - 1)}


@dataclass(frozen=True)
class Nearest:
    """A sentence's closest problem label: its closest example, mean similarity, margin over ``none``."""

    label: str
    example: str
    score: float
    margin: float


@dataclass(frozen=True)
class Unit:
    """A piece of a turn that is embedded: a sentence, a window around a cue word, or an open
    sentence (short, no pre-filter passed: see ``pieces.open_sentence``)."""

    turn: int
    speaker: str
    text: str
    # "sentence"; "window" (around a cue word); "clause" (a window of recognised speech between two
    # visible clause edges: judged like a sentence, cue words deciding); "open" (pieces.open_sentence)
    kind: str = "sentence"
    # Labels whose cue words a sentence holds (see ``cued``): its nearest is one of them. Not for
    # windows: cut around a cue word, a window would always be of the cue's label.
    cued: tuple[str, ...] = ()
    # A window's decisive labels whose cue words it holds: it takes no other decisive label (see
    # ``SemanticMatcher.scored``).
    holds: tuple[str, ...] = ()

    @property
    def window(self) -> bool:
        return self.kind == "window"

    @property
    def penalty(self) -> float:
        """How far past the threshold the margin must reach (a window or an open sentence is a guess)."""
        return {"window": WINDOW_PENALTY, "clause": WINDOW_PENALTY, "open": OPEN_PENALTY}.get(self.kind, 0.0)


@dataclass(frozen=True)
class SemanticHit:
    """A sentence whose nearest example has a problem label, above that label's threshold."""

    label: str
    turn: int
    text: str
    example: str
    score: float
    margin: float
    shape: str = ""  # the name of the sentence shape that decided it (no example, no similarity)


@dataclass
class SemanticMatcher:
    """Nearest-example matching of call sentences; thresholds from a Calibration."""

    bank: Bank
    encode: Encoder
    calibration: Calibration
    cache_size: int = 20000
    k: int = 3  # a label's score is the mean similarity of its k closest examples
    open_chars: int = OPEN_CHARS  # short open sentences embedded without a cue word (0: none)
    _vectors: np.ndarray | None = field(default=None, repr=False)
    _cache: OrderedDict[str, np.ndarray] = field(default_factory=OrderedDict, repr=False)
    # Not an init field: a copy with other settings (dataclasses.replace) must cut its own pieces.
    _piece_memo: dict[tuple[str, str], tuple[Piece, ...]] = field(
        default_factory=dict, init=False, repr=False
    )
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        learned = [(lb, t) for lb, t in self.calibration.examples if lb in self.bank.labels]
        self.examples: list[tuple[str, str]] = [
            (lb.name, ex) for lb in self.bank.labels.values() for ex in lb.examples
        ] + learned
        self._columns = {
            name: np.array([i for i, (lb, _) in enumerate(self.examples) if lb == name], dtype=np.int64)
            for name in self.bank.labels
        }
        self._cues = {
            lb.name: PhraseMatcher([c for c in lb.cues if len(c) >= 2], max_fillers=0)
            for lb in self.bank.labels.values()
            if lb.cues and lb.name != NONE
        }
        self._example_grams = [(lb, _bigrams(t)) for lb, t in self.examples if lb != NONE]

    def with_calibration(self, calibration: Calibration) -> SemanticMatcher:
        """The same bank and encoder under other thresholds, sharing the cached sentence vectors
        (to compare a new calibration with the current one on the same calls)."""
        other = SemanticMatcher(self.bank, self.encode, calibration, self.cache_size, self.k, self.open_chars)
        other._cache, other._lock = self._cache, self._lock
        return other

    def clear_cache(self) -> None:
        """Forget the cached sentence vectors and pieces (the bank's stay): to time unheard calls."""
        with self._lock:
            self._cache.clear()
            self._piece_memo.clear()

    def labels_for(self, speaker: str) -> list[str]:
        """Problem labels that apply to a speaker ('staff' or 'caller')."""
        return [
            lb.name for lb in self.bank.labels.values() if lb.name != NONE and lb.speaker in (speaker, "any")
        ]

    def _cue_spans(self, text: str, speaker: str) -> tuple[list[tuple[int, int]], int]:
        spans, length = self._cue_hits(text, speaker)
        return [(start, end) for start, end, _ in spans], length

    def _cue_hits(self, text: str, speaker: str) -> tuple[list[tuple[int, int, str]], int]:
        norm = normalize(text)
        # Two-syllable cues match by sound too often (打听/大厅, 得问/的问): they must match exactly.
        spans = [
            (m.start, m.end, lb)
            for lb in self.labels_for(speaker)
            if lb in self._cues
            for m in self._cues[lb].find(norm)
            if m.exact or len(m.phrase) > 2
        ]
        return spans, len(norm.chars)

    def cued(self, text: str, speaker: str) -> tuple[str, ...]:
        """The labels whose cue words ``text`` holds (in bank order), when one of them is decisive;
        with cue words of other labels only, the labels that are not decisive; else () (any label)."""
        found = {lb for _, _, lb in self._cue_hits(text, speaker)[0]}
        if found and not any(self.bank.labels[lb].decisive for lb in found):
            # Let in by a referral's or a wait's words alone (再问问, 等着): not a decisive label's
            # sentence, which is named by its own words (几遍, 白搭).
            labels = self.labels_for(speaker)
            rest = tuple(lb for lb in labels if not self.bank.labels[lb].decisive)
            return () if len(rest) == len(labels) else rest
        return tuple(lb for lb in self.labels_for(speaker) if lb in found)

    def passes(self, text: str, speaker: str) -> bool:
        """The pre-filter: a cue word of a label the speaker can have, or enough shared sound bigrams."""
        if self._cue_spans(text, speaker)[0]:
            return True
        wanted = set(self.labels_for(speaker))
        grams = _bigrams(text)
        need = self.calibration.min_overlap
        return any(lb in wanted and g and len(g & grams) >= need * len(g) for lb, g in self._example_grams)

    def units(self, text: str, speaker: str) -> list[tuple[str, str]]:
        """What of an utterance gets embedded, as (text, kind): short sentences that pass the
        pre-filter ("sentence") or are open ones ("open"), and in longer ones windows around cue
        words ("window", or "clause" when both its ends are visible clause edges). Recognised
        speech has no punctuation, so its clauses run together ("您要是记不住就别打来问了当天就能
        收到"): there a sentence longer than a clause gets the windows as well as being embedded
        whole."""
        out: list[tuple[str, str]] = []
        spoken = is_spoken(text)
        for sentence in sentences(text):
            spans, length = self._cue_spans(sentence, speaker)
            if length <= LONG_CHARS:
                if spans or self.passes(sentence, speaker):
                    out.append((sentence, "sentence"))
                elif speaker == "staff" and open_sentence(sentence, self.open_chars):
                    out.append((sentence, "open"))
                if not (spoken and length > CLAUSE_CHARS):
                    continue
            out.extend(
                (w, "clause" if whole else "window") for w, whole in windows(sentence, spans, length, spoken)
            )
        return list(dict.fromkeys(out))

    def _bank_vectors(self) -> np.ndarray:
        if self._vectors is None:
            self._vectors = np.asarray(self.encode([t for _, t in self.examples]), dtype=np.float32)
        return self._vectors

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of ``texts``: cached ones reused (least recently used dropped first), the rest
        encoded in one batch. Agents repeat scripted sentences from call to call (greetings, hold
        and closing phrases), so a warm cache spares most of the encoder's work."""
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for t in texts:
                vec = self._cache.get(t)
                if vec is not None:
                    self._cache.move_to_end(t)
                    found[t] = vec
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            fresh = np.asarray(self.encode(missing), dtype=np.float32)
            found.update(zip(missing, fresh, strict=True))
            with self._lock:
                self._cache.update(zip(missing, fresh, strict=True))
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return np.stack([found[t] for t in texts]) if texts else np.zeros((0, 1), np.float32)

    def nearest(
        self, items: Sequence[tuple[str, str]], cued: Sequence[tuple[str, ...]] = ()
    ) -> list[Nearest]:
        """For each (speaker, text): the problem label of the speaker whose ``k`` closest examples are
        closest on average, its closest example (the evidence), and how much closer that average is
        than the ``none`` examples' (the margin the thresholds apply to). ``cued`` (one tuple per
        item) narrows the choice to the labels whose cue words the text holds: "跟您讲不通" is
        impatience even where a forbidden phrase's example happens to sit closer."""
        if not items:
            return []
        sims = self.vectors([t for _, t in items]) @ self._bank_vectors().T
        scores = {label: self._topk(sims, label) for label in self.bank.labels}
        out = []
        for n, (row, (speaker, _)) in enumerate(zip(sims, items, strict=True)):
            none_score = float(scores[NONE][n])
            best: tuple[float, str] | None = None
            for label in (cued[n] if n < len(cued) else ()) or self.labels_for(speaker):
                score = float(scores[label][n])
                if best is None or score > best[0]:
                    best = (score, label)
            if best is None:
                out.append(Nearest(NONE, "", none_score, 0.0))
                continue
            score, label = best
            cols = self._columns[label]
            example = self.examples[int(cols[int(np.argmax(row[cols]))])][1]
            out.append(Nearest(label, example, score, score - none_score))
        return out

    def _topk(self, sims: np.ndarray, label: str) -> np.ndarray:
        """Per row of ``sims``, the mean of the label's ``k`` highest similarities (-1 without examples)."""
        sub = sims[:, self._columns[label]]
        width = sub.shape[1]
        if not width:
            return np.full(len(sims), -1.0, dtype=np.float32)
        k = min(self.k, width)
        return np.partition(sub, width - k, axis=1)[:, width - k :].mean(axis=1)

    def candidates(self, turns: Iterable[tuple[int, str, str]]) -> list[Unit]:
        """The pieces of the given (turn index, 'staff'|'caller', text) turns that pass the pre-filter."""
        return [
            Unit(i, sp, u, kind, cued, holds)
            for i, sp, text in turns
            for u, kind, cued, holds in self._pieces(text, sp)
        ]

    def _unit_cues(self, text: str, kind: str, speaker: str) -> Piece:
        """A window narrows the labels only away from the decisive ones (its cut may split a phrase),
        but keeps the decisive labels it holds cue words of (``Unit.holds``)."""
        cued = self.cued(text, speaker)
        held = tuple(lb for lb in cued if self.bank.labels[lb].decisive)
        return (text, kind, (), held) if kind == "window" and held else (text, kind, cued, ())

    def _pieces(self, text: str, speaker: str) -> tuple[Piece, ...]:
        """An utterance's units with their cue labels, remembered by text like the vectors: cutting
        and pre-filtering a scripted sentence again on every call costs more than its lookup."""
        key = (speaker, text)
        got = self._piece_memo.get(key)
        if got is None:
            got = tuple(self._unit_cues(u, kind, speaker) for u, kind in self.units(text, speaker))
            with self._lock:
                if len(self._piece_memo) >= self.cache_size:
                    self._piece_memo.clear()
                self._piece_memo[key] = got
        return got

    def scored(self, turns: Iterable[tuple[int, str, str]]) -> list[tuple[Unit, Nearest]]:
        """Each candidate piece with its nearest label; a window's or an open sentence's margin
        carries its penalty. A window cut around a decisive label's cue word whose nearest is the
        other decisive label is none: in recognised speech a refusal (跟我说这个也白搭大厅怎么办) sits
        nearer the blame examples, the vectors do not tell the two apart, the cue words do."""
        cands = self.candidates(turns)
        out = []
        near_all = self.nearest([(u.speaker, u.text) for u in cands], [u.cued for u in cands])
        for unit, near in zip(cands, near_all, strict=True):
            if unit.holds and near.label not in unit.holds and self.bank.labels[near.label].decisive:
                near = Nearest(NONE, "", near.score, 0.0)
            if unit.penalty:
                near = Nearest(near.label, near.example, near.score, near.margin - unit.penalty)
            out.append((unit, near))
        return out

    def shaped(self, turns: Iterable[tuple[int, str, str]]) -> list[SemanticHit]:
        """Sentences of a shape that is a label's problem whatever the words (the bank's ``shapes``:
        a rhetorical question at the caller, 要是…也不至于, 爱信不信): one hit per turn and label.
        The vectors separate such sentences from neutral ones by hundredths; their shape does not
        depend on the wording."""
        shaped = [lb for lb in self.bank.labels.values() if lb.shapes]
        found: list[SemanticHit] = []
        for turn, speaker, text in turns:
            labels = [lb for lb in shaped if lb.speaker in (speaker, "any")]
            parts = sentences(text) if labels else []
            # Recognised speech (no punctuation) is also read by sound: 窝浙边说也不算 is 我这边说了也不算.
            sounds = [normalize(s).codes for s in parts] if parts and is_spoken(text) else [""] * len(parts)
            for lb in labels:
                hit = next(
                    (
                        (s, name)
                        for s, codes in zip(parts, sounds, strict=True)
                        for name, pattern in lb.shapes
                        if pattern.search(s) or (codes and _sounds_like(pattern, codes))
                    ),
                    None,
                )
                if hit is not None:
                    found.append(SemanticHit(lb.name, turn, hit[0], "", 1.0, 1.0, hit[1]))
        return found

    def match(self, turns: Iterable[tuple[int, str, str]]) -> list[SemanticHit]:
        """Hits in the given (turn index, 'staff'|'caller', text) turns, strongest per turn and label;
        a sentence shape's hit (``shaped``) stands where the vectors found none."""
        turns = list(turns)
        found: dict[tuple[int, str], SemanticHit] = {}
        for unit, near in self.scored(turns):
            limit = self.calibration.thresholds.get(near.label)
            if near.label == NONE or limit is None or near.margin < limit:
                continue
            key = (unit.turn, near.label)
            if key not in found or near.margin > found[key].margin:
                found[key] = SemanticHit(
                    near.label, unit.turn, unit.text, near.example, near.score, near.margin
                )
        claimed: set[int] = set()
        for hit in self.shaped(turns):
            # A shape decides the turn between the decisive labels: a window of recognised speech cut
            # from "跟我磨嘴皮子也改变不了" may sit nearer an impatience example. Between two shapes of
            # decisive labels the bank's first label wins: blame at the caller that also disowns
            # (是您自己没仔细看，怪不到我们头上) is impatience, as the boundary in the README says.
            if self.bank.labels[hit.label].decisive:
                if hit.turn in claimed:
                    continue
                claimed.add(hit.turn)
                for other in self.bank.labels.values():
                    if other.decisive and other.name != hit.label:
                        found.pop((hit.turn, other.name), None)
            found.setdefault((hit.turn, hit.label), hit)
        return sorted(found.values(), key=lambda h: (h.turn, h.label))


def _sounds_like(pattern: re.Pattern[str], codes: str) -> bool:
    sound = sound_pattern(pattern)
    return sound is not None and bool(sound.search(codes))


def load_semantic_matcher(
    model_path: Path | str,
    *,
    calibration: Path | str | None = None,
    bank: Path | str | None = None,
    threads: int = 1,
) -> SemanticMatcher:
    """A matcher over the sentence-embedding model at ``model_path`` (loaded at first use)."""
    from knowledge.embed import Embedder

    embedder = Embedder(model_path, threads=threads)
    return SemanticMatcher(load_bank(bank), embedder.encode, load_calibration(calibration))
