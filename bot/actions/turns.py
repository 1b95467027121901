"""What a short turn says: a yes, thanks or goodbye, a wish for a person, a look-up, a question.

NLU takes many turns for social ones ("好的，谢谢，再见" for a yes, "我是退休职工" for a greeting);
these readers say what the words themselves carry. Pure functions over the caller's text.
"""

from __future__ import annotations

import re

# Words of a turn that carry no question (greetings, thanks, yes/no, fillers).
SOCIAL_RE = re.compile(
    r"你好|您好|喂|哈喽|在吗|在不在|谢谢|多谢|好的|好嘞|行|嗯|哦|对|是的|可以|没问题|请问|麻烦|问一下|问下|"
    r"[，。,.!！?？~～\s]"
)
# "行不行", "要不要", "批没批": a verb, 不 or 没, the verb again asks as much as a question mark; so do
# Cantonese "可唔可以", "使唔使" (唔 for 不), 咩, 点样, 边度, 係咪, and Shanghainese 伐 at the end.
# (点解 and 有冇 are left out: "点解唔俾我刷", "有冇搞错" protest more often than they ask.)
ASKS_RE = re.compile(
    r"[？?]|吗|么|嘛|不$|没有$|啥|什么|怎么|咋|哪|多少|几|([\u4e00-\u9fff])[不没唔]\1|"
    r"咩|点样|边度|边个|边间|[係系是]咪|伐\W*$"
)


# Words of a look-up of one's own record: a balance, a payment history, a status, what is left.
_RECORD_RE = re.compile(
    r"查|看看|看下|看一下|瞧瞧|余额|记录|明细|流水|还剩|剩(下)?(多少|好多|几多)|还有(多少|好多|几多)|还有钱|钱没|"
    r"划(了|入|进)|能不能用|还能用|能用不|"
    r"(交|缴)(了)?(多少|几|没)|(交|缴)到|年限|断(缴|了|交)|欠费|额度|参保状态|到账(了)?没|(用|报)了(多少|好多|几多)"
)


def asks_for_record(text: str) -> bool:
    """Whether the words ask to look up a record ("我卡里还剩多少", "查下我交到几月了"), rather than a
    question NLU took for one ("我替我爸问一下，…有没有省事点的法子？")."""
    return bool(_RECORD_RE.search(text))


# A document not open to the public (内部文件, 不予公开的稽核要点), asked for in copy or read aloud.
_INTERNAL_DOC_RE = re.compile(
    r"(内部|不对外|不公开|不予公开|没公开|未公开|保密|涉密|机密)[^，。！？,.!?]{0,8}"
    r"(文件|材料|资料|要点|纪要|通知|规定|名单|原文|文档|报告)"
)
_HAND_OVER_RE = re.compile(
    r"给我|发我|发给|念|读|看看|看一下|看下|瞧瞧|提供|复印|拍|传|要一份|弄一份|拿一份|找一份|公开"
)


def asks_internal_document(text: str) -> bool:
    """Whether the caller asks for a document that is not public ("把你们不对外公开的内部文件原文
    给我念一遍"): a clear no and where public documents are, not a complaint form or a miss."""
    found = _INTERNAL_DOC_RE.search(text)
    if found is None:
        return False
    return bool(_HAND_OVER_RE.search(text[: found.start()] + text[found.end() :]))


def asks_something(text: str) -> bool:
    """Whether a turn that NLU took as social (greeting, yes, rating) really asks a question."""
    if not text:
        return False
    rest = SOCIAL_RE.sub("", text)
    return len(rest) >= 5 and bool(ASKS_RE.search(text))


# What a plain "yes" to an offer sounds like; anything left over after removing these is content.
_YES_RE = re.compile(
    r"好的?|好吧|好嘞|行吧?|可以|要的?|需要的?|是的?|对的?|嗯+|中|成|没问题|当然|确定|同意|愿意|麻烦(你|您)?了?|"
    r"那就|那好|来吧|弄吧|整吧|办吧|帮我|请|给我|ok|OK|Ok|yes|对头|要得|可以的|得嘞|"
    r"登记(一下|一个)?吧?|转(人工|过去|一下)?吧?|记(一下)?吧?|"
    r"[啊呀吧呢哈哦噢喔嘛呗的了，。,.!！~～\s]"
)
# Thanks, goodbye, or "I understand now" ("好，明白了", "那我清楚了"): the caller has what they came for.
_CLOSING_RE = re.compile(
    r"谢谢|多谢|感谢|再见|拜拜|不用了|算了|没事了|没别的|就这样|就这些|"
    r"(?<![不没])(明白|清楚|知道|懂|晓得|了解)(了|啦|喽|咯)(?!.*[吗么嘛？?])|辛苦(你|您)(了|啦)|"
    # The caller knows enough now, or will take it from here: "这下心里有数了", "回头有事我再打",
    # "那行，俺回去跟俺娘说".
    r"(?<![不没])有数(了|啦|喽|咯)|心里有底|(回头|改天|过两天|以后|到时候|有事)[^，,。？?]{0,4}再(打|问|来|联系|咨询)|"
    r"(回去|回家)(跟|和|给|同)[^，,。？?]{0,6}(说|讲|商量)(?!.*[吗么嘛？?])"
)
# The caller names the person they want: a human, an agent, someone on the line.
_HUMAN_RE = re.compile(
    r"人工|真人|活人|客服|坐席|接线员|话务员|工作人员|值班(的)?人|专员|(找|跟|和|让|叫)(个|一个)?人(说|问|聊|讲|来)|"
    r"转(接|过去|给人)|有人(接|听|说话)|不(想|要)(跟|和)(机器|你)"
)


def is_clear_yes(text: str) -> bool:
    """ "好的" / "行，登记吧" / "需要": a yes and nothing else (not "好的，谢谢", not "我是退休职工")."""
    if not text or is_closing(text):
        return False
    return _YES_RE.sub("", text).strip() == ""


def accepts(text: str) -> bool:
    """A yes to the pending offer: the button (no text), a plain yes, or a yes and a reason
    ("需要，我爸腿脚不好") that asks nothing new."""
    if not text or is_clear_yes(text):
        return True
    head = _YES_RE.match(text)
    return bool(head and head.group(0).strip()) and not is_closing(text) and not asks_something(text)


def is_closing(text: str) -> bool:
    """Thanks or goodbye ("好的谢谢，再见", "那算了"): the caller ends, they do not accept an offer."""
    return bool(text) and bool(_CLOSING_RE.search(text))


def wants_human(text: str) -> bool:
    """Whether the caller asks for a person, rather than asking a question NLU took for one."""
    if not text:
        return True  # the 转人工 button
    return names_a_person(text) or not asks_something(text)


def names_a_person(text: str) -> bool:
    """Whether the words ask for a person ("转人工", "找个工作人员说") rather than answer a form's
    question that NLU took for such a wish ("陈志强，耳东陈")."""
    return bool(_HUMAN_RE.search(text))
