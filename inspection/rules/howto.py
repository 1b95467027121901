"""What counts as telling the caller how to proceed: the generic words for materials and
channels, and a time limit the matter is settled in. Shared by 一次性告知 (a point counts as
covered) and 首问负责 (an answer beside a referral is help, not a push away)."""

from __future__ import annotations

import re

from inspection.claims import TIME_UNITS, quantities, split_clauses

GENERIC = {
    "materials": re.compile(r"材料|证件|身份证|社保卡|医保卡|医保码|发票|证明|带上|带着|不用带|不需要带"),
    "channel": re.compile(
        r"公众号|小程序|app|APP|网上|手机|线上|窗口|大厅|服务站|服务点|经办机构|社区|街道|乡镇|网厅|自助|医院|柜台|药店|药房|定点|热线|12393"
    ),
}


# A time limit the agent commits to (3日内反馈, 五个工作日办结), not a wait (过两天再问).
_LIMIT = re.compile(r"内|以内|之内|办结|到账|反馈|出结果|办好")


def gives_howto(text: str) -> bool:
    """Whether an answer tells the caller how to proceed: materials to bring, or a time limit the
    matter is settled in. A referral beside such an answer says where to go, not "ask elsewhere"."""
    if GENERIC["materials"].search(text):
        return True
    return any(
        _LIMIT.search(clause) and any(q.unit in TIME_UNITS for q in quantities(clause))
        for clause in split_clauses(text)
    )
