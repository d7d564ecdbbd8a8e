"""Our default wording for every call script, in Chinese and English: version 1 of each
store's script per task type and customer kind (``default_content``).

Built from parts: the customer kind sets the tone of the greeting, consent and farewell (VIP,
company, major repair); the task type says why we call, what we ask and what we remind. A
company's car is "贵单位的车辆" where a person's is "您的爱车". Agent instructions are in
brackets （…） / (…). Personal fields: ``console.script_content.FIELDS``.
"""

from __future__ import annotations

from storage.codes import AnswerKind, CustomerKind, TaskType

K, T, A = CustomerKind, TaskType, AnswerKind
Texts = tuple[str, str]  # (zh_Hans, en)

GREETING: dict[CustomerKind, Texts] = {
    K.STANDARD: (
        "您好，请问是{customer}吗？我是{store}客服中心的{agent}。",
        "Hello, am I speaking with {customer}? This is {agent} from the {store} customer centre.",
    ),
    K.VIP: (
        "{customer}您好！我是{store}客服中心的{agent}，感谢您一直以来对我们的信任和支持。",
        "Good day, {customer}! This is {agent} from the {store} customer centre. Thank you "
        "for the trust you have always placed in us.",
    ),
    K.COMPANY: (
        "您好，请问是{customer}吗？我是{store}客服中心的{agent}，想就贵单位的车辆跟您简单"
        "沟通一下。",
        "Hello, am I speaking with {customer}? This is {agent} from the {store} customer "
        "centre, calling about your company's car.",
    ),
    K.MAJOR_REPAIR: (
        "您好，请问是{customer}吗？我是{store}客服中心的{agent}。",
        "Hello, am I speaking with {customer}? This is {agent} from the {store} customer centre.",
    ),
}
MAJOR_REPAIR_NOTE: Texts = (
    "这次维修项目较多，我们特别关心车辆修后的情况。",
    "It was a big repair, so we especially want to know how the car is doing since.",
)
CONSENT: dict[CustomerKind, Texts] = {
    K.STANDARD: (
        "耽误您两三分钟做个简短回访，现在方便吗？",
        "May I take two or three minutes for a short follow-up? Is now a good time?",
    ),
    K.VIP: (
        "不知道现在方不方便占用您两三分钟？",
        "Would you have two or three minutes for me now?",
    ),
    K.COMPANY: (
        "请问现在方便占用您两三分钟吗？",
        "Could you spare two or three minutes now?",
    ),
    K.MAJOR_REPAIR: (
        "想占用您三五分钟，详细了解一下修后的情况，现在方便吗？",
        "I would like three to five minutes to hear how the car has been since the repair. "
        "Is now a good time?",
    ),
}
DECLINED: Texts = (
    "好的，那就不打扰您了，抱歉！以后有任何需要，欢迎拨打服务热线 {hotline}。祝您生活愉快，"
    "再见！（记为拒访：这次回访不再致电）",
    "Of course, sorry to have disturbed you. Whenever you need us, our hotline is {hotline}. "
    "Have a good day! (Record a refusal: we will not call again for this follow-up.)",
)
COMPLAINT: Texts = (
    "给您添麻烦了，实在抱歉！请您再详细说一说，我一字不落地记下来。（逐字记录客户原话）"
    "我跟您复述一遍：……，您看我记得对吗？我们今天就会转交服务经理处理，并尽快给您答复。",
    "I am truly sorry for the trouble. Please tell me more, and I will write down exactly "
    "what you say. (Record the customer's words verbatim.) Let me read it back to you: … Is "
    "that right? We will hand it to our service manager today and come back to you soon.",
)
SUGGESTIONS: Texts = (
    "您对我们的服务还有什么意见或建议吗？我记录下来，两个工作日内给您答复。",
    "Is there anything else you would like to tell us or suggest? I will note it down, and "
    "we will answer within two working days.",
)
FAREWELL: dict[CustomerKind, Texts] = {
    K.STANDARD: (
        "感谢您的支持！如有任何问题，欢迎随时拨打服务热线 {hotline}。祝您用车愉快，再见！",
        "Thank you for your time! For anything at all, call our hotline {hotline}. Enjoy "
        "your drive, goodbye!",
    ),
    K.VIP: (
        "再次感谢您的信任！您有任何需要，随时拨打 {hotline}，我们优先为您安排。祝您一切顺利，"
        "再见！",
        "Thank you again for your trust! Whatever you need, call {hotline} and we will put "
        "you first. All the best, goodbye!",
    ),
    K.COMPANY: (
        "感谢贵单位的信任与支持！车辆有任何需要，请随时拨打 {hotline}。再见！",
        "Thank you for your company's trust! For anything your cars need, call {hotline}. Goodbye!",
    ),
    K.MAJOR_REPAIR: (
        "感谢您的耐心！修后如有任何异常，请第一时间拨打 {hotline}，我们优先为您安排检查。"
        "祝您用车愉快，再见！",
        "Thank you for your patience! If anything seems wrong after the repair, call "
        "{hotline} straight away and we will check the car first thing. Goodbye!",
    ),
}
PURPOSE: dict[TaskType, Texts] = {
    T.DELIVERY_CARE: (
        "恭喜您今天喜提新车 {car}！感谢您选择我们，想问问您新车开回去还顺利吗？",
        "Congratulations on your new car {car}! Thank you for choosing us. We just wanted to "
        "check the drive home went well.",
    ),
    T.SALES_3DC: (
        "您的新车 {car} 已经开了几天，想了解一下您的用车情况。",
        "You have had your new car {car} for a few days now; we would like to hear how it "
        "is going.",
    ),
    T.SALES_7DC: (
        "您在 {delivery_date} 从我店提了新车 {car}，销售顾问是{consultant}，想请您为这次购车"
        "经历打个分。",
        "You took delivery of {car} from us on {delivery_date}, with {consultant} as your "
        "sales consultant. We would like your rating of the purchase.",
    ),
    T.REPAIR_3DC: (
        "您的爱车 {car} 于 {service_date} 在我店完成维修保养，服务顾问是{advisor}。",
        "Your car {car} was serviced with us on {service_date}; your service advisor was "
        "{advisor}.",
    ),
    T.FIRST_MAINTENANCE: (
        "您的爱车 {car} 快到首次保养的时间了，预计在 {next_maintenance}。首保对新车很重要，"
        "提醒您及时安排。",
        "Your car {car} is nearly due for its first service, expected {next_maintenance}. The "
        "first service matters for a new car, so here is a reminder.",
    ),
    T.MAINTENANCE: (
        "根据我们的记录，您的爱车 {car} 预计在 {next_maintenance} 需要保养了。",
        "Our records say your car {car} will need its next service {next_maintenance}.",
    ),
    T.CHURN_SURVEY: (
        "好久没在店里见到您和您的爱车 {car} 了，上次到店是 {service_date}，想问问车子最近怎么样。",
        "We have not seen you and your car {car} for a while (last visit {service_date}); we "
        "wondered how the car is doing.",
    ),
    T.PERIODIC_SALES: (
        "您的爱车 {car} 开了一段时间了，我们做个定期回访，看看有什么可以帮您的。",
        "You have been driving {car} for a while now; this is our regular call to see if we "
        "can help with anything.",
    ),
    T.INSURANCE_RENEWAL: (
        "您的爱车 {car} 的车险将于 {insurance_expiry} 到期，提醒您及时续保，以免影响用车。",
        "The insurance of your car {car} runs out on {insurance_expiry}; a reminder to renew "
        "it in time.",
    ),
    T.CALLBACK: (
        "上次跟您约好这个时间回电话，现在接着为您处理。",
        "We agreed I would call you back at this time, so here I am to carry on.",
    ),
    T.CASE_FOLLOWUP: (
        "关于您在 {case_opened} 反映的问题（{case_category}），想跟您说一下处理进展。",
        "About the issue you reported on {case_opened} ({case_category}): I would like to "
        "update you on where it stands.",
    ),
    T.EVENT_INVITATION: (
        "我们近期为车主们准备了一场活动，诚挚邀请您参加。",
        "We are holding an event for our car owners soon and would love you to come.",
    ),
}
Question = tuple[str, AnswerKind, Texts]
QUESTIONS: dict[TaskType, list[Question]] = {
    T.DELIVERY_CARE: [
        ("drive_home_ok", A.YES_NO, ("新车开回去一切正常吗？", "Did the car drive well?")),
        ("handover_clear", A.YES_NO, (
            "交车时顾问介绍的功能和注意事项，您都清楚了吗？",
            "Was everything the consultant showed you at the handover clear?")),
        ("open_question", A.TEXT, (
            "现在有没有什么想问的？", "Is there anything you would like to ask right now?")),
    ],
    T.SALES_3DC: [
        ("car_ok", A.YES_NO, ("这几天用车一切正常吗？", "Has the car been fine these days?")),
        ("features_ok", A.YES_NO, (
            "导航、蓝牙、驾驶辅助这些常用功能都会用了吗？",
            "Have you got the hang of the everyday features: navigation, Bluetooth, driver "
            "assistance?")),
        ("open_question", A.TEXT, (
            "用车上还有什么疑问吗？", "Any questions about the car so far?")),
    ],
    T.SALES_7DC: [
        ("overall", A.FIVE_POINT, (
            "整体来说，您对这次购车经历满意吗？",
            "Overall, how satisfied are you with buying your car from us?")),
        ("consultant", A.FIVE_POINT, (
            "您对销售顾问{consultant}的服务满意吗？",
            "How satisfied are you with your sales consultant {consultant}?")),
        ("handover_explained", A.YES_NO, (
            "交车时车辆功能、保养政策和服务电话都给您讲清楚了吗？",
            "At the handover, were the car's features, the service plan and our phone "
            "numbers explained to you?")),
        ("promises_kept", A.YES_NO, (
            "购车时答应您的事项都兑现了吗？",
            "Was everything promised during the sale delivered?")),
    ],
    T.REPAIR_3DC: [
        ("fixed", A.YES_NO, (
            "车辆目前使用正常吗？这次的问题彻底解决了吗？",
            "Is the car running well now? Was the problem fully fixed?")),
        ("cost_as_quoted", A.YES_NO, (
            "结算费用和维修前的报价一致吗？", "Did the final bill match the quote?")),
        ("on_time", A.YES_NO, (
            "车辆是按约定的时间交还给您的吗？", "Was the car ready when we promised?")),
        ("overall", A.FIVE_POINT, (
            "整体来说，您对这次服务满意吗？",
            "Overall, how satisfied are you with this visit?")),
    ],
    T.FIRST_MAINTENANCE: [
        ("mileage", A.TEXT, (
            "您的车现在大概开了多少公里？", "Roughly how many km has the car done now?")),
        ("book", A.YES_NO, (
            "要不要现在帮您预约首保时间？", "Shall I book the first service for you now?")),
        ("preferred_time", A.TEXT, (
            "您哪天、什么时间方便到店？", "Which day and time suit you to come in?")),
    ],
    T.MAINTENANCE: [
        ("mileage", A.TEXT, (
            "您的车现在大概开了多少公里？", "Roughly how many km has the car done now?")),
        ("book", A.YES_NO, (
            "要不要现在帮您预约保养？", "Shall I book the service for you now?")),
        ("preferred_time", A.TEXT, (
            "您哪天、什么时间方便到店？", "Which day and time suit you to come in?")),
    ],
    T.CHURN_SURVEY: [
        ("car_ok", A.YES_NO, ("车子最近用得还好吗？", "Is the car doing well lately?")),
        ("serviced_elsewhere", A.YES_NO, (
            "最近有在其他地方做过保养或维修吗？",
            "Has the car been serviced or repaired somewhere else lately?")),
        ("why_elsewhere", A.TEXT, (
            "方便说一下是什么原因吗？是距离、价格、服务还是别的？（流失时在结果里选去向和原因）",
            "May I ask why: distance, price, service, something else? (If they left us, "
            "choose the direction and reason in the outcome.)")),
        ("come_back", A.YES_NO, (
            "我们为老客户准备了回厂保养优惠，下次愿意回来看看吗？",
            "We have a welcome-back offer for our customers; would you come back for your next "
            "service?")),
    ],
    T.PERIODIC_SALES: [
        ("car_ok", A.YES_NO, ("车子最近用得顺心吗？", "Is the car treating you well?")),
        ("needs", A.TEXT, (
            "用车方面有什么需要我们帮忙的吗？", "Is there anything we can help you with?")),
    ],
    T.INSURANCE_RENEWAL: [
        ("renew_with_us", A.YES_NO, (
            "今年的续保考虑在我们店办理吗？", "Would you like to renew with us this year?")),
        ("wants_quote", A.YES_NO, (
            "需要我们先给您出一份报价吗？", "Shall we send you a quote first?")),
    ],
    T.CALLBACK: [
        ("promised", A.TEXT, (
            "（上次约定的事项，逐条处理并记录）",
            "(Go through what was promised last time and note each point.)")),
    ],
    T.CASE_FOLLOWUP: [
        ("informed", A.YES_NO, (
            "处理的进展和预计完成时间，之前有人跟您说明过吗？",
            "Has someone told you how it is going and when it should be done?")),
        ("solved", A.YES_NO, (
            "目前问题已经解决了吗？（客户确认解决，案件才能关闭）",
            "Is the problem solved now? (Only the customer's yes closes the case.)")),
        ("overall", A.FIVE_POINT, (
            "您对我们的处理满意吗？", "How satisfied are you with how we handled it?")),
    ],
    T.EVENT_INVITATION: [
        ("attend", A.YES_NO, ("您方便参加吗？", "Will you be able to come?")),
        ("party_size", A.TEXT, ("一共几位参加？", "How many of you will come?")),
    ],
}  # fmt: skip
MAJOR_REPAIR_QUESTIONS: list[Question] = [
    ("explained", A.YES_NO, (
        "维修前服务顾问有没有向您说明维修项目、费用和工期？",
        "Before the work, did your advisor explain what would be done, the cost and the "
        "time it would take?")),
    ("old_parts_shown", A.YES_NO, (
        "交车时有没有给您看换下来的旧件？", "At pick-up, were you shown the parts replaced?")),
]  # fmt: skip
COMPANY_QUESTION: Question = (
    "fleet_needs",
    A.TEXT,
    (
        "贵单位的其他车辆近期有没有保养或维修的需要？",
        "Do any of your company's other cars need a service or repair soon?",
    ),
)
REMINDER: dict[TaskType, Texts] = {
    T.DELIVERY_CARE: (
        "新车使用上有任何问题，随时拨打 {hotline}。",
        "Any question about the new car, just call {hotline}.",
    ),
    T.SALES_3DC: (
        "再跟您说一下我们的电话：服务热线和 24 小时道路救援都是 {hotline}，请存在手机里。",
        "Our numbers once more: the service hotline and 24-hour roadside assistance are both "
        "{hotline}. Do save it in your phone.",
    ),
    T.REPAIR_3DC: (
        "您下次保养预计在 {next_maintenance}，到时我们会提前提醒您。",
        "Your next service should be {next_maintenance}; we will remind you beforehand.",
    ),
    T.FIRST_MAINTENANCE: (
        "首保请提前预约，到店可以少等一会儿。",
        "Please book the first service ahead so that you wait less.",
    ),
    T.MAINTENANCE: (
        "保养请提前预约，到店可以少等一会儿。",
        "Please book your service ahead so that you wait less.",
    ),
    T.CHURN_SURVEY: (
        "回厂优惠的详情我们会发短信给您。",
        "We will text you the details of the welcome-back offer.",
    ),
    T.INSURANCE_RENEWAL: (
        "需要报价的话，我们的保险专员会尽快联系您。",
        "If you want a quote, our insurance specialist will be in touch soon.",
    ),
    T.EVENT_INVITATION: (
        "活动的时间和地点稍后会以短信发给您。",
        "We will text you the time and place of the event.",
    ),
}
COMPANY_WORDS = (("您的爱车", "贵单位的车辆"), ("your car", "your company's car"))
REPAIR_TYPES = frozenset({T.REPAIR_3DC})


def default_content(task_type: TaskType, kind: CustomerKind) -> dict:
    """Version 1 of the script for ``task_type`` and ``kind`` (``check_content``'s shape)."""
    purpose = PURPOSE[task_type]
    if kind is K.MAJOR_REPAIR and task_type in REPAIR_TYPES:
        purpose = (purpose[0] + MAJOR_REPAIR_NOTE[0], f"{purpose[1]} {MAJOR_REPAIR_NOTE[1]}")
    questions = list(QUESTIONS[task_type])
    if kind is K.MAJOR_REPAIR and task_type in REPAIR_TYPES:
        questions[-1:-1] = MAJOR_REPAIR_QUESTIONS  # before the overall rating
    if kind is K.COMPANY and task_type not in (T.CALLBACK, T.CASE_FOLLOWUP):
        questions.append(COMPANY_QUESTION)
    content = {
        "opening": _pair(GREETING[kind]),
        "purpose": _pair(purpose),
        "consent": _pair(CONSENT[kind]),
        "declined": _pair(DECLINED),
        "questions": [
            {"key": key, "kind": answer.value, "text": _pair(texts)}
            for key, answer, texts in questions
        ],
        "complaint": _pair(COMPLAINT),
        "suggestions": _pair(SUGGESTIONS),
        "reminder": _pair(REMINDER.get(task_type, ("", ""))),
        "closing": _pair(FAREWELL[kind]),
    }
    return _for_company(content) if kind is K.COMPANY else content


def _pair(texts: Texts) -> dict[str, str]:
    return {"zh_Hans": texts[0], "en": texts[1]}


def _for_company(content: dict) -> dict:
    def swap(texts: dict[str, str]) -> dict[str, str]:
        zh, en = texts["zh_Hans"], texts["en"]
        for person, company in COMPANY_WORDS:
            zh, en = zh.replace(person, company), en.replace(person, company)
        return {"zh_Hans": zh, "en": en}

    out: dict = {step: swap(value) for step, value in content.items() if step != "questions"}
    out["questions"] = [q | {"text": swap(q["text"])} for q in content["questions"]]
    return out
