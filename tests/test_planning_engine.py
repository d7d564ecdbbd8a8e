"""The planning engine end to end (schedulers/planner.py over owed.py and facts.py), on SQLite
and PostgreSQL: what the archive owes becomes calls, one per customer where the follow-ups'
spans overlap, within the contact cap, the calling windows and the statutory calendar.

The Suzhou store calls 09:00-12:00 and 14:00-20:30. It is Thursday 2026-11-19, 10:00 unless a
test says otherwise. 张伟 buys and services his car there; 王芳 only takes calls in the evening
and never on Thursdays; 李强 has not been seen since August.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from schedulers.owed import RuleSet
from schedulers.planner import plan_store, task_summary
from storage import consent
from storage.codes import RepairType, TaskStatus, TaskType
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.models import CallTask, Delivery, RepairOrder, TaskItem, Vehicle
from storage.models.base import Base
from storage.settings import save_settings
from tests import personas

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 19, 10, 0, tzinfo=SH)  # a Thursday
EVENTS = frozenset({RuleSet.EVENTS})
CALENDAR = frozenset({RuleSet.CALENDAR})


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def migrated_url(request, tmp_path_factory) -> str:
    """One migrated database per backend for this module (migrating costs more than a test)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('planning') / 'huifang.db'}"
    else:
        url = request.getfixturevalue("pg_database")
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        engine.dispose()
    upgrade(url)
    return url


@pytest.fixture
def db_url(migrated_url) -> str:
    """conftest's empty database, emptied rather than migrated again for each test."""
    engine = make_engine(migrated_url)
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    engine.dispose()
    return migrated_url


def at(m, d, hh=0, mm=0, ss=0, y=2026) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=SH)


def end_of(m, d, y=2026) -> datetime:
    return at(m, d, 23, 59, 59, y=y)


# --- the archive --------------------------------------------------------------------------------


def car(s, owner, vin="LFV2A21K8N3000001", plate="苏E3K8Z2", delivered_on=None, **facts):
    v = personas.car(s, owner, vin=vin, plate=plate)
    v.delivered_on = delivered_on
    for name, value in facts.items():
        setattr(v, name, value)
    s.flush()
    return v


def deliver(s, v: Vehicle, on: date, at_time: datetime | None = None) -> Delivery:
    """A sales delivery; ``at_time`` only when the DMS gave the time of day."""
    v.delivered_on, v.delivered_at = on, at_time
    d = Delivery(
        store_id=v.store_id,
        vehicle_id=v.id,
        customer_id=v.customer_id,
        delivered_on=on,
        delivered_at=at_time,
    )
    s.add(d)
    s.flush()
    return d


def visit(s, v: Vehicle, number, opened, closed=None, kind=RepairType.MAINTENANCE, km=None):
    """A workshop visit, closed the same afternoon unless told otherwise."""
    ro = RepairOrder(
        store_id=v.store_id,
        ro_number=number,
        vin=v.vin,
        vehicle_id=v.id,
        customer_id=v.customer_id,
        opened_at=opened,
        closed_at=closed or opened + timedelta(hours=6),
        ro_type=kind,
        odometer_km=km,
    )
    s.add(ro)
    s.flush()
    return ro


def called(s, store, customer, closed_at: datetime, kind=TaskType.REPAIR_3DC, reason="done"):
    """A call already made (and closed) to ``customer``."""
    task = CallTask(
        store_id=store.id,
        customer_id=customer.id,
        status=TaskStatus.DONE,
        due_at=closed_at - timedelta(hours=1),
        deadline_at=closed_at + timedelta(days=2),
        next_attempt_at=closed_at - timedelta(hours=1),
        attempts=1,
        closed_at=closed_at,
        closed_reason=reason,
    )
    task.items.append(
        TaskItem(
            store_id=store.id,
            task_type=kind,
            source_ref="ro:RO-2026-0917",
            due_at=task.due_at,
            deadline_at=task.deadline_at,
        )
    )
    s.add(task)
    s.flush()
    return task


def serviced_in_may(s, owner, plate="苏E3K8Z2"):
    """A car driven little (bought 2024-05-20, 5,000 km at its 2026-05-20 service): its next
    maintenance reminder comes by months, due 2026-11-20 09:00, deadline 2026-12-20."""
    v = car(s, owner, plate=plate, delivered_on=date(2024, 5, 20))
    visit(s, v, "RO-2026-0520", at(5, 20, 10), km=5000)
    return v


def planned(s) -> list[CallTask]:
    """Every call in the queue, in the order of their first attempts."""
    return list(s.scalars(select(CallTask).order_by(CallTask.next_attempt_at, CallTask.id)))


def open_calls(s) -> list[CallTask]:
    return [t for t in planned(s) if t.status == TaskStatus.PENDING]


def item_of(s, kind: TaskType) -> TaskItem | None:
    return s.scalar(select(TaskItem).where(TaskItem.task_type == kind))


def count(s, model) -> int:
    return s.scalar(select(func.count()).select_from(model))


# --- the delivery sequence ----------------------------------------------------------------------


def test_a_timed_delivery_gives_a_care_call_a_3dc_and_a_7dc_as_three_calls(sessions):
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        zhang = personas.customer(s, store)
        deliver(s, car(s, zhang), date(2026, 11, 19), at(11, 19, 9, 30))
        plan_store(s, store, NOW)
        calls = planned(s)
        assert [c.types for c in calls] == [["delivery_care"], ["sales_3dc"], ["sales_7dc"]]
        care, three, seven = calls
        assert (care.due_at, care.deadline_at, care.next_attempt_at) == (
            at(11, 19, 10, 30),
            at(11, 19, 11, 30),
            at(11, 19, 10, 30),
        )
        assert (three.due_at, three.deadline_at) == (at(11, 20, 9), end_of(11, 22))
        assert (seven.due_at, seven.deadline_at) == (at(11, 24, 9), end_of(11, 26))
        assert three.next_attempt_at == at(11, 20, 9) and seven.next_attempt_at == at(11, 24, 9)


def test_a_delivery_late_in_the_evening_merges_its_care_call_into_the_3dc_next_morning(
    sessions,
):
    # Delivered 19:50: the care call's deadline moves out of the quiet night to 10:00 the
    # next day, so its span overlaps the 3DC's (from 09:00): DOMAIN.md makes them one call.
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        zhang = personas.customer(s, store)
        deliver(s, car(s, zhang), date(2026, 11, 18), at(11, 18, 19, 50))
        plan_store(s, store, at(11, 18, 20, 0))
        morning, seven = planned(s)
        assert morning.types == ["delivery_care", "sales_3dc"]
        assert (morning.due_at, morning.deadline_at) == (at(11, 18, 20, 50), at(11, 19, 10))
        assert morning.next_attempt_at == at(11, 19, 9)
        assert seven.types == ["sales_7dc"]


def test_a_delivery_without_a_time_of_day_gets_no_care_call(sessions):
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        deliver(s, car(s, personas.customer(s, store)), date(2026, 11, 18))
        plan_store(s, store, NOW)
        assert [c.types for c in planned(s)] == [["sales_3dc"], ["sales_7dc"]]


# --- merging ------------------------------------------------------------------------------------


def test_a_repair_3dc_and_a_maintenance_reminder_with_overlapping_spans_are_one_call(sessions):
    # DOMAIN.md's example: repair 3DC due 11-19..11-21, maintenance due 11-20..12-20.
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        zhang = personas.customer(s, store)
        v = serviced_in_may(s, zhang)
        visit(s, v, "RO-2026-1118", at(11, 18, 11), at(11, 18, 16, 40), RepairType.REPAIR)
        plan_store(s, store, NOW)
        [call] = planned(s)
        assert call.types == ["repair_3dc", "maintenance"]  # the earliest due first
        assert (call.due_at, call.deadline_at) == (at(11, 19, 9), end_of(11, 21))
        assert call.next_attempt_at.astimezone(SH).date() == date(2026, 11, 19)
        maintenance = item_of(s, TaskType.MAINTENANCE)
        assert (maintenance.due_at, maintenance.deadline_at) == (at(11, 20, 9), end_of(12, 20))
        assert json.loads(maintenance.reason) == {
            "why": "maintenance_months",
            "months": 6,
            "last": "2026-05-20",
        }


def test_follow_ups_whose_spans_do_not_overlap_stay_separate_calls(sessions):
    # The repair 3DC ends 11-21; the renewal of a policy expiring 2027-01-09 is due 11-25.
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        v = car(s, personas.customer(s, store), insurance_expiry=date(2027, 1, 9))
        visit(s, v, "RO-2026-1118", at(11, 18, 11), at(11, 18, 16, 40), RepairType.REPAIR)
        plan_store(s, store, NOW)
        repair, insurance = planned(s)
        assert (repair.types, insurance.types) == (["repair_3dc"], ["insurance_renewal"])
        assert (insurance.due_at, insurance.deadline_at) == (at(11, 25, 9), end_of(1, 2, 2027))
        assert insurance.next_attempt_at == at(11, 25, 9)


# --- the contact cap ----------------------------------------------------------------------------


def test_a_customer_called_yesterday_gets_the_next_follow_up_three_days_after_that_call(
    sessions,
):
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        zhang = personas.customer(s, store)
        called(s, store, zhang, at(11, 18, 15, 0))
        serviced_in_may(s, zhang)
        plan_store(s, store, NOW)
        [reminder] = open_calls(s)
        assert reminder.types == ["maintenance"]
        assert reminder.due_at == at(11, 20, 9)
        assert reminder.next_attempt_at == at(11, 21, 15, 0)


def test_a_follow_up_merged_into_a_waiting_call_does_not_pull_it_inside_the_cap(sessions):
    # run 1 places the maintenance call 3 days after yesterday's call; a repair order closing
    # later joins it: the call still waits for the cap, it is not pulled forward to 11-20 09:00
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        zhang = personas.customer(s, store)
        called(s, store, zhang, at(11, 18, 15, 0))
        serviced_in_may(s, zhang)
        plan_store(s, store, NOW)
        second = car(s, zhang, vin="LFV2A21K8N3000002", plate="苏E9X123")
        visit(s, second, "RO-2026-1119", at(11, 19, 8), at(11, 19, 9), RepairType.REPAIR)
        plan_store(s, store, NOW + timedelta(minutes=5))
        [call] = open_calls(s)
        assert call.types == ["maintenance", "repair_3dc"]
        assert call.next_attempt_at == at(11, 21, 15, 0)


def test_the_contact_cap_gives_way_to_a_deadline_it_would_miss(sessions):
    # called 11-19 09:30: the cap would hold the repair 3DC (due 11-19 09:00, deadline 11-21
    # 23:59:59) until 11-22 09:30, after its deadline; the deadline wins
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        zhang = personas.customer(s, store)
        called(s, store, zhang, at(11, 19, 9, 30))
        v = car(s, zhang)
        visit(s, v, "RO-2026-1118", at(11, 18, 11), at(11, 18, 16, 40), RepairType.REPAIR)
        plan_store(s, store, NOW)
        [call] = open_calls(s)
        assert call.deadline_at == end_of(11, 21)
        assert call.next_attempt_at <= call.deadline_at
        assert call.next_attempt_at == at(11, 19, 9)  # its due time: tried now, not never


def test_the_delivery_sequence_is_not_held_back_by_the_contact_cap(sessions):
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        zhang = personas.customer(s, store)
        called(s, store, zhang, at(11, 18, 15, 0))
        deliver(s, car(s, zhang), date(2026, 11, 19), at(11, 19, 9, 30))
        plan_store(s, store, NOW)
        care, three, seven = open_calls(s)
        assert care.next_attempt_at == at(11, 19, 10, 30)
        assert three.next_attempt_at == at(11, 20, 9)
        assert seven.next_attempt_at == at(11, 24, 9)


# --- consent and refusals -----------------------------------------------------------------------


def test_a_customer_who_withdrew_consent_to_service_calls_is_not_planned(sessions):
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        zhang = personas.customer(s, store)
        v = car(s, zhang)
        visit(s, v, "RO-2026-1118", at(11, 18, 11), at(11, 18, 16, 40), RepairType.REPAIR)
        deliver(s, car(s, zhang, vin="LFV2A21K8N3000002"), date(2026, 11, 18), at(11, 18, 10))
        channel, purpose = consent.Channel.CALL, consent.Purpose.SERVICE
        consent.record(s, zhang.id, channel, purpose, False, source="call", at=at(11, 1, 10))
        result = plan_store(s, store, NOW)
        assert result.tasks == [] and count(s, CallTask) == 0 and count(s, TaskItem) == 0


def test_a_follow_up_the_customer_refused_is_never_planned_again(sessions):
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        zhang = personas.customer(s, store)
        v = car(s, zhang)
        visit(s, v, "RO-2026-1118", at(11, 18, 11), at(11, 18, 16, 40), RepairType.REPAIR)
        [call] = plan_store(s, store, NOW).tasks
        call.status, call.closed_at, call.closed_reason = TaskStatus.DONE, NOW, "refused"
    with session_scope(sessions) as s:
        store = s.merge(store)
        assert plan_store(s, store, NOW + timedelta(days=1)).tasks == []
        assert count(s, TaskItem) == 1 and open_calls(s) == []


# --- horizon and lateness -----------------------------------------------------------------------


def test_nothing_is_planned_whose_deadline_passed_more_than_seven_days_ago_and_late_is_overdue(
    sessions,
):
    # Imported on 11-19, a delivery of 11-08: its 3DC ended 11-11 (8 days ago, dropped); its
    # 7DC ended 11-15 (4 days ago): planned, and overdue.
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        deliver(s, car(s, personas.customer(s, store)), date(2026, 11, 8))
        [late] = plan_store(s, store, NOW).tasks
        assert late.types == ["sales_7dc"]
        assert late.deadline_at == end_of(11, 15)
        assert task_summary(late, SH, NOW)["overdue"] is True


# --- calling windows and the calendar -----------------------------------------------------------


def test_a_call_due_in_the_lunch_break_is_first_tried_when_the_afternoon_window_opens(sessions):
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        deliver(s, car(s, personas.customer(s, store)), date(2026, 11, 19), at(11, 19, 11, 30))
        plan_store(s, store, at(11, 19, 12, 0))
        care = planned(s)[0]
        assert care.types == ["delivery_care"]
        assert care.due_at == at(11, 19, 12, 30)
        assert care.next_attempt_at == at(11, 19, 14, 0)
        assert care.deadline_at == at(11, 19, 15, 0)


def test_a_call_due_on_national_day_is_first_tried_on_the_first_working_day_after(sessions):
    # Insurance expiring 2026-11-15 is due 2026-10-01 09:00; 10-01..10-07 are holidays.
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        car(s, personas.customer(s, store), insurance_expiry=date(2026, 11, 15))
        [call] = plan_store(s, store, at(9, 28, 10)).tasks
        assert call.types == ["insurance_renewal"]
        assert call.due_at == at(10, 1, 9)
        assert call.deadline_at == end_of(11, 8)  # holidays never move a deadline
        assert call.next_attempt_at == at(10, 8, 9)


def test_a_customer_own_calling_times_and_blocked_weekday_are_respected(sessions):
    # 王芳 takes calls 19:00-20:30 and never on Thursdays: her repair 3DC, due Thursday 09:00,
    # is first tried on Friday at 19:00.
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        wang = personas.customer(s, store, name="王芳", gender="F", phones=("+8613900139000",))
        wang.call_windows, wang.blocked_days = "19:00-20:30", "4"
        v = car(s, wang)
        visit(s, v, "RO-2026-1118", at(11, 18, 11), at(11, 18, 16, 40), RepairType.REPAIR)
        [call] = plan_store(s, store, NOW).tasks
        assert call.due_at == at(11, 19, 9)
        assert call.next_attempt_at == at(11, 20, 19, 0)


def test_a_store_own_settings_change_when_a_follow_up_falls_due_and_when_it_is_tried(sessions):
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        save_settings(
            s, store.id, {"repair_3dc.due_day": "2", "calling.windows": "10:00-12:00"}, None, NOW
        )
        v = car(s, personas.customer(s, store))
        visit(s, v, "RO-2026-1118", at(11, 18, 11), at(11, 18, 16, 40), RepairType.REPAIR)
        [call] = plan_store(s, store, NOW).tasks
        assert (call.due_at, call.deadline_at) == (at(11, 20, 9), end_of(11, 21))
        assert call.next_attempt_at == at(11, 20, 10)


# --- the calendar rules through the archive -----------------------------------------------------


def test_an_unserviced_new_car_owes_a_first_service_reminder_and_its_first_periodic_call(sessions):
    # Delivered 2026-08-20: first service expected 11-20 (three months come before 5,000 km),
    # reminder due 10-21, deadline 12-04; periodic call 1 due 11-20: one call.
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        deliver(s, car(s, personas.customer(s, store)), date(2026, 8, 20))
        [call] = plan_store(s, store, NOW, CALENDAR).tasks
        assert call.types == ["first_maintenance", "periodic_sales"]
        first = item_of(s, TaskType.FIRST_MAINTENANCE)
        assert (first.due_at, first.deadline_at) == (at(10, 21, 9), end_of(12, 4))
        periodic = item_of(s, TaskType.PERIODIC_SALES)
        assert periodic.source_ref == "delivery:LFV2A21K8N3000001:2026-08-20:1"
        assert (periodic.due_at, periodic.deadline_at) == (at(11, 20, 9), end_of(12, 4))


def test_a_new_car_driven_hard_is_reminded_of_its_first_service_by_its_own_odometer(sessions):
    # Delivered 2026-10-20; a repair visit on 11-18 read 4,500 km: 5,000 km by 12-01 (at the
    # store's 40 km a day from that reading), before three months: due 11-01, deadline 12-15.
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        v = car(s, personas.customer(s, store))
        deliver(s, v, date(2026, 10, 20))
        visit(s, v, "RO-2026-1118", at(11, 18, 11), at(11, 18, 16), RepairType.REPAIR, km=4500)
        [call] = plan_store(s, store, NOW, CALENDAR).tasks
        assert call.types == ["first_maintenance"]
        first = item_of(s, TaskType.FIRST_MAINTENANCE)
        assert (first.due_at, first.deadline_at) == (at(11, 1, 9), end_of(12, 15))
        assert json.loads(first.reason)["expected"] == "2026-12-01"


def test_a_car_that_only_came_for_repairs_is_reminded_when_it_nears_its_next_service(sessions):
    # Delivered 2025-06-01, never serviced here; a repair on 2026-10-01 read 19,000 km: 39 km a
    # day, so 19,500 km (the 20,000 km band) on 10-14. Its deadline (11-13) passed within the
    # horizon: planned, overdue.
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        v = car(s, personas.customer(s, store))
        deliver(s, v, date(2025, 6, 1))
        visit(s, v, "RO-2026-1001", at(10, 1, 10), at(10, 1, 16), RepairType.REPAIR, km=19000)
        plan_store(s, store, NOW, CALENDAR)
        reminder = item_of(s, TaskType.MAINTENANCE)
        assert reminder.source_ref == "service:LFV2A21K8N3000001:RO-2026-1001"
        assert (reminder.due_at, reminder.deadline_at) == (at(10, 14, 9), end_of(11, 13))
        assert json.loads(reminder.reason) == {
            "why": "maintenance_km",
            "km": 19500,
            "last": "2026-10-01",
        }


def test_a_car_never_seen_since_its_delivery_is_reminded_six_months_after_it(sessions):
    # Delivered 2026-05-15 and never back: the first-service reminder's time is long past;
    # six months after the delivery (before 9,500 km at 40 km a day): due 11-15. One call with
    # the churn survey (180 days after the delivery: 11-11) and the second periodic call.
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        deliver(s, car(s, personas.customer(s, store)), date(2026, 5, 15))
        [call] = plan_store(s, store, NOW, CALENDAR).tasks
        assert call.types == ["churn_survey", "maintenance", "periodic_sales"]
        reminder = item_of(s, TaskType.MAINTENANCE)
        assert reminder.source_ref == "service:LFV2A21K8N3000001:delivery"
        assert (reminder.due_at, reminder.deadline_at) == (at(11, 15, 9), end_of(12, 15))
        assert json.loads(reminder.reason)["why"] == "maintenance_months"


def test_a_car_serviced_without_an_odometer_reading_is_reminded_six_months_later(sessions):
    # Bought elsewhere, serviced here on 2026-05-02 with no km on the repair order: nothing
    # to estimate its mileage from, so no band, no made-up km; six months: due 11-02.
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        v = car(s, personas.customer(s, store))
        visit(s, v, "RO-2026-0502", at(5, 2, 10))
        [call] = plan_store(s, store, NOW, CALENDAR).tasks
        assert call.types == ["maintenance"]
        assert (call.due_at, call.deadline_at) == (at(11, 2, 9), end_of(12, 2))
        reason = json.loads(call.items[0].reason)
        assert reason == {"why": "maintenance_months", "months": 6, "last": "2026-05-02"}


# --- the quasi-churn survey ---------------------------------------------------------------------


def li_qiang_last_seen_in_august(s, store, plate="苏E7Q2M8", delivered=date(2024, 3, 1)):
    """李强: car delivered long ago, last serviced 2026-08-22 at 30,000 km; 90 days without a
    visit on 11-20."""
    li = personas.customer(s, store, name="李强", phones=("+8613700137000",))
    v = car(s, li, vin="LFV2A21K8N3000003", plate=plate)
    deliver(s, v, delivered)
    visit(s, v, "RO-2026-0822", at(8, 22, 10), km=30000)
    return li


def test_a_customer_not_seen_for_ninety_days_gets_a_churn_survey(sessions):
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        li_qiang_last_seen_in_august(s, store)
        [call] = plan_store(s, store, NOW, CALENDAR).tasks
        assert call.types == ["churn_survey"]
        assert (call.due_at, call.deadline_at) == (at(11, 20, 9), end_of(12, 4))
        survey = item_of(s, TaskType.CHURN_SURVEY)
        assert json.loads(survey.reason) == {"why": "no_visit", "last": "2026-08-22", "days": 90}


def test_a_customer_delivered_in_the_last_180_days_gets_no_churn_survey_yet(sessions):
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        li_qiang_last_seen_in_august(s, store, delivered=date(2026, 6, 1))
        plan_store(s, store, NOW, CALENDAR)
        assert item_of(s, TaskType.CHURN_SURVEY) is None


def test_a_customer_who_stopped_coming_while_new_is_surveyed_once_no_longer_new(sessions):
    # Delivered 2026-06-01, first service 07-01, never again: 90 days without a visit on 09-29,
    # while still new; the survey falls due when the delivery is 180 days old, 11-28.
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        zhao = personas.customer(s, store, name="赵敏", gender="F", phones=("+8613600136000",))
        v = car(s, zhao)
        deliver(s, v, date(2026, 6, 1))
        visit(s, v, "RO-2026-0701", at(7, 1, 10), km=1200)
        plan_store(s, store, NOW, CALENDAR)
        assert item_of(s, TaskType.CHURN_SURVEY) is None
        plan_store(s, store, at(11, 28, 10), CALENDAR)
        survey = item_of(s, TaskType.CHURN_SURVEY)
        assert (survey.due_at, survey.deadline_at) == (at(11, 28, 9), end_of(12, 12))
        assert json.loads(survey.reason)["days"] == 150


def test_a_passing_car_with_a_plate_from_elsewhere_gets_no_churn_survey(sessions):
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        save_settings(s, store.id, {"churn.local_plate_prefixes": "苏E, 苏U"}, None, NOW)
        li = li_qiang_last_seen_in_august(s, store, plate="沪A12345")
        plan_store(s, store, NOW, CALENDAR)
        assert item_of(s, TaskType.CHURN_SURVEY) is None
        li.vehicles[0].plate = "苏E7Q2M8"  # re-registered locally: now he is a local customer
        plan_store(s, store, NOW, CALENDAR)
        assert item_of(s, TaskType.CHURN_SURVEY) is not None


# --- idempotency and rule sets ------------------------------------------------------------------


def test_planning_again_creates_nothing_new_for_any_rule(sessions):
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        zhang = personas.customer(s, store)
        v = serviced_in_may(s, zhang)
        v.insurance_expiry = date(2026, 12, 31)
        visit(s, v, "RO-2026-1118", at(11, 18, 11), at(11, 18, 16, 40), RepairType.REPAIR)
        deliver(s, car(s, zhang, vin="LFV2A21K8N3000002"), date(2026, 11, 19), at(11, 19, 9, 30))
        li_qiang_last_seen_in_august(s, store)
        sun = personas.customer(s, store, name="孙丽", gender="F", phones=("+8613500135000",))
        deliver(s, car(s, sun, vin="LFV2A21K8N3000004"), date(2026, 8, 20))
        first = plan_store(s, store, NOW)
        kinds = {i.task_type for t in first.tasks for i in t.items}
        # not from the archive: booked callbacks, case follow-ups and event invitations
        assert kinds == set(TaskType) - {
            TaskType.CALLBACK, TaskType.CASE_FOLLOWUP, TaskType.EVENT_INVITATION
        }  # fmt: skip
        calls, items = count(s, CallTask), count(s, TaskItem)
    with session_scope(sessions) as s:
        again = plan_store(s, s.merge(store), NOW + timedelta(minutes=5))
        assert (again.tasks, again.items) == ([], 0)
        assert (count(s, CallTask), count(s, TaskItem)) == (calls, items)


def test_the_event_rules_and_the_calendar_rules_run_apart(sessions):
    # Events (every few minutes): deliveries and closed repair orders. Calendar (nightly):
    # here the insurance renewal, which then joins the repair call its span overlaps.
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        v = car(s, personas.customer(s, store), insurance_expiry=date(2026, 12, 31))
        visit(s, v, "RO-2026-1118", at(11, 18, 11), at(11, 18, 16, 40), RepairType.REPAIR)
        events = plan_store(s, store, NOW, EVENTS)
        assert [t.types for t in events.tasks] == [["repair_3dc"]]
        calendar = plan_store(s, store, NOW, CALENDAR)
        assert calendar.items == 1
        assert [t.types for t in calendar.tasks] == [["insurance_renewal", "repair_3dc"]]
        assert count(s, CallTask) == 1
