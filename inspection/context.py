"""What every rule receives: the transcript, the rule set, caches and the injected collaborators."""

from __future__ import annotations

from dataclasses import dataclass, field

from inspection.emotion import AngerModel
from inspection.kb import KbFact, KbLookup
from inspection.ruleset import RuleSet
from inspection.semantic import SemanticMatcher
from inspection.textmatch import Match, NormText, normalize
from inspection.transcript import Transcript, Turn

MAX_EVIDENCE_CHARS = 120


NAMED_TRIES = 2  # lookups by an agent reply per call, when the caller's words find no entry
NAMED_CHARS = 40  # of the reply: the topic is named first (广东这边的医保关系转移…)


@dataclass(frozen=True)
class RawFinding:
    """A rule's observation before the rule set turns it into points."""

    rule: str
    turns: tuple[int, ...]
    evidence: tuple[str, ...]
    detail: str = ""
    kb_entry: str | None = None


def quote(text: str, limit: int = MAX_EVIDENCE_CHARS) -> str:
    """Evidence text, shortened to ``limit`` characters."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class Context:
    """Per-transcript state: normalised turns and lexicon matches are computed once."""

    transcript: Transcript
    ruleset: RuleSet
    kb_lookup: KbLookup | None = None
    anger_model: AngerModel | None = None
    semantic: SemanticMatcher | None = None
    _norm: dict[int, NormText] = field(default_factory=dict)
    _found: dict[tuple[str, int], list[Match]] = field(default_factory=dict)
    _kb: dict[str, list[KbFact]] = field(default_factory=dict)
    _all_text: str | None = None
    memo: dict[str, object] = field(default_factory=dict)

    def norm(self, turn: Turn) -> NormText:
        """The normalised text of a turn (cached)."""
        n = self._norm.get(turn.index)
        if n is None:
            n = normalize(turn.text)
            self._norm[turn.index] = n
        return n

    def find(self, lexicon: str, turn: Turn) -> list[Match]:
        """Matches of a rule-set lexicon in one turn (cached)."""
        key = (lexicon, turn.index)
        found = self._found.get(key)
        if found is None:
            found = self.ruleset.matcher(lexicon).find(self.norm(turn))
            self._found[key] = found
        return found

    def resolved(self) -> bool:
        """Whether staff transferred the call, opened a work order or promised a callback (cached)."""
        memo = self.memo.get("resolved")
        if memo is None:
            memo = self.memo["resolved"] = any(
                self.find("resolution", t) for t in self.transcript.staff_turns
            )
        return bool(memo)

    def param(self, name: str):  # type: ignore[no-untyped-def]
        """A threshold of the rule set."""
        return self.ruleset.param(name)

    @property
    def all_text(self) -> str:
        """Every turn's text joined: where region mentions are looked for."""
        if self._all_text is None:
            self._all_text = "".join(t.text for t in self.transcript.turns)
        return self._all_text

    def kb(self, query: str) -> list[KbFact]:
        """Facts for a query (cached), keeping only those whose region the call mentions."""
        if self.kb_lookup is None or not query.strip():
            return []
        facts = self._kb.get(query)
        if facts is None:
            from inspection.kb import region_mentioned

            sounds = self.memo.get("all_sounds")
            if sounds is None:
                sounds = self.memo["all_sounds"] = normalize(self.all_text).codes
            facts = [
                f
                for f in self.kb_lookup(query)
                if region_mentioned(getattr(f, "region", None), self.all_text, sounds=str(sounds))
            ]
            self._kb[query] = facts
        return facts

    def kb_named(self, query: str, said: str) -> list[KbFact]:
        """Facts for the caller's words, else for them with the agent's reply: the agent naming the
        topic (广东的医保关系转移…) finds the entry when the caller's words (转回来) do not.

        The entry an agent reply found for a caller query is kept for the call's later replies; at
        most ``NAMED_TRIES`` new lookups are made per call (a long call would otherwise look up
        every turn twice).
        """
        facts = self.kb(query)
        if facts:
            return facts
        named: dict[str, list[KbFact]] = self.memo.setdefault("kb_named", {})  # type: ignore[assignment]
        if query in named:
            return named[query]
        key = f"{query} {said[:NAMED_CHARS]}"
        if key not in self._kb:
            tries = int(self.memo.get("kb_named_tries", 0))  # type: ignore[call-overload]
            if tries >= NAMED_TRIES:
                return []
            self.memo["kb_named_tries"] = tries + 1
        found = self.kb(key)
        if found:
            named[query] = found
        return found

    def kb_query(self, turn: Turn) -> str:
        """The caller's words that set the topic for an agent turn: first and latest caller turn."""
        callers = [t for t in self.transcript.turns if t.speaker == "caller" and t.index < turn.index]
        if not callers:
            return ""
        parts = [callers[0].text]
        if callers[-1] is not callers[0]:
            parts.append(callers[-1].text)
        return " ".join(parts)
