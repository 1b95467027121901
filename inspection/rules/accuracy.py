"""答得准: the agent's factual statements compared with the knowledge base for the call's topic.

A statement is a number with a unit (20个工作日, 72%, 30元; spoken approximations such as
二十来天 or 大概一个月 are compared in calendar days, see ``claims.agrees``) or a yes/no claim from the rule
set (需要备案 / 不需要备案). Each is aligned with the most similar knowledge-base clause that
makes the same kind of statement and does not concern a different group (省内 vs 跨省, 在职 vs
退休, 职工 vs 居民, 急诊 vs 非急); a different value or polarity is a contradiction, reported
with the entry id.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from inspection.claims import (
    TIME_UNITS,
    Quantity,
    agrees,
    comparable,
    has_figure,
    overlap,
    quantities,
    raised_rates,
    repair_numbers,
    split_clauses,
)
from inspection.context import Context, RawFinding, quote
from inspection.kb import KbFact
from inspection.textmatch import Match, NormText, normalize, normalize_phrase, phrase_codes

# 视同 alone is no exception: "急诊视同备案" is one by 急诊, "去京津看病视同已经备案" is the general rule.
_EXCEPTION = re.compile(r"即使|临时|突发|急诊|急病|急症|来不及|没来得及|忘了|补办|没有办理备案|未备案|没备案")
# "也不是急诊", "没急诊": the caller rules the emergency out, so the call is about planned care.
_NOT_URGENT = re.compile(r"(?:不是|不算|没有?|非)(?:急诊|急病|急症|急救)")
_NEGATION = re.compile(r"不|无需|免|没有|没")
# "再嚷嚷也不会变成六天", "不是三十天": a figure said as what the rule is not is no claim of it.
_DENIED = re.compile(r"(?:不会|不是|不可能|并非|并不是)(?:变成|变为|改成|是|有)?$")
_PROMISE = re.compile(r"工单|回电|回复您|联系您|回访|催办|给您打电话|短信通知|工号")


def qualifiers(text: str) -> dict[str, str]:
    """Which group a statement is about, per family; absent families are unknown."""
    q: dict[str, str] = {}
    if re.search(r"外省|跨省|省外|出省|全国", text):
        q["scope"] = "cross"
    elif "省内" in text:
        q["scope"] = "in"
    if "退休" in text:
        q["status"] = "retired"
    elif "在职" in text:
        q["status"] = "working"
    if "居民" in text or "大学生" in text:
        q["scheme"] = "resident"
    elif "职工" in text:
        q["scheme"] = "employee"
    if "非急" in text or _NOT_URGENT.search(text):
        q["urgency"] = "planned"
    elif re.search(r"急诊|急病|突发|急救", text):
        q["urgency"] = "emergency"
    # Exceptions to a rule (emergencies, forgotten or late filing): a general statement is not
    # contradicted by them, and a statement about the exception is compared with them.
    if _EXCEPTION.search(_NOT_URGENT.sub("", text)):
        q["case"] = "exception"
    if "门诊" in text:
        q["care"] = "outpatient"
    elif "住院" in text:
        q["care"] = "inpatient"
    return q


@dataclass(frozen=True)
class _KbClause:
    fact: KbFact
    rank: int
    text: str
    quals: dict[str, str]


def merged_qualifiers(*texts: str) -> dict[str, str]:
    """Qualifiers of the first text, completed from the following (wider) contexts."""
    q: dict[str, str] = {}
    for text in texts:
        for key, value in qualifiers(text).items():
            q.setdefault(key, value)
    return q


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"[。；;！？!?\n]+", text) if s.strip()]


def shared(clause: str, sentence: str) -> str:
    """The part of a sentence whose groups a clause inherits: the clause and the clauses without a figure.

    A sibling clause with its own figure names its own group (退休人员再提高5个百分点, 居民医保是50%):
    its group words do not spread to the rest of the sentence.
    """
    return "，".join(c for c in split_clauses(sentence) if c == clause or not has_figure(c))


def kb_clauses(fact: KbFact, rank: int) -> list[_KbClause]:
    """Clauses of an entry's answer and points; each inherits the groups named in its sentence."""
    title = str(getattr(fact, "title", "") or "")
    points = tuple(str(v) for v in (fact.points or {}).values())
    return [_KbClause(fact, rank, text, dict(q)) for text, q in _clause_groups(title, fact.answer, points)]


@lru_cache(maxsize=1024)
def _clause_groups(
    title: str, answer: str, points: tuple[str, ...]
) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """(clause, groups) of an entry, computed once per entry text (entries recur from call to call)."""
    out = []
    for sentence in _sentences(answer):
        for clause in split_clauses(sentence):
            out.append((clause, merged_qualifiers(clause, shared(clause, sentence), title)))
    # A point value is a fragment (无需备案): it is about what the entry as a whole is about.
    whole = "，".join(shared("", s) for s in _sentences(answer))
    for value in points:
        for clause in split_clauses(value):
            out.append((clause, merged_qualifiers(clause, shared(clause, value), title, whole)))
    return tuple((clause, tuple(q.items())) for clause, q in out)


_PLACE = re.compile(r"([\u4e00-\u9fff]{2})(?:省|市|县|区)")


def about_this_call(ctx: Context, clause: str) -> bool:
    """A clause naming places (瑞安市 in a list of examples) counts only when the call names one of them."""
    stems = [m.group(1) for m in _PLACE.finditer(clause)]
    return not stems or any(stem in ctx.all_text for stem in stems)


def compatible(a: dict[str, str], b: dict[str, str]) -> bool:
    """Whether statements about groups ``a`` (agent) and ``b`` (knowledge base) concern the same case."""
    if b.get("case") == "exception" and a.get("case") != "exception":
        return False
    return all(b.get(k, v) == v for k, v in a.items())


def _literal(m: Match, norm: NormText) -> bool:
    """Whether a match holds the phrase's own characters in order (fillers between them allowed)."""
    said = iter(norm.chars[m.start : m.end])
    return all(ch in said for ch in normalize_phrase(m.phrase.replace("*", "")))


def _polarities(ctx: Context, clause: str, written: bool = False) -> list[tuple[str, str]]:
    """(topic, 'positive'|'negative') claims in a clause; a negative phrase hides the positive inside it.

    ``written`` text (the base's) is read by its characters, not by sound: its 就医的备案手续 is no 得备案.
    """
    out = []
    norm = normalize(clause)
    for topic in ctx.ruleset.claims:
        neg = [
            m
            for m in ctx.ruleset.claim_matcher(topic, "negative").find(norm)
            if not written or _literal(m, norm)
        ]
        pos = []
        for m in ctx.ruleset.claim_matcher(topic, "positive").find(norm):
            if written and not _literal(m, norm):
                continue
            if any(n.start <= m.end and m.start <= n.end for n in neg):
                continue
            if _NEGATION.search(norm.chars[max(0, m.start - 8) : m.start]):
                neg.append(m)  # 不用自己去申请: a negation shortly before a positive phrase
                continue
            pos.append(m)
        if neg:
            out.append((topic, "negative"))
        elif pos:
            out.append((topic, "positive"))
    return out


def _kb_polarities(ctx: Context, text: str) -> dict[str, str]:
    """Polarities of a knowledge-base clause, cached per call (the same clauses recur per statement)."""
    cache: dict[str, dict[str, str]] = ctx.memo.setdefault("kb_polarities", {})  # type: ignore[assignment]
    found = cache.get(text)
    if found is None:
        found = dict(_polarities(ctx, text, written=True))
        cache[text] = found
    return found


# What a figure is in a benefit rule: the ceiling (一年最多报, 封顶线) or the deductible (起付线).
# Compared by sound: a recogniser writes 封定 for 封顶.
_ROLES = {
    "ceiling": tuple(phrase_codes(w)[0] for w in "最多 最高 封顶 上限 顶多 不超过".split()),
    "deductible": tuple(phrase_codes(w)[0] for w in "起付 门槛 起报".split()),
}


def roles(text: str) -> set[str]:
    """The roles a text gives its figures (empty when it names none)."""
    codes = normalize(text).codes
    return {name for name, words in _ROLES.items() if any(w in codes for w in words)}


def lead(clause: str, q: Quantity) -> str:
    """The words of a clause between the figure before ``q`` and ``q``: what ``q`` is said about.

    Recognised speech runs a whole rule together (起付标准六百元报百分之七十封定两千元); the
    role of 两千元 is the 封定 just before it, not the 起付 at the start.
    """
    text = repair_numbers(clause)
    end = text.find(q.text)
    if end < 0:
        return clause
    start = 0
    for other in quantities(text):
        at = text.find(other.text)
        if 0 <= at < end:
            start = max(start, at + len(other.text))
    return text[start:end]


def same_role(said: str, candidates: list[_KbClause]) -> list[_KbClause]:
    """The candidates that give their figure the role ``said`` names, when some do (else all)."""
    wanted = roles(said)
    if not wanted:
        return candidates
    matching = [c for c in candidates if roles(c.text) & wanted]
    return matching or candidates


def _best(candidates: list[_KbClause], context: str) -> _KbClause | None:
    if not candidates:
        return None
    scored = [(overlap(c.text, context) - 0.05 * c.rank, -c.rank, c) for c in candidates]
    scored.sort(key=lambda s: (s[0], s[1]), reverse=True)
    score, _, best = scored[0]
    top_rank = min(c.rank for c in candidates)
    if score <= 0 and not (best.rank == top_rank and len([c for c in candidates if c.rank == top_rank]) == 1):
        return None
    return best


def _only_figure(candidates: list[_KbClause], same_kind: Callable[[Quantity], bool]) -> _KbClause | None:
    """The top entry's clause when all its clauses of that kind state one figure (e.g. 30个工作日).

    "开封报销大概十来天" or "要等10个工作日" shares no words with "在30个工作日内办完", but when the
    entry found for the question states a single time limit, that is the figure the statement is about.
    """
    if not candidates:
        return None
    top = min(c.rank for c in candidates)
    clauses = [c for c in candidates if c.rank == top]
    figures = {(x.low, x.top, x.unit) for c in clauses for x in quantities(c.text) if same_kind(x)}
    return clauses[0] if len(figures) == 1 else None


def _raised(fact: KbFact) -> list[Quantity]:
    return raised_rates("，".join([fact.answer, *map(str, (fact.points or {}).values())]))


def check(ctx: Context) -> list[RawFinding]:
    """One finding per agent statement that contradicts the knowledge base (computed once per call)."""
    cached = ctx.memo.get("accuracy")
    if cached is None:
        cached = _contradictions(ctx)
        ctx.memo["accuracy"] = cached
    return list(cached)  # type: ignore[call-overload]


def contradicted_turns(ctx: Context) -> set[int]:
    """Turns with a statement that contradicts the knowledge base."""
    return {i for f in check(ctx) for i in f.turns}


def contradicted_entries(ctx: Context) -> set[str]:
    """Knowledge-base entries some agent statement contradicted."""
    return {f.kb_entry for f in check(ctx) if f.kb_entry}


def caller_durations(ctx: Context, before: int) -> set[tuple[str, float]]:
    """Durations the caller stated as fact (not asked) before turn ``before``: 报上去半个月了还没到.
    Staff repeating one (您报上去半个月，还在时限里面) speak of the caller's case, not of the rule."""
    return {
        (q.unit, q.value)
        for t in ctx.transcript.caller_turns
        if t.index < before
        # A sentence-final 了 ends a statement where recognised speech has no comma (报上去半个月了|还没到)
        for c in (part for clause in split_clauses(t.text) for part in re.split(r"(?<=了)", clause))
        if not re.search(r"[?？吗]|是不是|多久|几", c)
        for q in quantities(c)
        if q.unit in TIME_UNITS
    }


def _contradictions(ctx: Context) -> list[RawFinding]:
    if ctx.kb_lookup is None:
        return []
    out: list[RawFinding] = []
    seen: set[tuple[int, str]] = set()
    for turn in ctx.transcript.staff_turns:
        query = ctx.kb_query(turn)
        clauses = [c for c in split_clauses(turn.text) if not _PROMISE.search(c)]
        claims = [(c, quantities(c), _polarities(ctx, c)) for c in clauses]
        if not any(q or p for _, q, p in claims):
            continue
        facts = ctx.kb_named(query, turn.text)
        if not facts:
            continue
        # The call's own regional rule comes before a national entry that lists other places' figures.
        facts = [f for f in facts if f.region] or facts
        kb = [c for r, f in enumerate(facts) for c in kb_clauses(f, r) if about_this_call(ctx, c.text)]
        sentences = _sentences(turn.text)
        for clause, quants, pols in claims:
            sentence = next((s for s in sentences if clause in s), turn.text)
            quals = merged_qualifiers(clause, shared(clause, sentence), query)
            context = clause + query
            # Time the caller's own case has taken (您这才五个工作日, 已经超过三十个工作日了) is no rule.
            elapsed = bool(ctx.ruleset.matcher("elapsed").find(normalize(clause)))
            for q in quants:
                if q.historical or (turn.index, q.unit + clause) in seen or _DENIED.search(lead(clause, q)):
                    continue
                if q.unit in TIME_UNITS and (
                    elapsed or (q.unit, q.value) in caller_durations(ctx, turn.index)
                ):
                    continue

                # An exact figure is compared with the same unit; a spoken approximation (二十来天,
                # 大概一个月) with any time unit, in calendar days.
                def same_kind(x: Quantity, q: Quantity = q) -> bool:
                    return not x.historical and (comparable(q, x) if q.vague else x.unit == q.unit)

                cands = same_role(
                    lead(clause, q),
                    [k for k in kb if compatible(quals, k.quals) and any(map(same_kind, quantities(k.text)))],
                )
                best = _best(cands, context) or _only_figure(cands, same_kind)
                if best is None:
                    continue
                # Any retrieved entry that states the same value for the same group backs the agent:
                # the entries of one topic often split a rule in parts (自助备案, 自动备案, 急诊视同备案).
                if any(agrees(q, x) for k in cands for x in quantities(k.text) if same_kind(x)):
                    continue
                if q.unit == "percent" and any(
                    agrees(q, x) for f in {id(k.fact): k.fact for k in cands}.values() for x in _raised(f)
                ):
                    continue  # the rate of a group raised by some points (退休人员提高5个百分点)
                seen.add((turn.index, q.unit + clause))
                out.append(
                    RawFinding(
                        "accuracy.contradiction",
                        (turn.index,),
                        (quote(clause),),
                        f"坐席说“{q.label}”，知识库条目 {best.fact.id} 为“{quote(best.text, 60)}”",
                        kb_entry=best.fact.id,
                    )
                )
            for topic, polarity in pols:
                if (turn.index, topic) in seen:
                    continue
                pol_cands: list[tuple[_KbClause, str]] = []
                for k in kb:
                    if not compatible(quals, k.quals):
                        continue
                    kp = _kb_polarities(ctx, k.text)
                    if topic in kp:
                        pol_cands.append((k, kp[topic]))
                best = _best([k for k, _ in pol_cands], context)
                if best is None:
                    continue
                kb_pols = {p for _, p in pol_cands}
                if polarity in kb_pols:
                    continue
                seen.add((turn.index, topic))
                label = ctx.ruleset.claims[topic].label
                said = "需要" if polarity == "positive" else "不需要"
                out.append(
                    RawFinding(
                        "accuracy.contradiction",
                        (turn.index,),
                        (quote(clause),),
                        f"坐席说{said}{label}，知识库条目 {best.fact.id} 为“{quote(best.text, 60)}”",
                        kb_entry=best.fact.id,
                    )
                )
    return out
