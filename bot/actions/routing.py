"""Routing that needs evidence: a work-order form starts only when the caller wants one.

One weak intent used to be enough to start a form: a plain question about a time limit got the
report form, a question naming an app got "请告诉我工单编号". And complaints phrased as questions
("这也能驳回？还讲不讲理了") were answered as policy or abstained on. The decision here weighs
three signals: the intent ranking (the top work-order intent's confidence and its margin over the
policy intents), the cues of nlu_data/nlu/cues.yml (the same regexes Rasa uses as features), and
the knowledge base's own answer to the words. A confident policy match outranks a weak complaint
intent; a cue of indignation, fraud, theft or a chase-up outranks a policy intent the knowledge
base cannot answer; only a real tie asks the caller which one they want.

Pure functions: the actions pass the tracker's values in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.actions import names
from bot.actions.turns import ASKS_RE, SOCIAL_RE, asks_internal_document, asks_something, is_closing
from knowledge.facets import asked_facets
from knowledge.textnorm import normalize_query, repair_by_sound

CUES_FILE = Path(__file__).resolve().parents[2] / "nlu_data" / "nlu" / "cues.yml"
TICKET_INTENTS = (names.COMPLAIN, names.REPORT_FRAUD, names.REQUEST_CALLBACK, names.NOT_HELPFUL)
POLICY_INTENTS = (names.ASK_POLICY, names.INFORM_REGION, names.QUERY_PERSONAL_RECORD, names.OUT_OF_SCOPE)
# Below this, a work-order intent alone (no cue, no knowledge answer) is a tie: ask the caller.
WEAK_TICKET = 0.5
# A policy question the knowledge base cannot answer, with this much work-order intent beside
# it, is a complaint phrased as a question (opens the form); half of it is a tie.
TICKET_BESIDE_POLICY = 0.25
# The grievance score (bot/actions/grievance.py) that opens the form for words the knowledge base
# does not answer: when it abstains, when it only asks for the region, and when the words ask in
# general ("要是……一般咋处理", "啥叫骗保") rather than tell what happened. Below the veto, a complaint
# or report cue word in a question is vocabulary, not a grievance ("定点医院可以拒收医保病人吗？").
GRIEVANCE_MISS = 0.55
GRIEVANCE_CLARIFY = 0.6
GRIEVANCE_GENERAL = 0.8
GRIEVANCE_VETO = 0.3
# A request to look into an event the knowledge base has no answer for ("能不能来人查一下").
GRIEVANCE_INVESTIGATE = 0.4
# Words that tell of no one's case ("住院的伙食费医保给不给报？") need this much to be a grievance.
GRIEVANCE_UNCLAIMED = 0.7
# Fewer characters than this carry too little to tell a grievance ("就那个事").
GRIEVANCE_MIN_CHARS = 8
# A turn NLU took as social carries a matter of its own from this many characters beyond the social words.
MATTER_MIN_CHARS = 14
# Cue words a speech recogniser writes with other characters of the same sound (到刷, 骗宝, 需开):
# the cues are matched on the words as typed and on the words repaired by sound towards these
# and the domain terms (医保码 for 一保码), with dialect wording made standard (俾人用咗 -> 被人用了).
CUE_SOUND_TERMS = ("盗刷", "骗保", "虚开", "套现", "冒用", "挂床")
# A "clause" this long is a recogniser's run-on text without punctuation, not one question: its
# cue words are repaired by sound even though it asks ("…是不是被到刷了你们帮我查查").
RUN_ON_CHARS = 30
# Cues of a grievance that a question may use as vocabulary ("举报骗保打什么电话"); indignation
# ("凭啥我们这儿就不行") is never a question about a facet.
GRIEVANCE_CUES = frozenset({"complaint_cue", "indignation_cue", "report_cue"})
# Cues that open a work order whatever else the words ask.
ACT_NOW_CUES = frozenset({"theft_cue", "chase_cue", "unhelpful_cue"})


@dataclass(frozen=True)
class Route:
    """What to do with a turn: ``ticket`` (with its reason), ``answer``, ``status``, ``confirm`` or
    ``close`` (the caller is done: "好，明白了")."""

    action: str
    reason: str = ""
    why: str = ""


@lru_cache(maxsize=1)
def _cues() -> dict[str, re.Pattern[str]]:
    raw = yaml.safe_load(CUES_FILE.read_text(encoding="utf-8"))
    table: dict[str, re.Pattern[str]] = {}
    for item in raw.get("nlu") or []:
        if "regex" not in item:
            continue
        patterns = [line[2:].strip() for line in str(item["examples"]).splitlines() if line.startswith("- ")]
        table[str(item["regex"])] = re.compile("|".join(f"(?:{p})" for p in patterns))
    return table


def cues(text: str) -> set[str]:
    """Names of the cues (complaint, report, theft, chase, unhelpful, status) in ``text``, as typed
    or as meant: repaired by sound and with dialect wording made standard."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    compact = re.sub(r"\s+", "", text)
    heard = _heard(compact)
    return {name for name, pattern in _cues().items() if pattern.search(compact) or pattern.search(heard)}


def _heard(text: str) -> str:
    """The words as meant: dialect made standard, domain terms and cue words repaired by sound.

    A clause that asks keeps its words: "这个药需开处方吗" needs a prescription (需开), while
    "诊所需开药单刷医保" tells of 虚开 (and so does a long run-on of recognised speech).
    """
    clauses = re.split(r"(?<=[,.!?;，。！？；])", normalize_query(text))
    return "".join(
        c if ASKS_RE.search(c) and len(c) <= RUN_ON_CHARS else repair_by_sound(c, CUE_SOUND_TERMS)
        for c in clauses
    )


def ticket_reason(intent: str | None, found: set[str]) -> str:
    """Why a work order opens (a key of bot/actions/tickets.REASONS), from cues first."""
    if "theft_cue" in found:
        return "stolen_card"
    if "report_cue" in found or intent == names.REPORT_FRAUD:
        return "report"
    if found & {"complaint_cue", "indignation_cue"} or intent == names.COMPLAIN:
        return "complaint"
    if "chase_cue" in found:
        return "chase"
    if "unhelpful_cue" in found:
        return "unresolved"
    if intent == names.REQUEST_CALLBACK:
        return "callback"
    return "unresolved"


def _no_grievance() -> float:
    return 0.0


def _vocabulary_only(text: str, grievance: Callable[[], float]) -> bool:
    """A question whose complaint words are vocabulary: asked in general ("要是碰上多收钱，一般找谁")
    about no one's case, or with one but without a strong grievance; or about no one's case and
    without even a weak grievance."""
    if asks_in_general(text):
        return not _claims(text) or grievance() < GRIEVANCE_GENERAL
    if _ALLOWED_RE.search(text) and not _claims(text) and not _WHEN_RE.search(text):
        return True  # "药店能不能拒收医保卡，这样算不算违规": a practice, no one's case
    return not _claims(text) and grievance() < GRIEVANCE_VETO


def _claims(text: str) -> bool:
    """Whether the words tell of the caller's own case; "俺听说", "我想问" only frame a question."""
    return bool(_CLAIM_RE.search(_FRAME_RE.sub("", text)))


def asks_in_general(text: str) -> bool:
    """Whether the words ask in general ("要是……一般找谁", "工单是个啥"); "帮我妈问问" before a story
    only says who the caller speaks for."""
    return bool(_GENERAL_RE.search(_PROXY_RE.sub("", text)))


def grievance_opens(text: str, kb_kind: str | None, score: float, *, intent: str | None = None) -> bool:
    """Whether a grievance score opens the form for words the knowledge base met with ``kb_kind``.

    A confident answer is never overruled (a policy question in complaint words gets its answer);
    an abstention or a region question is, when the words sound enough like a grievance.
    """
    if kb_kind not in ("abstain", "clarify_region", None):
        return False
    if len(re.sub(r"[\W_]", "", text)) < GRIEVANCE_MIN_CHARS:
        return False
    if _FOLLOW_UP_RE.search(text) and ASKS_RE.search(text):
        return False  # "那我自己掏的那部分钱咋付": a question on what was just said, not a grievance
    needed = GRIEVANCE_MISS if kb_kind != "clarify_region" else GRIEVANCE_CLARIFY
    # "帮我挂个号" asks a service of us; "帮我妈问问" speaks for someone's case.
    claimed = _claims(_SERVICE_ASKED_RE.sub("", text))
    if not claimed and _PROCESS_RE.search(text):
        return False  # a question about the process with no case in it ("匿名反映问题行不行")
    if asks_in_general(text):
        return score >= GRIEVANCE_GENERAL
    if _INVESTIGATE_RE.search(text) and intent != names.OUT_OF_SCOPE:
        # Someone asked to look into what happened ("你们给额查一哈", "能不能来人查一下"): a weaker
        # grievance is enough, whoever's case it is.
        return score >= GRIEVANCE_INVESTIGATE
    if not claimed or intent == names.OUT_OF_SCOPE:
        # No one's case, or a request for another service ("帮我挂个明天的专家号"): only a clear grievance.
        needed = max(needed, GRIEVANCE_UNCLAIMED)
    return score >= needed


def _top(ranking: Sequence[Mapping[str, object]], group: Sequence[str]) -> float:
    return max((float(str(r.get("confidence") or 0)) for r in ranking if r.get("name") in group), default=0.0)


def act_now(intent: str | None, found: set[str], text: str = "") -> Route | None:
    """The work order that cues of a theft, a chase-up or "你说的不管用" open at once, else None.

    A theft only feared, of no one's card ("医保基金会不会被人挪用"), is a question, not a theft.
    """
    if found == {"theft_cue"} and _FEARED_RE.search(text) and not _claims(text):
        return None
    return Route("ticket", ticket_reason(intent, found), "cue") if found & ACT_NOW_CUES else None


def route_cues(
    intent: str | None,
    text: str,
    *,
    kb_kind: Callable[[], str | None],
    grievance: Callable[[], float] = _no_grievance,
) -> Route | None:
    """What the cues alone decide for any typed turn, or None when they leave it open.

    A theft, a chase-up or "你说的不管用" opens its order at once. Indignation and reports open one unless the
    caller asks a facet (how, where, how long) that the knowledge base can answer: "举报骗保打什么
    电话" is a question about the channel, "凭什么不给报" is a complaint.
    """
    found = cues(text) if text else set()
    urgent = act_now(intent, found, text)
    if urgent is not None:
        return urgent
    if found & GRIEVANCE_CUES:
        # Only a question asks a facet: "医院乱收费，我要举报" names 收费 but asks nothing.
        facet = "indignation_cue" not in found and ASKS_RE.search(text) and asked_facets(text)
        if facet and not _claims(text) and _PROCESS_RE.search(text):
            # How the complaint process works, asked with no case of the caller's own ("老百姓总投诉
            # 乱收费，你们一年查几回", "反映的问题多久有结果"): the answer, or an honest miss, not a form.
            return Route("answer", why="asks_facet_without_case")
        if facet and kb_kind() in ("answer", "clarify_region"):
            return Route("answer", why="asks_facet_kb_confident")
        if ASKS_RE.search(text) and _vocabulary_only(text, grievance):
            return Route("answer", why="cue_word_in_a_question")
        return Route("ticket", ticket_reason(intent, found), "cue")
    return None


def route_ticket_intent(
    intent: str | None,
    ranking: Sequence[Mapping[str, object]],
    text: str,
    *,
    kb_kind: Callable[[], str | None],
    grievance: Callable[[], float] = _no_grievance,
) -> Route:
    """A turn classified as complaint, report, callback or not-helpful: form, answer or ask.

    The classifier's confidences are near 1.0 for almost every turn (DIET's softmax), so the
    intent alone is weak evidence: without a cue, a question the knowledge base can answer is
    answered, and only a turn it cannot answer opens the form.

    Args:
        kb_kind: asks the knowledge base what it would do with the words (answer,
            clarify_region, abstain); called only when the other evidence leaves it open.
    """
    if not text:
        return Route("ticket", ticket_reason(intent, set()), "button")
    by_cue = route_cues(intent, text, kb_kind=kb_kind, grievance=grievance)
    if by_cue is not None:
        return by_cue
    if asks_internal_document(text):
        return Route("answer", why="internal_document")  # a clear no, not a complaint form
    if is_closing(text) and not asks_something(text) and not cues(text):
        return Route("close", why="closing")  # "好，那我清楚了" taken for a callback or "not helpful"
    ticket = _top(ranking, TICKET_INTENTS)
    policy = _top(ranking, POLICY_INTENTS)
    asks = bool(ASKS_RE.search(text))
    if (
        intent == names.REQUEST_CALLBACK
        and ticket >= WEAK_TICKET
        and ("callback_cue" in cues(text) or not asks)
    ):
        return Route("ticket", ticket_reason(intent, set()), "service_request")
    known = kb_kind()
    if grievance_opens(text, known, grievance()):
        return Route("ticket", ticket_reason(intent, set()), "grievance")
    if known in ("answer", "clarify_region"):
        return Route("answer", why="kb_confident")
    if asks:  # a question that does not sound like a grievance: not known is an honest miss
        return Route("answer", why="question_without_cue")
    if _SERVICE_ASKED_RE.search(text) and not _CLAIM_RE.search(_SERVICE_ASKED_RE.sub("", text)):
        return Route("answer", why="service_asked")  # "帮我挂个专家号": another service, no grievance
    if ticket >= WEAK_TICKET and ticket - policy >= 0.2:
        return Route("ticket", ticket_reason(intent, set()), "intent")
    return Route("confirm", ticket_reason(intent, set()), "tie")


def route_policy_miss(
    intent: str | None,
    ranking: Sequence[Mapping[str, object]],
    text: str,
    *,
    kb_kind: str = "abstain",
    grievance: Callable[[], float] = _no_grievance,
) -> Route:
    """A policy (or unclassified) turn the knowledge base did not answer (``kb_kind`` abstain) or
    only asked the region for (clarify_region): a complaint, or a miss."""
    found = cues(text) if text else set()
    if found & (GRIEVANCE_CUES | ACT_NOW_CUES):
        return Route("ticket", ticket_reason(intent, found), "cue")
    # A question about a service ("有没有人能上门给办医保业务的？") is no request to be called back.
    asked_only = bool(text) and bool(ASKS_RE.search(text)) and "callback_cue" not in found
    intents = tuple(i for i in TICKET_INTENTS if not (asked_only and i == names.REQUEST_CALLBACK))
    ticket = _top(ranking, intents)
    best = max(
        (r for r in ranking if r.get("name") in intents),
        key=lambda r: float(str(r.get("confidence") or 0)),
        default=None,
    )
    runner = str(best.get("name")) if best else None
    if grievance_opens(text, kb_kind, grievance(), intent=intent):
        return Route("ticket", ticket_reason(runner, found), "grievance")
    if kb_kind == "clarify_region":
        return Route("answer", why="regional_rule")
    if asks_in_general(text):
        return Route("answer", why="asked_in_general")  # the intent alone is weak: a rule asked, a miss
    if ticket >= TICKET_BESIDE_POLICY:
        return Route("ticket", ticket_reason(runner, found), "intent_beside_policy")
    if ticket >= TICKET_BESIDE_POLICY / 2:
        return Route("confirm", ticket_reason(runner, found), "tie")
    return Route("answer", why="no_ticket_evidence")


def route_status(text: str, *, kb_kind: Callable[[], str | None]) -> Route:
    """A turn classified as a work-order status query: the status form, a chase-up, or an answer."""
    found = cues(text) if text else set()
    if not text or "status_cue" in found:
        return Route("status", why="status_cue" if text else "button")
    if found & {"chase_cue", "complaint_cue", "indignation_cue"}:
        return Route("ticket", ticket_reason(None, found), "cue")
    if asks_internal_document(text):
        return Route("answer", why="internal_document")
    if kb_kind() in ("answer", "clarify_region"):
        return Route("answer", why="kb_confident")
    if ASKS_RE.search(text) and _DEFINITION_RE.search(text):
        return Route("answer", why="asks_what_it_is")  # "你们老说的工单是个啥？"
    if ASKS_RE.search(text) and not (_CASE_RE.search(text) and _claims(text)):
        # "医保热线是几号来着？", "举报后能查进度不？" ask about no case of theirs: answered or missed.
        return Route("answer", why="question_without_case")
    return Route("status", why="intent")


# Words that point at the caller's own case (a status query without the word 工单).
_CASE_RE = re.compile(
    r"工单|单号|编号|反映|投诉|举报|登记|申请|提交|报上去|交上去|办的|报的|催|受理|回复|答复|进度|结果|办到|到哪|"
    r"(我|俺|咱)(家)?(那个|那件|这个|的|上次的?)(事|事儿|事情)"
)


# Words that ask what a thing is ("啥叫挂床", "工单是个啥？").
_DEFINITION = (
    r"啥叫|什么叫|是指|指的是|什么意思|啥意思|"
    r"(是|叫)(个)?(啥|什么)(东西|玩意儿?)?(啊|呀|哦|嘛|呢)?([？?]|$)"
)
_DEFINITION_RE = re.compile(_DEFINITION)
# Words that ask in general ("要是……", "一般咋处理", "啥叫……") rather than tell what happened.
_GENERAL_RE = re.compile(
    r"要是|如果|假如|万一|一般|通常|算不算|怎么算|咋算|界定|"
    r"了解|问问|问一下|问一哈|问下|请问|(先)?(问|弄|搞)(清楚|明白)(了)?再|"
    # The rule itself asked: "有没有个标准", "规定到底咋样", "合不合法".
    r"有没有(个|这个|这种|啥|什么)?(要求|规定|标准|说法)|(要求|规定|标准)(有)?没有|是不是有(个|这个|这种)?(规定|要求|说法)|"
    # Where the rule comes from ("这规矩是哪一级定的"), whether a story heard is true ("这是真的假的").
    r"(规矩|规定|政策)(是)?(谁|哪一?级|哪个部门|哪里|哪儿)(定|出|规定|制定)的|真的假的|是真是假|"
    # Asked before anything happened: "我还没去看病，就想先弄明白".
    r"(先|提前)(问|弄|搞)(清楚|明白)|"
    r"(规定|标准)(到底|究竟)?(是)?(怎么样|咋样|怎样|啥|什么|多少|咋说|怎么说)|合不合(法|规)|违不违(法|规)|"
    # A procedure asked how to do ("这卡要怎么挂失"): a question about the process, not a grievance.
    r"(怎么|咋|如何|怎样)(去|才能|能)?(挂失|补办|补卡|换卡|办理|缴费|续保|参保|开通|激活|解绑|绑定|注销)|"
    r"会(怎么|咋)(处理|办)|怎么处理|咋处理|"
    # Whether the insurance, or the place the rule names, covers a thing ("这钱医保管不管", "给不给报",
    # "就医地审核，参保地还管不管"): the rule, not a grievance.
    r"(医保|统筹|个账|参保地|就医地)(还|也)?(管不管|管不|给不给报|给报不|报不报|能不能报|包不包)|给不给报|能不能报销|"
    + _DEFINITION
)
# "帮我妈问问", "替我闺女问的": who the caller speaks for, not a question in general.
_PROXY_RE = re.compile(
    r"(帮|替|给|代)(我|俺)?(家)?[^，,。？?！!]{0,4}问(问|一下|一哈|下|的)?|"
    # "你们去问问": a request to act on the case, not a question in general.
    r"(你们|你)(去|给|帮)?(我|俺)?(问问|问一下|问一哈|查查|查一下)"
)
# "帮我挂", "给我查": the caller asks a service, the 我 tells no case.
_SERVICE_ASKED_RE = re.compile(r"(帮|给|替)(我|俺)(?=(挂|约|预约|查|办|开|买|找|改|弄|问))")
# Words that name the complaint process itself (a question about it is no grievance without a case).
_PROCESS_RE = re.compile(r"投诉|举报|反映|工单|登记|留名|实名|匿名|回访|差评|好评")
# Words that tell what happened to the caller (or someone they speak for): a claim, not a question
# (额滴/额的: 我的 in north-western speech).
_CLAIM_RE = re.compile(
    r"我|俺|咱|阿拉|额(滴|的|家)|老伴|媳妇|老婆|老公|闺女|儿子|上次|上回|之前|前几天|上周|上个月|去年|"
    # When it happened tells that it did: "今朝去医保中心排了两个钟头", "刚才窗口的人说".
    r"今朝|昨天|昨儿|前天|刚才|刚刚"
)
# Whether a practice is allowed ("这种做法合规吗", "是上头允许哩不是"): a question in general unless
# the caller tells their own case (then "这合法吗" is indignation about it).
_ALLOWED_RE = re.compile(
    r"(合规|合法|违规|违法)(吗|不|么|嘛)|允许(的|哩|滴)?(吗|不|么|嘛)|允不允许|让不让|准不准|"
    r"(算不算|是不是)(违规|违法|乱收费)|(这种|这样的?|这类)做法"
)
# A theft feared or asked about, not told: "会不会被人挪用", "万一被盗刷了咋办".
_FEARED_RE = re.compile(r"会不会|会被|万一|防止|如何防|怎么防|咋防|要是")
# A short question that goes on from the last answer ("那要带啥材料", "那我自己掏的钱咋付"); not "那家
# 医院…" or "那个医生…", which name what the caller tells of.
_FOLLOW_UP_RE = re.compile(r"^\W*那(?![家个天次边里会时位些])[^，,。！!]{0,20}$")
# A day or a place that tells of an event even without 我 ("前天在小区门口那家药房……合法吗？").
_WHEN_RE = re.compile(r"前天|昨天|今天|刚才|刚刚|上午|下午|那家|这家")
# "俺听说", "我想问一下": the caller frames a question, which tells no case of theirs.
_FRAME_RE = re.compile(
    r"(我|俺|咱)(听说|听人说|想问|想知道|想了解|问一下|问问|打听)|"
    # Hearsay and what has not happened yet tell no case: "俺听人家说", "我还没去看病".
    r"(我|俺|咱)?听(人家|别人|别个|旁人|邻居|人)说|(我|俺|咱)(还)?没(去|来|住|看|办|交|用)|"
    # Asking to be told: "恁给俺说说".
    r"(给|跟|和)(我|俺|咱)(说说|讲讲|说一下|讲一下|解释解释|解释一下)"
)
# Someone asked to look into an event or to act on it: "你们给额查一哈", "能不能来人查一下",
# "你哋可唔可以去查下", a story ending "你们说咋办".
_INVESTIGATE_RE = re.compile(
    r"(来人|派人|去|给|帮)[^，,。？?！!]{0,2}(查|核实|调查)(一下|一哈|下|查|清楚)|(来人|派人)查|"
    r"(你们|你)(说|看)(这|这事|这个事)?(该)?(咋办|怎么办|咋整|怎么整|咋弄|怎么弄)"
)


def carries_matter(text: str) -> bool:
    """Whether a turn NLU took as social (a greeting, thanks, chit-chat) tells a matter of its own:
    a cue of a complaint, report, theft or chase-up, or a story long enough to be one
    ("早上收到短信说我的医保卡在药店刷了三百多，可我人在外地出差啊")."""
    if not text or is_closing(text):
        return False
    if cues(text) - {"callback_cue", "status_cue"}:
        return True
    return len(SOCIAL_RE.sub("", text)) >= MATTER_MIN_CHARS
