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
    # Speech (POST /api/stt, the phone line).
    "bad_audio": "音频无法识别：{reason}。请上传 wav、mp3、amr 或 m4a 格式的录音。",
    "audio_too_large": "音频文件太大，请上传 {limit_mb} MB 以内的录音。",
    "audio_too_long": "录音太长，请上传 {limit_s} 秒以内的录音。",
    "voice_unavailable": "语音识别服务暂时不可用，请稍后再试或拨打人工服务。",
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
    # Chat (web widget, IVR and console through api/services/chat.py).
    "chat_invalid_session": "会话编号不正确，请刷新页面后重新开始。",
    "chat_unknown_session": "没有找到这个会话，请刷新页面后重新开始。",
    "chat_handoff_waiting": "您的对话已转给人工客服，请稍候，坐席会在这里直接回复您。",
    "chat_degraded_note": (
        "（智能对话服务暂时不可用，以上由政策知识库直接答复。）如需登记工单，请留下您的姓名和手机号；"
        "需要人工帮助请说“转人工”。"
    ),
    "chat_degraded_failed": (
        "抱歉，系统暂时出了点问题，没法给您准确答复。如需登记工单，请留下您的姓名和手机号，"
        "工作人员会尽快联系您；也可以稍后再试。"
    ),
    "chat_degraded_ticket": "已为您登记工单，工单编号{number}，联系电话{phone}。工作人员会在{due}前联系您。",
    "chat_degraded_offline": (
        "现在不在人工服务时间（工作日{hours}）。请留下您的姓名和手机号，我们为您登记回电工单，"
        "工作人员会在{promise_hours}小时内给您回电。"
    ),
    "chat_empty_reply": "抱歉，我这边没有生成回复，请再说一遍，或者说“转人工”。",
    # Quality inspection (智能质检).
    "qa_bad_transcript": "通话记录格式不正确，请按质检输入格式（id、channel、agent_id、turns）检查后重试。",
    "qa_result_not_found": "没有找到编号为 {result_id} 的质检结果。",
    "qa_finding_not_found": "没有找到编号为 {finding_id} 的质检项。",
    "qa_bad_report": "报表参数不正确，请检查分组方式（agent、rule、day）和日期范围。",
}


def text(key: str, **fmt: object) -> str:
    """Return the Chinese text for ``key``, formatted; unknown keys fail loudly in tests."""
    template = TEXTS[key]
    return template.format(**fmt) if fmt else template
