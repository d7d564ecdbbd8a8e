"""Display labels for domain codes, in Chinese (default) and English (DOMAIN.md glossary)."""

from __future__ import annotations

from storage.codes import (
    AgentState,
    ConversationOutcome,
    NetworkOutcome,
    RepairType,
    TaskType,
)

Bilingual = dict[str, tuple[str, str]]  # code -> (zh_Hans, en)

AGENT_STATES: Bilingual = {
    AgentState.OFFLINE: ("离线", "Offline"),
    AgentState.READY: ("就绪", "Ready"),
    AgentState.RINGING: ("振铃中", "Ringing"),
    AgentState.ON_CALL: ("通话中", "On call"),
    AgentState.WRAP_UP: ("话后整理", "Wrap-up"),
    AgentState.PAUSED: ("暂停", "Paused"),
}
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
}
REPAIR_TYPES: Bilingual = {
    RepairType.MAINTENANCE: ("保养", "Maintenance"),
    RepairType.REPAIR: ("维修", "Repair"),
    RepairType.BODY_PAINT: ("钣喷", "Body and paint"),
    RepairType.WARRANTY: ("保修", "Warranty"),
    RepairType.INSURANCE: ("事故理赔", "Insurance claim"),
}


def pick(table: dict, locale: str) -> dict:
    """``{code: label}`` in ``locale`` (English for ``en``, Chinese otherwise)."""
    index = 1 if str(locale).startswith("en") else 0
    return {str(code): labels[index] for code, labels in table.items()}
