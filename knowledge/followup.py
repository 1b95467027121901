"""Turns that lean on the conversation: a region said alone, an elliptical follow-up.

"我是太原的" names a region and asks nothing; "那要带什么材料？" asks about the question before it;
"那医保的热线号码是多少" starts like a follow-up but carries terms of its own.
"""

from __future__ import annotations

import re

from knowledge.regions import RegionTable
from knowledge.textnorm import clean_text, domain_terms, normalize_query

# A follow-up is at most this long (without a 那/还有 start).
FOLLOWUP_MAX_CHARS = 16
_FOLLOWUP_START = (
    "那",
    "那么",
    "那个",
    "这个",
    "还有",
    "另外",
    "那要",
    "那我",
    "要是",
    "如果",
    "还要",
    "还得",
    "那钱",
    "那如果",
)
_REGION_FILLER_RE = re.compile(
    r"(我是|俺是|我在|俺在|在|我们是|参保的|参保|的|人|这边|那边|医保|地方|问一下|俺家|我家|嗯|啊|呀|哦|嘛|呢|吧"
    r"|[^\w]|_)"
)


def without_regions(text: str, table: RegionTable) -> str:
    """``text`` with the regions it names (written or misheard) taken out: what it asks."""
    if found := table.find_all(text):
        names = {n for r in found for n in (r.full_name, r.stem, *r.path.split("/"))}
    else:
        names = {said for _, said in table.find_by_sound(text)}  # a name misheard (昆螟那边)
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, "")
    return text


def region_only(question: str, table: RegionTable) -> bool:
    """True for turns like 我是太原的: a region and nothing else to answer."""
    rest = without_regions(question, table)
    if rest == question:
        return False
    rest = _REGION_FILLER_RE.sub("", rest)
    return len(rest) <= 2


def is_followup(question: str) -> bool:
    """An elliptical question that leans on the previous one (那要带什么材料？)."""
    text = clean_text(question)
    if text.startswith(_FOLLOWUP_START):
        return True
    return len(text) <= 10 and not has_own_terms(text)


def has_own_terms(question: str) -> bool:
    """Whether a question names a domain term (两字以上) of its own, beyond facet and filler words."""
    normalized = normalize_query(clean_text(question))
    return any(term in normalized for term in domain_terms() if len(term) >= 2)


# A clause that only says who the caller is ("俺是上个月刚退休的职工", "我是太原的").
_SELF_RE = re.compile(r"^(我|俺|咱|我们|俺们|咱们)(家)?(是|属于|算是?|现在是)")
_CLAUSE_SPLIT_RE = re.compile(r"(?<=[，,。！!；;\s])")


_WHAT_RE = re.compile(r"啥|什么|几")


def self_only(question: str) -> bool:
    """True for turns that only say who the caller is ("我是退休职工", "我是在职的，单位给交的职工医保"):
    they start by saying so, ask nothing and name one of the groups a rule may single out."""
    from knowledge.facets import asked_facets, named_qualifiers

    text = clean_text(question)
    if not _SELF_RE.match(text) or _ASKS_RE.search(text) or _WHAT_RE.search(text) or asked_facets(text):
        return False
    return bool(named_qualifiers(text))


def asked_clause(question: str) -> str:
    """The question without the clauses before it that only say who the caller is: "俺是上个月刚
    退休的职工 那要带啥材料去不" asks "那要带啥材料去不" of the answer just given."""
    clauses = [c for c in _CLAUSE_SPLIT_RE.split(question.strip()) if c.strip()]
    while len(clauses) > 1 and _SELF_RE.match(clauses[0].strip()):
        clauses.pop(0)
    return "".join(clauses).strip() or question


# A story told before the question: the question is its last sentence that asks something.
STORY_MIN_CHARS = 40
_SENTENCE_RE = re.compile(r"(?<=[。！!？?；;，,\s])")
_ASKS_RE = re.compile(
    r"[？?]|吗|呢|么|多少|(?<![好十])几|怎么|咋|哪|能不能|是不是|有没有|要不要|可不可以|行不|中不|不$"
)


def story_question(question: str) -> str:
    """The question a long story ends with ("……票据都交到医保窗口了，我想问问国家规定手工报销最晚
    多少个工作日得办完？" asks the last part), or "" when the turn is short or has no such part."""
    text = question.strip()
    if len(text) < STORY_MIN_CHARS:
        return ""
    parts = [p.strip() for p in _SENTENCE_RE.split(text) if p.strip()]
    for i in range(len(parts) - 1, 0, -1):
        if _ASKS_RE.search(parts[i]):
            asked = parts[i] if len(parts[i]) >= 8 else parts[i - 1] + parts[i]
            return asked if len(asked) < len(text) else ""
    return ""
