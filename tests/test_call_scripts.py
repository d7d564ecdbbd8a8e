"""Call scripts without a database: our default wording for every follow-up and customer kind,
the personal fields filled in, the merged call's steps, the customer kind of a call."""

from decimal import Decimal

import pytest

from console.call_scripts import ScriptPart, address, call_order, render_call
from console.script_content import BLANK, FIELDS, check_content, fill
from console.script_wording import default_content
from console.services.scripts import customer_kind
from storage.codes import AnswerKind, CustomerKind, TaskType
from storage.errors import InvalidInput
from storage.models import Customer

ZHANG = {
    "customer": "张先生",
    "agent": "李娜",
    "store": "姑苏汽车",
    "hotline": "0512 6000 8000",
    "car": "苏E3K8Z2 (星途 L)",
    "plate": "苏E3K8Z2",
    "model": "星途 L",
    "service_date": "2026-11-18",
    "advisor": "王强",
    "next_maintenance": "2027-05-18 前后（约 17,000 公里）",
    "delivery_date": "2024-05-18",
    "consultant": "周文涛",
    "insurance_expiry": "2026-12-31",
    "case_category": "费用超标",
    "case_opened": "2026-11-10",
}
EVERY_SCRIPT = [(t, k) for t in TaskType for k in CustomerKind]


def part(task_type, kind=CustomerKind.STANDARD, version_id=1):
    return ScriptPart(task_type, version_id, default_content(TaskType(task_type), kind))


def step(script, name):
    return next(s for s in script["steps"] if s["step"] == name)


@pytest.mark.parametrize(("task_type", "kind"), EVERY_SCRIPT)
def test_every_default_script_is_well_formed_in_both_languages(task_type, kind):
    content = default_content(task_type, kind)
    assert check_content(content) == content
    assert content["questions"], "every follow-up asks something"


@pytest.mark.parametrize(("task_type", "kind"), EVERY_SCRIPT)
@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
def test_every_script_renders_in_steps_with_no_field_left_unfilled(task_type, kind, locale):
    script = render_call([part(task_type, kind)], ZHANG, locale, kind)
    names = [s["step"] for s in script["steps"]]
    assert names == ["opening", "consent", "questions", "complaint", "suggestions", "closing"]
    text = " ".join(script["lines"])
    assert "{" not in text and BLANK not in text
    assert step(script, "consent")["declined"]
    assert script["kind"] == kind and script["versions"] == [1]


def test_the_repair_follow_up_names_the_customer_car_day_advisor_and_next_service():
    script = render_call([part(TaskType.REPAIR_3DC)], ZHANG, "zh_Hans", "standard")
    opening = step(script, "opening")["text"]
    assert opening.startswith("您好，请问是张先生吗？我是姑苏汽车客服中心的李娜。")
    assert "苏E3K8Z2 (星途 L) 于 2026-11-18" in opening and "王强" in opening
    assert "2027-05-18 前后" in step(script, "closing")["text"]
    assert "0512 6000 8000" in step(script, "consent")["declined"]
    assert script["title"] == "维修回访 (3DC)"


def test_questions_carry_stable_keys_and_their_kind_of_answer():
    questions = step(render_call([part("repair_3dc")], ZHANG, "en", "standard"), "questions")
    by_key = {q["key"]: q for q in questions["questions"]}
    assert list(by_key) == ["fixed", "cost_as_quoted", "on_time", "overall"]
    assert by_key["fixed"]["kind"] == AnswerKind.YES_NO
    assert [c["label"] for c in by_key["fixed"]["choices"]] == ["Yes", "No"]
    scale = by_key["overall"]["choices"]
    assert [(c["value"], c["label"]) for c in scale] == [
        (5, "Very satisfied"), (4, "Satisfied"), (3, "Neutral"),
        (2, "Dissatisfied"), (1, "Very dissatisfied"),
    ]  # fmt: skip


def test_the_chinese_five_point_scale_uses_the_glossary_words():
    questions = step(render_call([part("sales_7dc")], ZHANG, "zh_Hans", "standard"), "questions")
    overall = questions["questions"][0]
    assert [c["label"] for c in overall["choices"]] == [
        "非常满意",
        "满意",
        "一般",
        "不满意",
        "非常不满意",
    ]


def test_a_vip_is_thanked_for_their_trust_and_offered_priority():
    script = render_call([part("repair_3dc", CustomerKind.VIP)], ZHANG, "zh_Hans", "vip")
    assert step(script, "opening")["text"].startswith("张先生您好！")
    assert "优先" in step(script, "closing")["text"]
    assert script["kind_label"] == "VIP 客户"


def test_a_company_car_is_the_companys_and_its_other_cars_are_asked_about():
    script = render_call([part("repair_3dc", CustomerKind.COMPANY)], ZHANG, "zh_Hans", "company")
    assert "贵单位的车辆 苏E3K8Z2" in step(script, "opening")["text"]
    assert "您的爱车" not in " ".join(script["lines"])
    assert step(script, "questions")["questions"][-1]["key"] == "fleet_needs"


def test_a_major_repair_asks_how_the_work_was_explained_before_the_overall_rating():
    script = render_call(
        [part("repair_3dc", CustomerKind.MAJOR_REPAIR)], ZHANG, "en", "major_repair"
    )
    keys = [q["key"] for q in step(script, "questions")["questions"]]
    assert keys == ["fixed", "cost_as_quoted", "on_time", "explained", "old_parts_shown", "overall"]
    assert "big repair" in step(script, "opening")["text"]


def test_a_merged_call_greets_and_closes_once_and_asks_each_follow_up_in_turn():
    parts = [part("maintenance", version_id=7), part("repair_3dc", version_id=3)]
    script = render_call(parts, ZHANG, "zh_Hans", "standard")
    names = [s["step"] for s in script["steps"]]
    assert names == ["opening", "consent", "questions", "questions", "complaint", "suggestions",
                     "closing"]  # fmt: skip
    first, second = [s for s in script["steps"] if s["step"] == "questions"]
    assert (first["task_type"], second["task_type"]) == ("repair_3dc", "maintenance")
    assert first["intro"] is None and "保养" in second["intro"]  # the merged one says why
    assert script["versions"] == [3, 7]
    assert script["title"] == "维修回访 (3DC) + 保养提醒"
    lines = script["lines"]
    assert sum("请问是张先生吗" in line for line in lines) == 1
    assert sum("感谢您的支持" in line for line in lines) == 1
    closing = step(script, "closing")["text"]
    assert closing.index("下次保养") < closing.index("保养请提前预约") < closing.index("再见")


def test_a_booked_callback_leads_the_call_it_joined():
    assert call_order(["repair_3dc", "callback", "maintenance"]) == [
        "callback", "repair_3dc", "maintenance"
    ]  # fmt: skip


def test_an_unknown_field_is_refused_and_a_field_never_reaches_python_attributes():
    content = default_content(TaskType.REPAIR_3DC, CustomerKind.STANDARD)
    content["closing"]["en"] = "Bye {customer.__class__}"
    with pytest.raises(InvalidInput) as err:
        check_content(content)
    assert err.value.details["field"] == "closing.en"
    assert fill("{customer.__class__} {customer}", ZHANG) == "{customer.__class__} 张先生"


def test_a_field_the_archive_does_not_know_is_left_for_the_agent_to_ask():
    assert fill("服务顾问是{advisor}。", {}) == f"服务顾问是{BLANK}。"


def test_every_field_the_wording_uses_is_one_a_call_fills():
    assert set(ZHANG) == set(FIELDS)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda c: c["consent"].update(zh_Hans=""), "consent.zh_Hans"),
        (lambda c: c["questions"][0].update(key="Fixed!"), "questions.0.key"),
        (lambda c: c["questions"][1].update(key="fixed"), "questions.1.key"),
        (lambda c: c["questions"][0].update(kind="stars"), "questions.0.kind"),
        (lambda c: c["questions"][3].update(kind="text"), "questions.3.kind"),  # overall
        (lambda c: c["questions"][2]["text"].update(en=""), "questions.2.en"),
    ],
)
def test_a_malformed_script_is_refused_naming_the_field(change, field):
    content = default_content(TaskType.REPAIR_3DC, CustomerKind.STANDARD)
    change(content)
    with pytest.raises(InvalidInput) as err:
        check_content(content)
    assert err.value.details["field"] == field


def test_the_reminder_may_be_left_empty():
    content = default_content(TaskType.REPAIR_3DC, CustomerKind.STANDARD)
    content["reminder"] = {"zh_Hans": "", "en": ""}
    assert check_content(content)["reminder"] == {"zh_Hans": "", "en": ""}


def _customer(**kw):
    return Customer(name="张伟", gender="M", is_company=kw.pop("is_company", False), **kw)


@pytest.mark.parametrize(
    ("customer", "amounts", "kind"),
    [
        (_customer(), [Decimal("680")], CustomerKind.STANDARD),
        (_customer(grade="VIP"), [], CustomerKind.VIP),
        (_customer(grade=" vip "), [None], CustomerKind.VIP),
        (_customer(is_company=True), [], CustomerKind.COMPANY),
        (_customer(grade="VIP", is_company=True), [], CustomerKind.VIP),
        (_customer(), [Decimal("10000.00")], CustomerKind.STANDARD),  # above, not at
        (_customer(grade="VIP"), [Decimal("12800")], CustomerKind.MAJOR_REPAIR),
    ],
)
def test_the_customer_kind_of_a_call(customer, amounts, kind):
    assert customer_kind(customer, amounts, 10000) == kind


def test_company_contacts_and_unknown_genders_are_addressed_by_name():
    assert address("张伟", "M", False, "zh_Hans") == "张先生"
    assert address("王芳", "F", False, "zh_Hans") == "王女士"
    assert address("苏州捷运物流", None, True, "zh_Hans") == "苏州捷运物流"
    assert address("张伟", "M", False, "en") == "Mr 张伟"
