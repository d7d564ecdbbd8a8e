"""What the agent records after a call, checked, and what each outcome does: survey answers per
question, every conversation outcome code, and a complaint opening a case that each service
manager of the store (and only they) is told about."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from console.services import desk
from console.services.notices import cases_opened
from console.services.screen_pop import screen_pop
from schedulers.planner import plan_store
from storage import consent
from storage.codes import CaseStatus, PhoneValidity, TaskStatus
from storage.consent import Channel, Purpose
from storage.db import session_scope
from storage.errors import DomainError, InvalidInput
from storage.models import (
    CallAttempt,
    CallTask,
    Case,
    Notice,
    Outcome,
    Phone,
    RepairOrder,
    Store,
    User,
)
from tests.desk_seed import NOW, answered_call, seed


@pytest.fixture
def call(sessions):
    """李娜 in wrap-up after talking to 张伟 about RO-1: (desk, attempt id)."""
    d = seed(sessions)
    return d, answered_call(sessions, d.agent)


def wrap(sessions, d, attempt_id, **data):
    with session_scope(sessions) as s:
        return desk.wrap_up(s, d.agent, {"attempt_id": attempt_id, **data}, NOW).id


def refused_field(sessions, d, attempt_id, **data) -> str:
    with pytest.raises(InvalidInput) as err, session_scope(sessions) as s:
        desk.wrap_up(s, d.agent, {"attempt_id": attempt_id, **data}, NOW)
    return str(err.value.details.get("field"))


def the_task(sessions) -> CallTask:
    with session_scope(sessions) as s:
        return s.scalars(select(CallTask)).one()


SURVEY = {"repair_3dc": {"fixed": "yes", "cost_as_quoted": "no", "on_time": True, "overall": "4"}}


# ---------- survey answers ----------


def test_survey_answers_are_kept_per_question_and_the_overall_one_is_the_satisfaction(
    sessions, call
):
    d, attempt_id = call
    wrap(sessions, d, attempt_id, code="completed", answers=SURVEY)
    with session_scope(sessions) as s:
        outcome = s.scalars(select(Outcome)).one()
        assert outcome.answers == {
            "repair_3dc": {"fixed": "yes", "cost_as_quoted": "no", "on_time": "yes", "overall": 4}
        }
        assert outcome.satisfaction == 4


@pytest.mark.parametrize("value", [0, 6, "5.5", "非常满意", True])
def test_a_five_point_answer_is_a_whole_number_from_1_to_5(sessions, call, value):
    d, attempt_id = call
    answers = {"repair_3dc": {"overall": value}}
    with pytest.raises(InvalidInput) as err, session_scope(sessions) as s:
        desk.save_draft(s, d.agent, {"attempt_id": attempt_id, "answers": answers})
    assert err.value.details["field"] == "answers.repair_3dc.overall"


@pytest.mark.parametrize(
    "answers",
    [
        {"repair_3dc": {"favourite_colour": "red"}},  # no such question
        {"sales_7dc": {"overall": 5}},  # a follow-up the call does not cover
        {"repair_3dc": {"fixed": "maybe"}},  # yes or no
        ["fixed", "yes"],
    ],
)
def test_answers_the_script_does_not_ask_for_are_refused(sessions, call, answers):
    d, attempt_id = call
    with pytest.raises(InvalidInput), session_scope(sessions) as s:
        desk.save_draft(s, d.agent, {"attempt_id": attempt_id, "answers": answers})


def test_a_draft_keeps_a_half_done_survey(sessions, call):
    d, attempt_id = call
    with session_scope(sessions) as s:
        half_done = {"repair_3dc": {"fixed": "no", "overall": ""}}
        desk.save_draft(s, d.agent, {"attempt_id": attempt_id, "answers": half_done})
    with session_scope(sessions) as s:
        outcome = s.scalars(select(Outcome)).one()
        assert (outcome.answers, outcome.satisfaction, outcome.final) == (
            {"repair_3dc": {"fixed": "no"}}, None, False
        )  # fmt: skip


def test_a_completed_survey_needs_the_overall_satisfaction(sessions, call):
    d, attempt_id = call
    survey = {"repair_3dc": {"fixed": "yes"}}
    assert refused_field(sessions, d, attempt_id, code="completed", answers=survey) == (
        "satisfaction"
    )


def test_a_reminder_call_without_a_rating_question_completes_without_one(sessions):
    d = seed(sessions)
    with session_scope(sessions) as s:
        for item in s.scalars(select(CallTask)).one().items:
            item.task_type = "maintenance"
    attempt_id = answered_call(sessions, d.agent)
    wrap(sessions, d, attempt_id, code="completed", answers={"maintenance": {"book": "no"}})
    assert the_task(sessions).status == TaskStatus.DONE


# ---------- each outcome code ----------


def test_a_refusal_closes_the_follow_up_and_it_is_never_planned_again(sessions, call):
    d, attempt_id = call
    wrap(sessions, d, attempt_id, code="refused")
    task = the_task(sessions)
    assert (task.status, task.closed_reason) == (TaskStatus.DONE, "refused")
    with session_scope(sessions) as s:
        plan_store(s, s.get_one(Store, d.store), NOW + timedelta(hours=1))
        assert s.query(CallTask).count() == 1


def test_call_back_later_books_a_callback_at_the_time_given(sessions, call):
    d, attempt_id = call
    wrap(sessions, d, attempt_id, code="call_back_later", callback_at="2026-11-20T19:00")
    task = the_task(sessions)
    assert task.status == TaskStatus.PENDING
    assert task.next_attempt_at == NOW.replace(day=20, hour=19)
    assert "callback" in task.types


def test_an_appointment_is_booked_for_a_day_today_or_later(sessions, call):
    d, attempt_id = call
    assert refused_field(sessions, d, attempt_id, code="appointment_booked") == "appointment_on"
    yesterday = (NOW - timedelta(days=1)).date().isoformat()
    assert (
        refused_field(sessions, d, attempt_id, code="appointment_booked", appointment_on=yesterday)
        == "appointment_on"
    )
    wrap(sessions, d, attempt_id, code="appointment_booked", appointment_on="2026-11-22")
    with session_scope(sessions) as s:
        assert s.scalars(select(Outcome)).one().appointment_on == date(2026, 11, 22)
    assert the_task(sessions).closed_reason == "appointment_booked"


def test_a_suggestion_is_written_down(sessions, call):
    d, attempt_id = call
    assert refused_field(sessions, d, attempt_id, code="suggestion") == "suggestion"
    wrap(sessions, d, attempt_id, code="suggestion", suggestion="休息区希望增加充电插座")
    with session_scope(sessions) as s:
        assert s.scalars(select(Outcome)).one().suggestion == "休息区希望增加充电插座"


def test_confirmed_churn_needs_where_the_customer_went_and_why(sessions, call):
    d, attempt_id = call
    assert refused_field(sessions, d, attempt_id, code="churn_confirmed") == "churn_direction"
    assert (
        refused_field(sessions, d, attempt_id, code="churn_confirmed", churn_direction="elsewhere")
        == "churn_direction"
    )
    assert (
        refused_field(
            sessions, d, attempt_id, code="churn_confirmed", churn_direction="roadside_shop"
        )
        == "churn_reason"
    )
    wrap(sessions, d, attempt_id, code="churn_confirmed", churn_direction="same_city_rival",
         churn_reason="price")  # fmt: skip
    with session_scope(sessions) as s:
        outcome = s.scalars(select(Outcome)).one()
        assert (outcome.churn_direction, outcome.churn_reason) == ("same_city_rival", "price")
    assert the_task(sessions).closed_reason == "churn_confirmed"


def test_the_wrong_person_marks_the_number_and_the_call_goes_on_with_the_next_one(sessions, call):
    d, attempt_id = call
    wrap(sessions, d, attempt_id, code="wrong_person")
    with session_scope(sessions) as s:
        dialled = s.get_one(CallAttempt, attempt_id).phone
        assert (dialled.e164, dialled.validity) == ("+8613800138000", PhoneValidity.WRONG)
        task = s.scalars(select(CallTask)).one()
        assert (task.status, task.next_attempt_at) == (TaskStatus.PENDING, NOW)
    second = answered_call(sessions, d.agent, NOW + timedelta(minutes=5))
    with session_scope(sessions) as s:
        assert s.get_one(CallAttempt, second).phone.e164 == "+8613900139000"


def test_the_wrong_person_on_the_last_number_closes_the_call_unreachable(sessions, call):
    d, attempt_id = call
    with session_scope(sessions) as s:
        s.scalars(select(Phone).where(Phone.e164 == "+8613900139000")).one().validity = "empty"
    wrap(sessions, d, attempt_id, code="wrong_person")
    task = the_task(sessions)
    assert (task.status, task.closed_reason) == (TaskStatus.UNREACHABLE, "wrong_person")


def test_do_not_call_withdraws_the_customers_call_consent(sessions, call):
    d, attempt_id = call
    wrap(sessions, d, attempt_id, code="do_not_call")
    with session_scope(sessions) as s:
        assert not consent.allows(s, d.customer, Channel.CALL, Purpose.SERVICE)
        assert not consent.allows(s, d.customer, Channel.CALL, Purpose.MARKETING)


# ---------- complaints ----------

WORDS = "结算比报价多了八百块，没人提前跟我说"


def test_a_complaint_needs_the_words_and_the_kind_of_issue(sessions, call):
    d, attempt_id = call
    assert refused_field(sessions, d, attempt_id, code="complaint") == "complaint_text"
    assert (
        refused_field(sessions, d, attempt_id, code="complaint", complaint_text=WORDS)
        == "complaint_category"
    )
    assert (
        refused_field(
            sessions,
            d,
            attempt_id,
            code="complaint",
            complaint_text=WORDS,
            complaint_category="rude",
        )  # fmt: skip
        == "complaint_category"
    )
    with session_scope(sessions) as s:
        assert s.query(Case).count() == 0


def test_a_6qs_complaint_opens_a_case_about_the_car_and_repair_order_followed_up(sessions, call):
    d, attempt_id = call
    survey = {"repair_3dc": {"cost_as_quoted": "no"}}
    wrap(sessions, d, attempt_id, code="complaint", complaint_text=WORDS,
         complaint_category="cost_above_quote", answers=survey)  # fmt: skip
    with session_scope(sessions) as s:
        case = s.scalars(select(Case)).one()
        assert (case.category, case.verbatim, case.status) == ("cost_above_quote", WORDS, "open")
        assert (case.customer_id, case.attempt_id, case.opened_at) == (d.customer, attempt_id, NOW)
        assert case.vehicle_id is not None
        assert case.owner_role == "service_manager" and case.opened_by_id == d.agent
        assert [e.kind for e in case.events] == ["opened"]
        assert s.get_one(RepairOrder, case.repair_order_id).ro_number == "RO-1"
    assert the_task(sessions).closed_reason == "complaint"


def test_each_service_manager_of_the_store_is_told_the_same_day_and_nobody_else(sessions, call):
    d, attempt_id = call
    wrap(sessions, d, attempt_id, code="complaint", complaint_text=WORDS,
         complaint_category="leftover_fault")  # fmt: skip
    with session_scope(sessions) as s:
        notices = s.scalars(select(Notice).order_by(Notice.user_id)).all()
        case = s.scalars(select(Case)).one()
        assert [n.user_id for n in notices] == sorted(d.managers)
        for notice in notices:
            assert notice.kind == "case_opened" and notice.read_at is None
            assert notice.created_at == NOW
            assert notice.payload["case_id"] == case.id
            assert notice.payload["category"] == "leftover_fault"
            assert notice.payload["verbatim"] == WORDS
            assert notice.payload["ro_number"] == "RO-1"
            assert notice.payload["customer_name"] == "张伟"


def test_an_inactive_service_manager_is_not_told(sessions, call):
    d, attempt_id = call
    with session_scope(sessions) as s:
        s.get_one(User, d.managers[0]).active = False
    wrap(
        sessions, d, attempt_id, code="complaint", complaint_text=WORDS, complaint_category="rework"
    )
    with session_scope(sessions) as s:
        assert [n.user_id for n in s.scalars(select(Notice))] == [d.managers[1]]


def test_a_complaint_that_is_not_a_6qs_issue_goes_to_the_centre_heads(sessions, call):
    d, attempt_id = call
    wrap(sessions, d, attempt_id, code="complaint", complaint_text="销售顾问态度不好",
         complaint_category="other")  # fmt: skip
    with session_scope(sessions) as s:
        assert s.scalars(select(Case.owner_role)).one() == "centre_head"
        told = sorted(n.user_id for n in s.scalars(select(Notice)))
        assert told == sorted([d.managers[1], d.others["centre_head"]])  # 钱经理 is both


def test_wrapping_up_twice_records_once_and_opens_one_case(sessions, call):
    d, attempt_id = call
    data = {"code": "complaint", "complaint_text": WORDS, "complaint_category": "late_delivery"}
    wrap(sessions, d, attempt_id, **data)
    with pytest.raises(DomainError) as err, session_scope(sessions) as s:
        desk.wrap_up(s, d.agent, {"attempt_id": attempt_id, **data}, NOW)
    assert err.value.code == "outcome_final"
    with session_scope(sessions) as s:
        assert s.query(Case).count() == 1 and s.query(Notice).count() == 2
        assert s.query(Outcome).count() == 1


def test_the_agent_is_told_which_case_the_complaint_opened(sessions, call):
    d, attempt_id = call
    wrap(sessions, d, attempt_id, code="complaint", complaint_text=WORDS,
         complaint_category="part_out_of_stock")  # fmt: skip
    with session_scope(sessions) as s:
        opened, notices = cases_opened(s, attempt_id, "zh_Hans")
    assert [(c["category"], c["category_label"]) for c in opened] == [
        ("part_out_of_stock", "配件缺货")
    ]
    assert sorted(n["user_id"] for n in notices) == sorted(d.managers)


def test_the_next_call_shows_the_open_case_and_the_visits_6qs_flag(sessions, call):
    d, attempt_id = call
    wrap(sessions, d, attempt_id, code="complaint", complaint_text=WORDS,
         complaint_category="not_fixed_first_time")  # fmt: skip
    with session_scope(sessions) as s:
        task = s.scalars(select(CallTask)).one()
        task.status, task.next_attempt_at = TaskStatus.PENDING, NOW
    later = answered_call(sessions, d.agent, NOW + timedelta(minutes=30))
    with session_scope(sessions) as s:
        data = screen_pop(s, later, "zh_Hans", NOW)
    assert [c["category_label"] for c in data["cases"]] == ["一次交付不合格"]
    assert data["cases"][0]["status"] == CaseStatus.OPEN
    assert data["customer"]["visits"][0]["six_qs_labels"] == ["一次交付不合格"]
    assert data["history"][0]["code"] == "complaint"
