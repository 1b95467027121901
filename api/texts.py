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
    "db_not_durable": "数据库设置 {setting} 不安全：服务器崩溃时最近已确认的来电记录可能丢失，请改回默认值。",
    "body_too_large": "提交的内容太大，请控制在 {limit_kb} KB 以内。",
    "rate_limited": "您的操作太频繁了，请 {seconds} 秒后再试。",
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
    # Said on the phone too (no brackets, which the voice drops): the rule's date is part of the answer.
    "stale_note": "以上为{date}的规定，请以最新政策为准。",
    "facet_points": "关于{title}，{points}",
    "facet_not_stated": "{labels}方面，我这里的资料没有写到，建议以经办机构的答复为准。",
    "facet_missing": (
        "关于{title}的{labels}，我这里的资料没有写到，为免说错耽误您办事，"
        "可以为您转接人工客服，或者登记工单，由工作人员核实后回复您。"
    ),
    "no_language": "请用中文说一下您想咨询的医保问题，比如“异地就医怎么备案”。",
    # Speech (POST /api/stt, the phone line).
    "bad_audio": "音频无法识别：{reason}。请上传 wav、mp3、amr 或 m4a 格式的录音。",
    "audio_too_large": "音频文件太大，请上传 {limit_mb} MB 以内的录音。",
    "audio_too_long": "录音太长，请上传 {limit_s} 秒以内的录音。",
    "voice_unavailable": "语音识别服务暂时不可用，请稍后再试或拨打人工服务。",
    # Phone calls in the conversation store (agent workspace, dashboard).
    "call_started": "电话接入，来电号码：{caller}",
    "call_key": "按键 {digit}",
    "call_barge_in": "来电人打断了播报",
    "call_no_input": "来电人没有说话",
    "call_callback_ticket": "已登记回电工单 {ticket_id}",
    "call_transfer": "转接人工客服",
    "call_hangup": "助手结束通话",
    "call_ended": "通话结束（{outcome}），时长 {seconds} 秒",
    "call_outcome_transfer": "转人工",
    "call_outcome_goodbye": "正常结束",
    "call_outcome_callback": "已登记回电",
    "call_outcome_hangup": "来电人挂机",
    "call_outcome_in_progress": "未结束",
    "call_unknown_caller": "未知",
    # Why a conversation was handed to a human (hand-off queue; ``handoff_reason_<code>``). The codes
    # come from bot/actions (handoff_events), the chat fallback and voice/ivr.py (Transfer).
    "handoff_reason_caller_request": "来电人要求转人工",
    "handoff_reason_anger": "来电人情绪激动",
    "handoff_reason_repeated_failure": "机器人多次未能解答",
    "handoff_reason_low_confidence": "机器人无法确认答案",
    "handoff_reason_caller_pressed_0": "来电人按 0 转人工",
    "handoff_reason_caller_asked_for_human": "来电人说要转人工",
    "handoff_reason_dialogue_handoff": "机器人对话中转人工",
    "handoff_reason_misrecognised": "多次没听清来电人",
    "handoff_reason_dialogue_error": "对话服务出错，直接转人工",
    "handoff_reason_lines_busy": "语音线路已满，直接转人工",
    "handoff_reason_call_too_long": "通话时间过长",
    "handoff_reason_max_turns": "对话轮次过多",
    "handoff_reason_callback_failed": "回电工单登记失败",
    "handoff_reason_other": "其他原因转人工",
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
    # Chat (web widget, IVR and console through api/services/conversations).
    "chat_invalid_session": "会话编号不正确，请刷新页面后重新开始。",
    "chat_unknown_session": "没有找到这个会话，请刷新页面后重新开始。",
    "chat_handoff_waiting": "您的对话已转给人工客服，请稍候，坐席会在这里直接回复您。",
    "chat_agent_joined": "人工客服{agent}已接入，正在为您服务。",
    "chat_agent_left": "人工客服{agent}已结束服务，接下来由智能助手继续为您解答。",
    "chat_agent_default": "坐席",
    "chat_ticket_merged": (
        "您反映的这件事已有一张未办结的工单，编号{number}。您这次说的情况已补充到这张工单里，"
        "工作人员会在{due}前按电话{phone}联系您，不用重复登记。"
    ),
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
    # Database down: the request waits in the durable outbox (api/services/outbox.py).
    "chat_queued_ticket": (
        "系统正在恢复，您的诉求已经记录下来，临时受理号{ref}。系统恢复后会正式登记为工单，"
        "工作人员会在{hours}小时内按您留的电话{phone}回电，请您放心。"
    ),
    "chat_queued_handoff": (
        "系统正在恢复，您的转人工请求已经记录（临时受理号{ref}），请稍候；坐席暂时接不上时，我们会尽快回电。"
    ),
    "chat_queued_ticket_done": "临时受理号{provisional}已正式登记为工单，工单编号{number}。",
    "chat_empty_reply": "抱歉，我这边没有生成回复，请再说一遍，或者说“转人工”。",
    # Quality inspection (智能质检).
    "qa_bad_transcript": "通话记录格式不正确，请按质检输入格式（id、channel、agent_id、turns）检查后重试。",
    "qa_result_not_found": "没有找到编号为 {result_id} 的质检结果。",
    "qa_finding_not_found": "没有找到编号为 {finding_id} 的质检项。",
    "qa_bad_report": "报表参数不正确，请检查分组方式（agent、rule、day）和日期范围。",
    # Supervisor dashboard (api/services/dashboard.py, api/routes/dashboard.py).
    "dash_bad_range": "日期范围不正确：{reason}。",
    "dash_unknown_table": "没有名为“{table}”的报表，可导出：{tables}。",
    # Column headers of the dashboard's CSV exports (comma-separated, in column order).
    "dash_csv_hourly": "小时,合计,网页,电话,坐席",
    "dash_csv_daily": "日期,接入量",
    "dash_csv_channels": "渠道,接入量",
    "dash_csv_containment": "会话数,机器人独立解决,转人工,生成工单,独立解决率,转人工率,工单率",
    "dash_csv_topics": "主题,会话数",
    "dash_csv_gaps": "问题,次数,无法回答,追问参保地,最近一次",
    "dash_csv_tickets": "状态,工单数",
    "dash_csv_satisfaction": "来源,评价,次数",
    "dash_csv_qa_agents": "坐席,质检数,平均分,合格率,扣分项,扣分",
    "dash_csv_qa_rules": "规则,涉及记录,平均分,合格率,扣分项,扣分",
    "dash_csv_forecast": "时间,星期,小时,预测,实际",
    "dash_source_chat": "会话评价",
    "dash_source_callback": "工单回访",
    # Console access (logins, roles) and the audit log.
    "auth_failed": "用户名或密码不正确。",
    "auth_locked": "登录失败次数过多，请 {seconds} 秒后再试。",
    "auth_weak_password": "密码至少需要 {min_length} 位。",
    "auth_user_exists": "用户名“{username}”已存在。",
    "auth_user_not_found": "没有找到用户“{username}”。",
    "auth_bad_role": "未知角色“{role}”，可选：{roles}。",
    "console_forbidden_page": "您的账号没有访问这个页面的权限。",
    "console_page_agent": "坐席工作台",
    "console_page_supervisor": "班长看板",
    "console_page_inspection": "质检复核",
    "console_page_kb": "知识库编辑",
    # Knowledge editor.
    "kb_entry_invalid": "条目不符合格式：{reason}",
    "kb_reason_required": "请填写修改原因（每次修改都会记录作者和原因）。",
    "kb_entry_exists": "条目编号“{entry_id}”已存在，请换一个编号，或直接编辑该条目。",
    "kb_entry_not_found": "没有找到条目“{entry_id}”。",
    "kb_cluster_not_found": "没有找到这组来电问题（{entry_id}），可能已有新的来电，请刷新后再试。",
    "kb_cluster_no_answer": "这组问题还没有坐席答复，请新建条目并写上答复。",
    "kb_entry_retired": "条目“{entry_id}”已下线，不能再编辑；如需恢复请新建条目。",
    "kb_nothing_to_publish": "没有待发布的修改。",
    "kb_bad_id": "编号只能用小写字母、数字和连字符（2–64 位），例如 maternity-kaifeng-time-limit",
    "kb_missing": "缺少{fields}",
    "kb_few_questions": "至少需要 3 种不同的问法（按来电人的说法写）",
    "kb_bad_audience": "适用对象只能是 public（来电人）或 agent（仅坐席）",
    "kb_bad_source": "来源应写成“004_<16位编号>.txt L行号”，例如 004_97e06d7970843a80.txt L1715",
    "kb_bad_effective": "生效时间应写成 YYYY、YYYY-MM 或 YYYY-MM-DD",
    "kb_bad_points": "未知的告知要点：{keys}（可用：{allowed}）",
    "kb_bad_region": "参保地“{region}”无法识别，请写成“省/市”或“省/市/县”，全国通用请留空",
    "kb_field_id": "编号",
    "kb_field_topic": "主题",
    "kb_field_questions": "问法",
    "kb_field_answer": "答复",
    "kb_field_audience": "适用对象",
    "kb_field_source": "来源",
    "kb_field_effective": "生效时间",
    # FAQ sheet import (api/services/kb_import.py): a reason per problem, shown with its row number.
    "kb_import_col_question": "问题",
    "kb_import_col_answer": "答案",
    "kb_import_col_region": "地区",
    "kb_import_col_effective": "生效日期",
    "kb_import_col_source": "来源",
    "kb_import_col_topic": "主题",
    "kb_import_col_audience": "受众",
    "kb_import_col_similar": "相似问题",
    "kb_import_missing": "“{column}”为空",
    "kb_import_missing_column": "表头缺少“{column}”列（可用中文或英文表头）",
    "kb_import_too_long": "“{column}”超过 {detail} 个字",
    "kb_import_too_many": "相似问题超过 {detail} 条",
    "kb_import_bad_region": "地区“{detail}”无法识别，请写成“开封”或“河南/开封”，全国通用写“全国”",
    "kb_import_bad_date": "生效日期“{detail}”无法识别，请写成 2023、2023-07 或 2023-07-01",
    "kb_import_bad_audience": "受众“{detail}”只能是 public/公众 或 agent/坐席",
    "kb_import_duplicate": "与第 {detail} 行的问题和地区重复",
    "kb_import_encoding": "文件编码无法识别，请另存为 UTF-8 或 GBK 编码的 CSV",
    "kb_import_unreadable": "无法读取表格文件，请确认是 .xlsx 或 .csv 格式",
    "kb_import_bad_format": "不支持的文件类型“{detail}”，请上传 .csv 或 .xlsx",
    "kb_import_empty": "表格是空的",
    "kb_import_no_rows": "表格只有表头，没有数据行",
    "kb_import_too_many_rows": "一次最多导入 {detail} 行",
    "kb_import_rejected": "表格有 {count} 处错误，未导入任何内容，请按行修改后重新上传。",
    "kb_import_too_large": "文件太大（最大 {limit} MB），请拆分后分批导入。",
}


def text(key: str, **fmt: object) -> str:
    """Return the Chinese text for ``key``, formatted; unknown keys fail loudly in tests."""
    template = TEXTS[key]
    return template.format(**fmt) if fmt else template
