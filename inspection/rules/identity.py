"""身份核验: personal data read out before the caller's identity was verified.

Verification means the agent asked for an identity number (身份证号, 社保卡号, 后四位, 验证码)
and the caller gave one, or the agent confirmed a check passed. A caller's name alone is not
verification. When the caller turns to someone else's record (我老伴的), that person must be
verified again.
"""

from __future__ import annotations

import re

from inspection.claims import drop_hours, repair_numbers
from inspection.context import Context, RawFinding, quote
from vocab.numerals import SPOKEN_DIGITS, UNITS

_ID_DIGITS = re.compile(rf"\d{{4,}}|[{SPOKEN_DIGITS}xX]{{4,}}")
_AMOUNT = re.compile(rf"\d|[{SPOKEN_DIGITS}{UNITS}]+(?:块|元|毛|角|个月|月|年|号|天)")
_DONE = ("通过", "无误", "成功", "完成")
# Numbers that are not personal data: work-order, agent and hotline numbers.
_NOT_PERSONAL = re.compile(rf"(工单号?|编号|工号|热线|电话)(码|是|为)?[0-9{SPOKEN_DIGITS}]+|12393|12345")


def check(ctx: Context) -> list[RawFinding]:
    """One finding listing every unverified disclosure."""
    verified = pending = False
    disclosed: list[tuple[int, str]] = []
    for turn in ctx.transcript.turns:
        if turn.speaker == "caller":
            if ctx.find("third_party", turn) and re.search(r"查|看看|问问|的", turn.text):
                verified = pending = False
            if pending and _ID_DIGITS.search(ctx.norm(turn).chars):
                verified, pending = True, False
            continue
        checks = ctx.find("verification", turn)
        if checks:
            if any(any(d in m.evidence or d in turn.text for d in _DONE) for m in checks):
                verified = True
            else:
                pending = True
        if verified:
            continue
        data = ctx.find("personal_data", turn)
        # Opening hours (审批信息一天二十四小时都能查) are no figure of the caller's.
        if data and _AMOUNT.search(_NOT_PERSONAL.sub("", drop_hours(repair_numbers(ctx.norm(turn).chars)))):
            disclosed.append((turn.index, turn.text))
    if not disclosed:
        return []
    return [
        RawFinding(
            "identity.unverified_disclosure",
            tuple(i for i, _ in disclosed),
            tuple(quote(t) for _, t in disclosed),
            "未核验来电人（或被查询人）身份就告知了个人信息",
        )
    ]
