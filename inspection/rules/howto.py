"""What counts as telling the caller how to proceed: the generic words for materials and
channels, and a time limit the matter is settled in. Shared by 一次性告知 (a point counts as
covered) and 首问负责 (an answer beside a referral is help, not a push away)."""

from __future__ import annotations

import re

from inspection.claims import TIME_UNITS, quantities, split_clauses
from inspection.pieces import is_spoken
from inspection.textmatch import normalize, sound_pattern

GENERIC = {
    "materials": re.compile(r"材料|证件|身份证|社保卡|医保卡|医保码|发票|证明|带上|带着|不用带|不需要带"),
    "channel": re.compile(
        r"公众号|小程序|app|APP|网上|手机|线上|窗口|大厅|服务站|服务点|经办机构|社区|街道|乡镇|网厅|自助|医院|柜台|药店|药房|定点|热线|12393"
    ),
}


# A time limit the agent commits to (3日内反馈, 五个工作日办结), not a wait (过两天再问).
_LIMIT = re.compile(r"内|以内|之内|办结|到账|反馈|出结果|办好")


def mentions(key: str, text: str) -> bool:
    """Whether ``text`` names a generic facet word (materials, channel). A channel's name in
    recognised speech is also read by sound (锭店一院 is 定点医院); materials are not: 证明 sounds
    like too many other words (转诊名额)."""
    if GENERIC[key].search(text):
        return True
    sound = sound_pattern(GENERIC[key]) if key == "channel" and is_spoken(text) else None
    return sound is not None and bool(sound.search(normalize(text).codes))


def gives_howto(text: str) -> bool:
    """Whether an answer tells the caller how to proceed: materials to bring, or a time limit the
    matter is settled in. A referral beside such an answer says where to go, not "ask elsewhere"."""
    if mentions("materials", text):
        return True
    return any(
        _LIMIT.search(clause) and any(q.unit in TIME_UNITS for q in quantities(clause))
        for clause in split_clauses(text)
    )


# A how-to question by its shape, whatever the wording: a "how / where" word right before a
# procedure verb (怎么查, 咋报销, 去哪儿交, 在哪开; not 咋报, which asks how much), or "must I go
# back / go there" (非得回…不, 要不要去). 怎么就, 怎么还, 怎么没 ask "how come" and are left out by
# the verb that must follow.
_ASKS_HOWTO = re.compile(
    r"(怎么|咋|如何|怎样|在哪|去哪|到哪|上哪|哪里|哪儿)儿?(去|来|才能|能|可以)?"
    r"(办|弄|整|申请|报销|查|交|缴|领|开|转|备案|操作|续|拿|取|登记|打印|预约|提交|上传|绑定|激活|买)"
    r"|(非得|必须|一定得|一定要|还得|是不是得|是不是要|要不要|用不用)(亲自|本人)?(回|去|跑)"
)


def asks_howto(text: str) -> bool:
    """Whether a caller's words ask how to proceed, by the shape above; recognised speech is also
    read by sound (在哪查 heard as 在哪茶)."""
    if _ASKS_HOWTO.search(text):
        return True
    sound = sound_pattern(_ASKS_HOWTO) if is_spoken(text) else None
    return sound is not None and bool(sound.search(normalize(text).codes))
