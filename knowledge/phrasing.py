"""More phrasings of an imported FAQ question, generated offline so that search finds callers' wording.

A centre's sheet gives one phrasing per question; callers say the same thing with other words (社保卡
for 医保卡), other endings (要多久 for 几个工作日), in spoken frames (俺想打听下, 中不中), with their
region said in passing, and in the words of the rule itself (突发急病住院). ``Phrasings`` builds those
from ``data/phrasing.yaml`` and from the row's answer sentences, plus, for the service names no term
list holds (“红小依之家”), the writing a speech recogniser would produce from the sound (红小一之家;
the domain terms are repaired by sound in ``textnorm`` already). The result is deterministic and
bounded; a variant that the query normalisation (``textnorm.normalize_query``) maps onto a phrasing
the entry already has is dropped (咋办 is searched as 怎么办), since search would gain nothing from it.
"""

from __future__ import annotations

import importlib.util
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from pypinyin import Style, lazy_pinyin

from knowledge.regions import region_table
from knowledge.textnorm import DATA_DIR, char_pinyin, domain_terms, normalize_query

__all__ = ["MAX_QUESTIONS", "Phrasings", "default_phrasings", "with_phrasings"]

DEFAULT_PATH = DATA_DIR / "phrasing.yaml"
DEFAULT_LIMIT = 24
MAX_QUESTIONS = 40  # an entry's own phrasings and the generated ones, in all
_END_PUNCT_RE = re.compile(r"[\s？?。！!，,；;：:~～]+$")
_PARTICLE_END_RE = re.compile(r"(呢|呀|啊|吧|哈)+$")
_SENTENCE_RE = re.compile(r"[。；;！!？?：:\n]+")
# Openings that carry no content of their own: a bare yes/no, a date, "按...规定".
_LEAD_RE = re.compile(
    r"^(的|(可以|能|不用|不能|是的|对)[。，,]|(从|自)?\d{4}年(\d{1,2}月)?(\d{1,2}日)?起?[，,]?|按[^，,]{0,12}[，,])"
)
_ANSWER_CLAUSE_MAX = 32
_QUOTED_RE = re.compile(r"[“\"「]([\u4e00-\u9fff]{2,12})[”\"」]")
_HAN_RE = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class QuestionKind:
    """A kind of question recognised by its ending, and its other ways of being asked."""

    name: str
    endings: tuple[str, ...]
    say: tuple[str, ...]


class Phrasings:
    """The generator: synonym groups, question kinds, spoken frames and region frames."""

    def __init__(
        self,
        synonyms: Sequence[Sequence[str]],
        kinds: Sequence[QuestionKind],
        colloquial: Sequence[str],
        region_frames: Sequence[str],
    ) -> None:
        self.synonyms = [tuple(sorted(g, key=len, reverse=True)) for g in synonyms if len(g) >= 2]
        self.kinds = list(kinds)
        self.colloquial = list(colloquial)
        self.region_frames = list(region_frames)

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> Phrasings:
        """Read the tables from a YAML file (``data/phrasing.yaml``)."""
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        kinds = [
            QuestionKind(
                name,
                tuple(sorted(map(str, spec.get("endings", [])), key=len, reverse=True)),
                tuple(map(str, spec.get("say", []))),
            )
            for name, spec in (raw.get("question_types") or {}).items()
        ]
        return cls(
            [[str(w) for w in group] for group in raw.get("synonyms") or []],
            kinds,
            [str(t) for t in raw.get("colloquial") or []],
            [str(t) for t in raw.get("region_frames") or []],
        )

    # ---- the parts --------------------------------------------------------------------------------
    @staticmethod
    def bare(question: str) -> str:
        """The question without its final punctuation and trailing particles."""
        return _PARTICLE_END_RE.sub("", _END_PUNCT_RE.sub("", question.strip()))

    def kind_of(self, question: str) -> tuple[QuestionKind, str] | None:
        """The question's kind and its core (the question without that ending), if an ending matches."""
        text = self.bare(question)
        for kind in self.kinds:
            for ending in kind.endings:
                if text.endswith(ending) and len(text) > len(ending) + 1:
                    return kind, text[: -len(ending)]
        return None

    def _matches(self, question: str) -> list[tuple[tuple[str, ...], str, int]]:
        """(group, member, position) of the synonyms in ``question``, longest first, not overlapping
        (报销 inside 零星报销 belongs to 零星报销)."""
        found = sorted(
            ((group, member, question.find(member)) for group in self.synonyms for member in group),
            key=lambda m: -len(m[1]),
        )
        taken: list[range] = []
        out: list[tuple[tuple[str, ...], str, int]] = []
        for group, member, pos in found:
            span = range(pos, pos + len(member))
            if pos < 0 or any(g is group for g, _, _ in out) or any(set(span) & set(t) for t in taken):
                continue
            taken.append(span)
            out.append((group, member, pos))
        return out

    def synonym_variants(self, question: str) -> list[str]:
        """One variant per other member of each synonym group in the question, and one with all
        groups swapped at once (a caller rarely changes just one word)."""
        out: list[str] = []
        all_swapped = question
        for group, member, pos in sorted(self._matches(question), key=lambda m: -m[2]):
            others = [o for o in group if o != member and not (member in o and o in question)]
            for other in others:
                out.append(question[:pos] + other + question[pos + len(member) :])
            if others:
                all_swapped = all_swapped[:pos] + others[0] + all_swapped[pos + len(member) :]
        if all_swapped != question:
            out.insert(0, all_swapped)
        return out

    def kind_variants(self, question: str, region_names: Iterable[str]) -> list[str]:
        """The same question asked with the other endings of its kind (without the region)."""
        found = self.kind_of(question)
        if found is None:
            return []
        kind, core = found
        core = _without(core, sorted(region_names, key=len, reverse=True))
        core = re.sub(r"(需要|要)$", "", core.strip("，,的 ")) or core
        return [template.format(core=core) for template in kind.say]

    @staticmethod
    def answer_questions(answer: str, region_names: Sequence[str], limit: int = 3) -> list[str]:
        """Questions the answer's own sentences answer: callers describe their case in the words of
        the rule (突发急病住院, 不用审核) more often than in the words of the sheet's question."""
        out = []
        for sentence in _SENTENCE_RE.split(answer):
            sentence = _without(_LEAD_RE.sub("", sentence.strip()), region_names)
            sentence = _LEAD_RE.sub("", sentence.strip("，, "))
            kept = ""
            for clause in re.split(r"[，,：:]", sentence):  # whole clauses, up to the length cap
                if kept and len(kept) + len(clause) > _ANSWER_CLAUSE_MAX:
                    break
                kept = f"{kept}，{clause}" if kept else clause
            if len(kept) < 8:
                continue
            out.append(kept.rstrip("，,、") + "吗")
            if len(out) >= limit:
                break
        return out

    @staticmethod
    def sound_alike_variants(question: str, answer: str = "") -> list[str]:
        """The question with each service name (quoted in the row: “红小依之家”) written the way a
        recogniser would hear it, with the commonest characters of the same sounds (红小一之家).
        The domain terms are left out: the query normalisation repairs those by sound already."""
        names = {n for n in _QUOTED_RE.findall(f"{question} {answer}") if n in question}
        out = []
        for name in sorted(names - set(domain_terms()), key=len, reverse=True):
            heard = sound_alike(name)
            if heard != name:
                out.append(question.replace(name, heard))
        return out

    # ---- all together -----------------------------------------------------------------------------
    def generate(
        self,
        question: str,
        *,
        region: str | None = None,
        answer: str = "",
        existing: Sequence[str] = (),
        limit: int = DEFAULT_LIMIT,
    ) -> list[str]:
        """Up to ``limit`` new phrasings of ``question`` (deterministic; none that normalise alike).

        Args:
            region: the row's canonical region; the region-less and region-in-passing forms use it.
            existing: phrasings the entry already has (the sheet's question and its similar ones).
        """
        if limit <= 0:
            return []
        names = _region_names(region)
        bare = self.bare(question)
        spoken = region_table().display(region) if region else ""
        pools = [
            self.synonym_variants(bare),
            self.kind_variants(question, names),
            [frame.format(q=_without(bare, names), region=spoken) for frame in self.region_frames]
            if region
            else [],
            self.answer_questions(answer, names),
            self.sound_alike_variants(bare, answer),
            [frame.format(q=bare) for frame in self.colloquial],
        ]
        seen = {normalize_query(self.bare(q)) for q in (question, *existing)}
        out: list[str] = []
        # Round-robin over the pools, so that a small limit still gets every kind of variety.
        for i in range(max((len(p) for p in pools), default=0)):
            for pool in pools:
                if i >= len(pool) or len(out) >= limit:
                    continue
                key = normalize_query(self.bare(pool[i]))
                if key and key not in seen:
                    seen.add(key)
                    out.append(pool[i])
        return out


# A character is heard as the commonest one of its sound only when it is this many times rarer: a
# recogniser's language model keeps ordinary characters (超级) and loses the rare ones (依 -> 一).
RARER = 8


@lru_cache(maxsize=1)
def _sound_table() -> tuple[dict[str, int], dict[str, str]]:
    """Character frequencies from the word frequencies of jieba's dictionary, and for each toneless
    syllable its commonest character (what a recogniser prefers when it only has the sound)."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:
        return {}, {}
    counts: Counter[str] = Counter()
    with (Path(list(spec.submodule_search_locations)[0]) / "dict.txt").open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                for ch in parts[0]:
                    counts[ch] += int(parts[1])
    chars = [ch for ch, _ in counts.most_common() if _HAN_RE.match(ch)]
    best: dict[str, str] = {}
    for ch, syllable in zip(chars, lazy_pinyin(chars, style=Style.NORMAL), strict=True):
        best.setdefault(str(syllable), ch)
    return dict(counts), best


def sound_alike(text: str) -> str:
    """``text`` with its rare Han characters replaced by the commonest character read the same way."""
    counts, best = _sound_table()
    out = []
    for ch, reading in zip(text, char_pinyin(text), strict=True):
        heard = best.get(reading, ch) if _HAN_RE.match(ch) else ch
        out.append(heard if counts.get(heard, 0) > RARER * counts.get(ch, 0) else ch)
    return "".join(out)


def _region_names(region: str | None) -> list[str]:
    """The names a question may use for its region: the stems of its path and their full names."""
    if not region:
        return []
    table = region_table()
    names = []
    for part in region.split("/"):
        names.append(part)
        names.extend(r.full_name for r in table.find_all(part) if r.stem == part)
    return sorted(set(names), key=len, reverse=True)


# A region said at the start of a sentence: "开封的，", "昌吉州把", "我是太原的，".
_REGION_LEAD = r"^(?:我是|俺是)?{name}(?:省|市|县|区|州)?(?:这边|那边)?的?[，,\s]*"


def _without(text: str, names: Sequence[str]) -> str:
    """``text`` without the region said at its start; a region named inside the sentence stays,
    since cutting it out leaves a broken sentence (在太原念书的 -> 在念书的)."""
    for name in names:  # longest first: 开封市 before 开封
        rest = re.sub(_REGION_LEAD.format(name=re.escape(name)), "", text, count=1)
        if rest != text:
            rest = rest.strip("，, ")
            return rest if len(rest) >= 2 else text
    return text


def with_phrasings(
    questions: Sequence[str],
    *,
    region: str | None,
    answer: str,
    limit: int = MAX_QUESTIONS,
    phrasings: Phrasings | None = None,
) -> list[str]:
    """An entry's own phrasings (all of them) followed by those generated from its first one, up to
    ``limit`` in all.

    The FAQ import stores the result with each row. Curated entries do not get them: their own
    nine or so phrasings already vary, and the generated ones cost refusals of unanswerable
    questions without a gain on the tuning sets (docs/benchmarks.md, issue 13).
    """
    own = [q for q in questions if q.strip()]
    if not own:
        return []
    generator = phrasings or default_phrasings()
    made = generator.generate(own[0], region=region, answer=answer, existing=own, limit=limit - len(own))
    return [*own, *made]  # a sheet row with more than ``limit`` phrasings of its own keeps them all


@lru_cache(maxsize=1)
def default_phrasings() -> Phrasings:
    """The generator with the shipped tables, read once per process."""
    return Phrasings.load()
