"""Follow-ups by facet: "那要带什么材料？" asks one facet of the rule just answered.

A follow-up that names a facet (materials, channel, time limit, cost, eligibility, steps) is
resolved against the entries of the current topic and region instead of being searched again,
which found the same entry and repeated its answer word for word. The entry just given answers
with that point alone when it states it; a sibling entry of the same topic and region that states
more of the asked facets answers in full; when none states any, the caller hears honestly that
the base has nothing more on it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import yaml

from knowledge.search import Doc
from knowledge.terms import missing_terms
from knowledge.textnorm import DATA_DIR, normalize_query, read_lines

_SENTENCE_RE = re.compile(r"[^。！？!?；;]+[。！？!?；;]?")


@dataclass(frozen=True)
class Facet:
    key: str  # the entry point key (knowledge/catalog.py POINT_KEYS)
    label: str  # how the caller hears it named
    asks: tuple[str, ...]
    evidence: tuple[re.Pattern[str], ...] = ()
    # Kinds of value a caller may name ("手机上能办不": online), each with the words that show it.
    kinds: tuple[tuple[str, ...], ...] = ()

    def named_kinds(self, question: str) -> tuple[tuple[str, ...], ...]:
        """The kinds of value the question wants (their words): those it names ("手机上能办不": the
        online channels), or, when it names one the caller cannot use ("要是手机上报不了，还能去哪儿办",
        "他没有智能手机"), the facet's other kinds."""
        ruled_out = self._ruled_out(question)
        if ruled_out:
            return tuple(words for words in self.kinds if words not in ruled_out)
        text = normalize_query(question).lower()
        return tuple(words for words in self.kinds if any(w.lower() in text for w in words))

    def about_words(self) -> tuple[str, ...]:
        """The asking words that name the facet itself, not one kind of its values (渠道, not 线上):
        an entry whose title holds one is about that facet."""
        kind_words = [w for words in self.kinds for w in words]
        return tuple(a for a in self.asks if not any(w in a for w in kind_words))

    def rules_out(self, question: str) -> bool:
        """Whether the question names a kind of value the caller cannot use."""
        return bool(self._ruled_out(question))

    def _ruled_out(self, question: str) -> list[tuple[str, ...]]:
        text = normalize_query(question).lower()
        return [
            words for words in self.kinds if any(_cannot(text, w.lower()) for w in words if w.lower() in text)
        ]


# A kind of value the caller cannot use: "没有智能手机", "不会用手机", "手机上报不了", "窗口去不了".
_CANNOT_BEFORE_RE = re.compile(r"(没有|没|不会用?|不太会用?|用不了)(智能)?$")
_CANNOT_AFTER_RE = re.compile(r"^.{0,4}?(不了|不会|不行|不成|没法|不方便)")


def _cannot(text: str, word: str) -> bool:
    return any(
        _CANNOT_BEFORE_RE.search(text[max(0, m.start() - 5) : m.start()])
        or _CANNOT_AFTER_RE.match(text[m.end() :])
        for m in re.finditer(re.escape(word), text)
    )


@dataclass(frozen=True)
class FacetAnswer:
    """Which entry answers the follow-up, and whether with its points only."""

    doc: Doc | None
    facets: tuple[Facet, ...]
    points_only: bool  # the entry just given: say the asked points, not the whole answer again
    sentences: tuple[str, ...] = ()  # a follow-up by qualifier: the sentences that name it


@lru_cache(maxsize=1)
def facets() -> tuple[Facet, ...]:
    raw = yaml.safe_load((DATA_DIR / "facets.yaml").read_text(encoding="utf-8"))
    return tuple(
        Facet(
            key,
            spec["label"],
            tuple(spec["asks"]),
            tuple(re.compile(e) for e in spec.get("evidence", ())),
            tuple(tuple(words) for words in (spec.get("kinds") or {}).values()),
        )
        for key, spec in raw.items()
    )


def asked_facets(question: str) -> list[Facet]:
    """The facets a question asks for, in the order the caller named them."""
    lowered = normalize_query(question).lower()
    taken = [False] * len(lowered)
    first: dict[str, tuple[int, Facet]] = {}
    # Longest words first: 到哪 inside 打到哪 (where the money goes) or 办到哪 (where it stands) is
    # part of that longer word, not a question about the channel.
    asks = sorted(((a.lower(), f) for f in facets() for a in f.asks), key=lambda p: -len(p[0]))
    for word, facet in asks:
        for m in re.finditer(re.escape(word), lowered):
            if any(taken[m.start() : m.end()]):
                continue
            taken[m.start() : m.end()] = [True] * len(word)
            if facet.key not in first or m.start() < first[facet.key][0]:
                first[facet.key] = (m.start(), facet)
    return [f for _, f in sorted(first.values(), key=lambda pair: pair[0])]


# Words of a follow-up that carry no content of their own.
_FILLER_RE = re.compile(
    r"那么|那个|这个|还有|另外|要是|如果|的话|请问|我想|想问|问下|问一下|俺|我|咱|您|你|他|她|"
    # Verbs of doing it and the question words ("能弄不，用啥弄"): no matter of their own.
    r"什么|啥|用(?=什么|啥)|[弄搞整办]|"
    r"[那还要得能会可以是的了吗呢啊呀吧嘛哦哈不没有去在到上就再也都个儿些点下]|[^\u4e00-\u9fff]"
)


def residual(question: str, asked: Sequence[Facet]) -> str:
    """What a follow-up says besides its facet words and fillers (empty for "那要带啥材料？")."""
    text = normalize_query(question)
    for facet in asked:
        for word in sorted(facet.asks, key=len, reverse=True):
            text = text.replace(word, "")
    return _FILLER_RE.sub("", text)


@lru_cache(maxsize=1)
def qualifiers() -> tuple[str, ...]:
    return tuple(read_lines(DATA_DIR / "qualifiers.txt"))


def named_qualifiers(question: str) -> tuple[str, ...]:
    """The qualifiers (knowledge/data/qualifiers.txt) the words name: "我是退休职工" -> 退休, 职工."""
    text = normalize_query(question)
    return tuple(q for q in qualifiers() if q in text)


def qualified_sentences(doc: Doc, question: str) -> tuple[str, ...]:
    """The entry's sentences naming a qualifier the follow-up names ("退休" -> the retirees' rate)."""
    named = named_qualifiers(question)
    if not named:
        return ()
    sentences = [s.strip().rstrip("。；;") for s in _SENTENCE_RE.findall(doc.answer)]
    return tuple(_narrowed(s, named) for s in sentences if s and any(q in s for q in named))


_CLAUSE_RE = re.compile(r"[^，,]+")


def _narrowed(sentence: str, named: Sequence[str]) -> str:
    """A sentence that lists groups clause by clause ("在职职工…72%，退休职工…81%，居民医保…50%")
    narrowed to the clauses that name most of the groups said ("我是退休职工": the retirees' clause;
    "职工呢": both workers' clauses); the lead-in before a colon stays. A sentence with a clause
    that names no group is no such list and is kept whole."""
    head, colon, body = sentence.rpartition("：")
    clauses = [c.strip() for c in _CLAUSE_RE.findall(body) if c.strip()]
    if len(clauses) < 2 or not all(any(q in c for q in qualifiers()) for c in clauses):
        return sentence
    scores = [sum(q in c for q in named) for c in clauses]
    kept = [c for c, n in zip(clauses, scores, strict=True) if n and n == max(scores)]
    return head + colon + "，".join(kept) if kept and len(kept) < len(clauses) else sentence


def new_terms(question: str, previous: Doc) -> list[str]:
    """Domain terms of the question that the previous entry never mentions (a new topic)."""
    return missing_terms(question, previous)


def statement(doc: Doc, facet: Facet) -> str:
    """What an entry says on a facet: its point, else the first answer sentence showing it, else ""."""
    point = doc.points.get(facet.key, "").strip()
    if point:
        return point.rstrip("。")
    for sentence in _SENTENCE_RE.findall(doc.answer):
        if any(e.search(sentence) for e in facet.evidence):
            return sentence.strip().rstrip("。；;")
    return ""


def _states(doc: Doc, facet: Facet) -> bool:
    return bool(statement(doc, facet))


def resolve(
    docs: Iterable[Doc],
    previous: Doc,
    asked: Sequence[Facet],
    *,
    region_ok: Callable[[str | None], bool] | None = None,
    question: str = "",
) -> FacetAnswer:
    """The entry of the previous entry's topic that states most of the asked facets.

    The previous entry wins ties (its points are said alone); a sibling must be of the same topic
    and of the same region, a rule for everyone, or a region ``region_ok`` accepts (the caller's).
    When the ``question`` names a kind of value ("手机上能办不": an online channel), an entry whose
    statement names that kind counts one more: a sibling that lists the app beats one that does not.
    """
    if not asked:
        raise ValueError("asked must name at least one facet")
    asked = tuple(asked)
    named = [(f, kinds) for f in asked if (kinds := f.named_kinds(question))]
    # "要是手机上报不了，还能去哪儿办": the way offline may be filed under a neighbouring topic of the
    # region (零星报销线下办理 beside 零星报销线上办理).
    family = previous.topic[:4] if previous.region and any(f.rules_out(question) for f in asked) else ""

    about = {f.key: f.about_words() for f in asked}

    def covered(doc: Doc) -> int:
        said = {f.key: statement(doc, f).lower() for f in asked}
        title = doc.title.lower()
        stated = sum(bool(said[f.key]) for f in asked)
        on_facet = sum(bool(said[f.key]) and any(a.lower() in title for a in about[f.key]) for f in asked)
        kind_named = sum(
            any(w.lower() in said[f.key] for words in kinds for w in words) for f, kinds in named
        )
        return stated + on_facet + kind_named

    best, best_count = previous, covered(previous)
    if best_count < 2 * len(asked) + len(named):
        for doc in docs:
            if doc.kind != "entry" or doc.key == previous.key or doc.audience != previous.audience:
                continue
            related = family and doc.region == previous.region and doc.topic.startswith(family)
            if not previous.topic or (doc.topic != previous.topic and not related):
                continue
            if doc.region not in (previous.region, None) and not (region_ok and region_ok(doc.region)):
                continue
            count = covered(doc)
            if count > best_count or (count == best_count and count and best is not previous and doc.region):
                best, best_count = doc, count
    if best_count == 0:
        return FacetAnswer(None, asked, points_only=False)
    return FacetAnswer(best, asked, points_only=best is previous)


def points_text(doc: Doc, asked: Sequence[Facet]) -> str:
    """The asked points of an entry as one spoken sentence (the facets it states)."""
    parts = [f"{f.label}：{statement(doc, f)}" for f in asked if _states(doc, f)]
    return "；".join(parts) + "。"
