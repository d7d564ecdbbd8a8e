"""Display labels for domain codes, in Chinese (default) and English (DOMAIN.md glossary)."""

from __future__ import annotations

from dialer.agent_state import PauseReason
from storage.codes import (
    AgentState,
    AnswerKind,
    CaseStatus,
    ChurnDirection,
    ChurnReason,
    ComplaintCategory,
    ConversationOutcome,
    CustomerKind,
    NetworkOutcome,
    RepairType,
    TaskType,
)

Bilingual = dict[str, tuple[str, str]]  # code -> (zh_Hans, en)

AGENT_STATES: Bilingual = {
    AgentState.OFFLINE: ("离线", "Offline"),
    AgentState.READY: ("就绪", "Ready"),
    AgentState.RINGING: ("振铃中", "Ringing"),
    AgentState.PREVIEW: ("预览", "Preview"),  # preview dialing: the record before the Dial
    AgentState.ON_CALL: ("通话中", "On call"),
    AgentState.WRAP_UP: ("话后整理", "Wrap-up"),
    AgentState.PAUSED: ("暂停", "Paused"),
}
PAUSE_REASONS: Bilingual = {  # in the order of their keys on the console (1-4 after F3)
    PauseReason.BREAK: ("休息", "Break"),
    PauseReason.LUNCH: ("午餐", "Lunch"),
    PauseReason.TRAINING: ("培训", "Training"),
    PauseReason.MEETING: ("会议", "Meeting"),
}
NO_PAUSE_REASON: Bilingual = {"none": ("未说明原因", "No reason given")}  # a login's pause
NETWORK_OUTCOMES: Bilingual = {
    NetworkOutcome.ANSWERED: ("接通", "Answered"),
    NetworkOutcome.NO_ANSWER: ("无人接听", "No answer"),
    NetworkOutcome.BUSY: ("忙线", "Busy"),
    NetworkOutcome.REJECTED: ("拒接", "Rejected"),
    NetworkOutcome.INVALID_NUMBER: ("空号/错号", "Invalid number"),
    NetworkOutcome.UNREACHABLE: ("无法接通", "Unreachable"),
    NetworkOutcome.VOICEMAIL: ("语音信箱", "Voicemail"),
    NetworkOutcome.FAILED: ("呼叫失败", "Call failed"),
}
CONVERSATION_OUTCOMES: Bilingual = {
    ConversationOutcome.COMPLETED: ("完成回访", "Follow-up completed"),
    ConversationOutcome.REFUSED: ("拒访", "Declined the follow-up"),
    ConversationOutcome.CALL_BACK_LATER: ("改约时间", "Call back later"),
    ConversationOutcome.COMPLAINT: ("投诉", "Complaint"),
    ConversationOutcome.SUGGESTION: ("建议", "Suggestion"),
    ConversationOutcome.APPOINTMENT_BOOKED: ("预约进店", "Appointment booked"),
    ConversationOutcome.WRONG_PERSON: ("非本人", "Wrong person"),
    ConversationOutcome.DO_NOT_CALL: ("要求勿扰", "Do not call"),
    ConversationOutcome.CHURN_CONFIRMED: ("确认流失", "Churn confirmed"),
}
SATISFACTION: dict[int, tuple[str, str]] = {
    5: ("非常满意", "Very satisfied"),
    4: ("满意", "Satisfied"),
    3: ("一般", "Neutral"),
    2: ("不满意", "Dissatisfied"),
    1: ("非常不满意", "Very dissatisfied"),
}
TASK_TYPES: Bilingual = {
    TaskType.DELIVERY_CARE: ("交车关怀", "Delivery care call"),
    TaskType.SALES_3DC: ("销售回访 (3DC)", "Sales follow-up (3DC)"),
    TaskType.SALES_7DC: ("销售回访 (7DC)", "Sales follow-up (7DC)"),
    TaskType.REPAIR_3DC: ("维修回访 (3DC)", "Repair follow-up (3DC)"),
    TaskType.FIRST_MAINTENANCE: ("首保提醒", "First-maintenance reminder"),
    TaskType.MAINTENANCE: ("保养提醒", "Maintenance reminder"),
    TaskType.CHURN_SURVEY: ("准流失调查", "Quasi-churn survey"),
    TaskType.PERIODIC_SALES: ("定期销售回访", "Periodic sales follow-up"),
    TaskType.INSURANCE_RENEWAL: ("续保提醒", "Insurance renewal"),
    TaskType.CALLBACK: ("预约回拨", "Booked callback"),
    TaskType.CASE_FOLLOWUP: ("投诉案件回访", "Case follow-up"),
    TaskType.EVENT_INVITATION: ("活动邀约", "Event invitation"),
}
REPAIR_TYPES: Bilingual = {
    RepairType.MAINTENANCE: ("保养", "Maintenance"),
    RepairType.REPAIR: ("维修", "Repair"),
    RepairType.BODY_PAINT: ("钣喷", "Body and paint"),
    RepairType.WARRANTY: ("保修", "Warranty"),
    RepairType.INSURANCE: ("事故理赔", "Insurance claim"),
}

CUSTOMER_KINDS: Bilingual = {
    CustomerKind.STANDARD: ("普通客户", "Standard"),
    CustomerKind.VIP: ("VIP 客户", "VIP"),
    CustomerKind.COMPANY: ("公司客户", "Company"),
    CustomerKind.MAJOR_REPAIR: ("大修客户", "Major repair"),
}
ANSWER_KINDS: Bilingual = {
    AnswerKind.FIVE_POINT: ("五级满意度", "Five-point satisfaction"),
    AnswerKind.YES_NO: ("是/否", "Yes / no"),
    AnswerKind.TEXT: ("文字", "Text"),
}
YES_NO: dict[str, tuple[str, str]] = {"yes": ("是", "Yes"), "no": ("否", "No")}
COMPLAINT_CATEGORIES: Bilingual = {  # the 6QS, then any other complaint
    ComplaintCategory.COST_ABOVE_QUOTE: ("费用超标", "Cost above the quote"),
    ComplaintCategory.NOT_FIXED_FIRST_TIME: ("一次交付不合格", "Not fixed the first time"),
    ComplaintCategory.LEFTOVER_FAULT: ("故障遗留", "Leftover fault"),
    ComplaintCategory.PART_OUT_OF_STOCK: ("配件缺货", "Part out of stock"),
    ComplaintCategory.LATE_DELIVERY: ("未按时交工", "Late delivery"),
    ComplaintCategory.REWORK: ("返工", "Rework"),
    ComplaintCategory.OTHER: ("其他投诉", "Other complaint"),
}
CHURN_DIRECTIONS: Bilingual = {
    ChurnDirection.SAME_CITY_RIVAL: ("同城竞争店", "Same-city rival"),
    ChurnDirection.ROADSIDE_SHOP: ("路边店", "Roadside shop"),
    ChurnDirection.OTHER_CITY: ("外地", "Other city"),
}
CHURN_REASONS: Bilingual = {
    ChurnReason.LOCATION: ("距离/位置", "Location"),
    ChurnReason.PRICE: ("价格", "Price"),
    ChurnReason.SERVICE: ("服务", "Service"),
    ChurnReason.SIX_QS: ("6QS 质量问题", "6QS quality issue"),
    ChurnReason.OTHER: ("其他", "Other"),
}
CASE_STATUSES: Bilingual = {
    CaseStatus.OPEN: ("待处理", "Open"),
    CaseStatus.IN_PROGRESS: ("处理中", "In progress"),
    CaseStatus.AWAITING_CONFIRMATION: ("待客户确认", "Awaiting the customer's confirmation"),
    CaseStatus.CLOSED: ("已关闭", "Closed"),
}


def pick(table: dict, locale: str) -> dict:
    """``{code: label}`` in ``locale`` (English for ``en``, Chinese otherwise)."""
    index = 1 if str(locale).startswith("en") else 0
    return {str(code): labels[index] for code, labels in table.items()}
