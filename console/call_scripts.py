"""Standard call scripts, per task type, with the customer's details filled in.

Our own wording, in Chinese and English. A merged call reads the scripts of every task
type it covers, greeting and closing once.
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers

from console.labels import TASK_TYPES, pick
from storage.codes import TaskType


@dataclass(frozen=True)
class ScriptFields:
    customer: str  # how to address the customer, e.g. 张先生
    agent: str
    store: str
    hotline: str
    car: str  # plate and model, e.g. 苏E3K8Z2 (星途 L)
    visit_date: str
    advisor: str


GREETING = {
    "zh_Hans": [
        "您好，请问是{customer}吗？我是{store}客服中心的{agent}。",
        "耽误您两三分钟做个简短回访，现在方便吗？"
        "（不方便：致歉，告知热线 {hotline}，礼貌结束并记为拒访）",
    ],
    "en": [
        "Hello, am I speaking with {customer}? This is {agent} from the {store} customer centre.",
        "May I take two or three minutes for a short follow-up? (If not: apologise, give the "
        "hotline {hotline}, end politely and record a refusal.)",
    ],
}
BODY = {
    TaskType.REPAIR_3DC: {
        "zh_Hans": [
            "您的爱车 {car} 于 {visit_date} 在我店完成维修保养，服务顾问是{advisor}。",
            "请问车辆目前使用正常吗？这次的问题彻底解决了吗？",
            "结算费用和维修前的报价一致吗？交车时间是否按约定？",
            "整体来说，您对这次服务满意吗？（非常满意 / 满意 / 一般 / 不满意 / 非常不满意）",
            "您还有什么意见或建议吗？（逐字记录，并向客户复述确认）",
        ],
        "en": [
            "Your car {car} was serviced with us on {visit_date}; your service advisor was "
            "{advisor}.",
            "Is the car running well now? Was the problem fully fixed?",
            "Did the final bill match the quote, and was the car ready when promised?",
            "Overall, how satisfied are you with this visit? (very satisfied / satisfied / "
            "neutral / dissatisfied / very dissatisfied)",
            "Any other comments or suggestions? (Write them down word for word and read them "
            "back.)",
        ],
    },
}
CLOSING = {
    "zh_Hans": [
        "感谢您的支持！如有任何问题，欢迎随时拨打服务热线 {hotline}。祝您用车愉快，再见！",
        "（客户有投诉时：真诚致歉，告知我们会尽快处理并回复结果。）",
    ],
    "en": [
        "Thank you for your time! For anything at all, call our hotline {hotline}. Have a "
        "good day!",
        "(If the customer complained: apologise sincerely and say we will follow up with "
        "the result soon.)",
    ],
}


def render_script(task_types: list[str], fields: ScriptFields, locale: str) -> dict:
    """The script of a call covering ``task_types``, titled after them."""
    lang = "en" if locale.startswith("en") else "zh_Hans"
    lines = list(GREETING[lang])
    for task_type in task_types:
        lines += BODY.get(TaskType(task_type), {}).get(lang, [])
    lines += CLOSING[lang]
    values = vars(fields)
    title = " + ".join(pick(TASK_TYPES, lang)[t] for t in task_types)
    return {"title": title, "lines": [line.format(**values) for line in lines]}


def readable_phone(e164: str | None) -> str:
    """A hotline as people dial it locally, e.g. 0512 6825 8800."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, "CN")
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def address(name: str, gender: str | None, is_company: bool, locale: str) -> str:
    """Polite form of address: 张先生 / 张女士 / 张伟 (company contacts and unknown gender)."""
    if locale.startswith("en"):
        title = {"M": "Mr ", "F": "Ms "}.get(gender or "", "")
        return f"{title}{name}"
    if is_company or gender not in ("M", "F") or len(name) < 2:
        return name
    return name[0] + ("先生" if gender == "M" else "女士")
