"""Every Chinese string a caller or agent sees outside the Rasa domain, under English keys.

Keeping them in one place lets a centre reword its service language without touching code.
"""

from __future__ import annotations

TEXTS: dict[str, str] = {
    # Errors.
    "bad_request": "请求有误，请检查后重试。",
    "invalid_request": "请求格式不正确或缺少必填内容，请检查后重试。",
    "not_found": "没有找到对应的记录，请核对编号后再试。",
    "conflict": "当前状态不允许这个操作。",
    "forbidden": "您没有权限执行这个操作。",
    "unauthorized": "请先登录或提供有效的访问令牌。",
    "unavailable": "服务暂时不可用，请稍后再试。",
    "empty_question": "请说一下您想咨询的医保问题。",
    "question_too_long": "您的问题太长了，请简要说明想办的事或遇到的问题（{limit}字以内）。",
    # Knowledge answers.
    "abstain": (
        "这个问题我暂时没法给您准确答复，为免说错耽误您办事，"
        "可以为您转接人工客服，或者登记工单，由工作人员在规定时限内回复您。"
    ),
    "clarify_region": "这个问题各地政策不一样。请问您的医保是在哪个省、哪个市参保的（参保地）？",
    "clarify_known_regions": "我这里查到的有{regions}等地的规定。",
    "abstain_region": (
        "我这里暂时没有查到{region}在这方面的规定，为免说错耽误您办事，"
        "可以为您转接人工客服，或者登记工单，由工作人员在规定时限内回复您。"
    ),
    "region_note": "（以上是{region}的规定，其他地区请以当地医保部门口径为准。）",
    "no_language": "请用中文说一下您想咨询的医保问题，比如“异地就医怎么备案”。",
    # Work orders (工单).
    "ticket_not_found": "没有找到编号为 {number} 的工单，请核对工单编号后再试。",
    "ticket_lookup_failed": "没有查到对应的工单，请核对工单编号和登记手机号的后四位后再试。",
    "ticket_bad_transition": "工单当前状态为“{from_status}”，不能变更为“{to_status}”。",
    "ticket_use_assign": "变更为“已分派”请使用派单操作，并指定承办科室。",
    "ticket_use_callback": "变更为“已回访”请登记回访结果和满意度。",
    "ticket_comment_required": "变更为“{to_status}”需要填写原因说明。",
    "ticket_unknown_department": "没有名为“{department}”的承办科室，请从科室列表中选择。",
    "ticket_store_busy": "系统繁忙，工单暂未保存成功，请稍后再试。",
    "ticket_escalated": "工单 {number} 已超过办结时限（{due}），优先级已提升为“{priority}”，请督办。",
}


def text(key: str, **fmt: object) -> str:
    """Return the Chinese text for ``key``, formatted; unknown keys fail loudly in tests."""
    template = TEXTS[key]
    return template.format(**fmt) if fmt else template
