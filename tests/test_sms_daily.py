"""The daily SMS job: each standing campaign, approved once, gets the day's send of its own:
birthdays, holidays by the lunar calendar (Women's Day for women only), maintenance and
insurance reminders the planner made due, and the repair follow-ups that reached nobody."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from schedulers.occasions import birthday_today, lunar_date, occasions_on
from schedulers.sms_daily import daily
from storage.codes import ClosedReason, TaskStatus, TaskType
from storage.db import session_scope
from storage.models import CallTask, Customer, SmsCampaign, SmsOutbox, TaskItem, Vehicle
from storage.sms.codes import Audience, CampaignState, Kind, Occasion, purpose_of
from tests import sms_seed


@pytest.mark.parametrize(
    ("day", "occasion"),
    [(date(2026, 2, 17), Occasion.SPRING_FESTIVAL), (date(2027, 2, 6), Occasion.SPRING_FESTIVAL),
     (date(2026, 3, 3), Occasion.LANTERN_FESTIVAL), (date(2027, 2, 20), Occasion.LANTERN_FESTIVAL),
     (date(2026, 3, 8), Occasion.WOMENS_DAY), (date(2026, 5, 1), Occasion.MAY_DAY),
     (date(2026, 10, 1), Occasion.NATIONAL_DAY), (date(2027, 1, 1), Occasion.NEW_YEAR)],
)  # fmt: skip
def test_each_occasion_falls_on_its_day_lunar_festivals_by_the_lunar_calendar(day, occasion):
    assert occasion in occasions_on(day)
    assert occasion not in occasions_on(day + timedelta(days=1))


def test_the_lantern_festival_is_fourteen_days_after_the_spring_festival():
    for year in range(2026, 2031):
        assert lunar_date(year, 1, 15) - lunar_date(year, 1, 1) == timedelta(days=14)


def test_a_leap_day_birthday_is_greeted_on_the_28th_in_other_years():
    assert birthday_today(date(2000, 2, 29), date(2027, 2, 28))
    assert not birthday_today(date(2000, 2, 29), date(2028, 2, 28))
    assert birthday_today(date(2000, 2, 29), date(2028, 2, 29))


def _standing(s, shop, kind, body, occasion=None, language="zh_Hans") -> int:
    c = SmsCampaign(
        store_id=shop.id, name=f"每日{kind}", kind=kind, occasion=occasion,
        purpose=purpose_of(kind), body=body, audience=Audience.AUTO, state=CampaignState.APPROVED,
        language=language,
    )  # fmt: skip
    s.add(c)
    s.flush()
    return c.id


def _queued(sessions, parent_id: int) -> list[str]:
    with session_scope(sessions) as s:
        child = s.scalars(select(SmsCampaign.id).where(SmsCampaign.parent_id == parent_id)).all()
        return list(
            s.scalars(
                select(SmsOutbox.body)
                .where(SmsOutbox.campaign_id.in_(child), SmsOutbox.state == "queued")
                .order_by(SmsOutbox.id)
            )
        )


def test_womens_day_greets_the_women_with_consent_once_however_often_the_job_runs(sessions):
    at = datetime(2026, 3, 8, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai
    with session_scope(sessions) as s:
        shop = sms_seed.store(s, window="09:00-20:00")
        sms_seed.customers(s, shop, 4)  # 张 M, 王 F, 李 M, 赵 F
        parent = _standing(s, shop, Kind.HOLIDAY, "{customer}，节日快乐！", Occasion.WOMENS_DAY)
        new_year = _standing(s, shop, Kind.HOLIDAY, "新年快乐", Occasion.NEW_YEAR)
    with session_scope(sessions) as s:
        assert list(daily(s, at).values()) == [2]
    with session_scope(sessions) as s:
        assert daily(s, at + timedelta(hours=2)) == {}
    assert _queued(sessions, parent) == [
        "【姑苏汽车】王女士，节日快乐！回T退订", "【姑苏汽车】赵女士，节日快乐！回T退订",
    ]  # fmt: skip
    assert _queued(sessions, new_year) == []
    with session_scope(sessions) as s:
        child = s.scalars(select(SmsCampaign).where(SmsCampaign.parent_id == parent)).one()
        assert child.send_at == datetime(2026, 3, 8, 1, 0, tzinfo=UTC)  # the SMS window opens


def test_birthday_greetings_go_to_todays_birthdays(sessions):
    with session_scope(sessions) as s:
        shop = sms_seed.store(s)
        ids = sms_seed.customers(s, shop, 3)
        s.get_one(Customer, ids[0]).birthday = date(1990, 11, 19)
        s.get_one(Customer, ids[1]).birthday = date(1985, 11, 20)
        parent = _standing(s, shop, Kind.BIRTHDAY, "{customer}，生日快乐！")
    with session_scope(sessions) as s:
        daily(s, datetime(2026, 11, 19, 0, 0, tzinfo=UTC))
    assert _queued(sessions, parent) == ["【姑苏汽车】张先生，生日快乐！回T退订"]


def _task(
    s, shop, customer_id, task_type, status, due, vehicle_id=None, closed=None, reason=None,
    deadline=None,
) -> None:  # fmt: skip
    deadline = deadline or due + timedelta(days=30)
    task = CallTask(store_id=shop.id, customer_id=customer_id, status=status, due_at=due,
                    deadline_at=deadline, next_attempt_at=due, closed_at=closed,
                    closed_reason=reason)  # fmt: skip
    s.add(task)
    s.flush()
    s.add(TaskItem(store_id=shop.id, task_id=task.id, task_type=task_type, source_ref=f"t{task.id}",
                   vehicle_id=vehicle_id, due_at=due, deadline_at=deadline))  # fmt: skip


def test_reminders_name_the_car_and_the_date_and_the_unreachable_hear_from_the_store(sessions):
    now = datetime(2026, 11, 19, 1, 0, tzinfo=UTC)
    with session_scope(sessions) as s:
        shop = sms_seed.store(s)
        ids = sms_seed.customers(s, shop, 3, marketing=False)
        car = Vehicle(store_id=shop.id, customer_id=ids[0], vin="LVSHCAMB1CE000001",
                      plate="苏E12345", model="K5", insurance_expiry=date(2027, 1, 2))  # fmt: skip
        s.add(car)
        s.flush()
        _task(s, shop, ids[0], TaskType.MAINTENANCE, TaskStatus.PENDING, now, car.id)
        _task(s, shop, ids[1], TaskType.MAINTENANCE, TaskStatus.PENDING, now + timedelta(days=2))
        _task(s, shop, ids[0], TaskType.INSURANCE_RENEWAL, TaskStatus.PENDING, now, car.id)
        _task(s, shop, ids[2], TaskType.REPAIR_3DC, TaskStatus.UNREACHABLE, now - timedelta(days=3),
              closed=now - timedelta(hours=5), reason=ClosedReason.UNREACHABLE)  # fmt: skip
        upkeep = _standing(
            s, shop, Kind.MAINTENANCE, "{customer}，您的{car}（{plate}）保养时间为{date}。"
        )
        cover = _standing(s, shop, Kind.INSURANCE, "{customer}，{plate}的保险{date}到期。")
        missed = _standing(
            s, shop, Kind.UNREACHABLE, "{customer}，我们回访未能联系上您，欢迎致电{hotline}。"
        )
    with session_scope(sessions) as s:
        daily(s, now)
    assert _queued(sessions, upkeep) == [
        "【姑苏汽车】张先生，您的K5（苏E12345）保养时间为11月19日。"
    ]
    assert _queued(sessions, cover) == ["【姑苏汽车】张先生，苏E12345的保险1月2日到期。"]
    assert _queued(sessions, missed) == [
        "【姑苏汽车】李先生，我们回访未能联系上您，欢迎致电0512-6000-8000。"
    ]


def test_only_follow_ups_that_ran_out_of_tries_or_time_get_the_could_not_reach_you_sms(sessions):
    """A call closed because the customer refused it, withdrew consent, had no usable number or
    was the wrong person also has the status ``unreachable``; none of them is "we could not
    reach you", and telling them so would be wrong (or unwanted)."""
    now = datetime(2026, 11, 19, 1, 0, tzinfo=UTC)
    reasons = [ClosedReason.UNREACHABLE, ClosedReason.REJECTED, ClosedReason.NO_CONSENT,
               ClosedReason.NO_VALID_PHONE, ClosedReason.WRONG_PERSON]  # fmt: skip
    with session_scope(sessions) as s:
        shop = sms_seed.store(s)
        ids = sms_seed.customers(s, shop, len(reasons), marketing=False)
        for customer_id, reason in zip(ids, reasons, strict=True):
            closed = now - timedelta(hours=5)
            _task(s, shop, customer_id, TaskType.REPAIR_3DC, TaskStatus.UNREACHABLE,
                  now - timedelta(days=3), closed=closed, reason=reason)  # fmt: skip
        missed = _standing(s, shop, Kind.UNREACHABLE, "{customer}，我们回访未能联系上您。")
    with session_scope(sessions) as s:
        daily(s, now)
    assert _queued(sessions, missed) == ["【姑苏汽车】张先生，我们回访未能联系上您。"]


def test_holiday_greetings_go_to_companies_by_name_but_womens_day_only_to_women(sessions):
    at = datetime(2026, 3, 8, 0, 30, tzinfo=UTC)
    with session_scope(sessions) as s:
        shop = sms_seed.store(s)
        sms_seed.customers(s, shop, 2)  # 张 M, 王 F
        fleet = sms_seed.customers(s, shop, 1, start=10)[0]
        company = s.get_one(Customer, fleet)
        company.name, company.is_company, company.gender = "苏州顺达物流有限公司", True, "F"
        womens_day = _standing(s, shop, Kind.HOLIDAY, "{customer}，节日快乐！", Occasion.WOMENS_DAY)
        new_year = _standing(s, shop, Kind.HOLIDAY, "{customer}，新年快乐！", Occasion.NEW_YEAR)
    with session_scope(sessions) as s:
        daily(s, at)
        daily(s, datetime(2027, 1, 1, 0, 30, tzinfo=UTC))
    assert _queued(sessions, womens_day) == ["【姑苏汽车】王女士，节日快乐！回T退订"]
    assert _queued(sessions, new_year) == [
        "【姑苏汽车】张先生，新年快乐！回T退订", "【姑苏汽车】王女士，新年快乐！回T退订",
        "【姑苏汽车】苏州顺达物流有限公司，新年快乐！回T退订",
    ]  # fmt: skip


UPKEEP = {
    "zh_Hans": "{customer}，您的{car}（{plate}）保养时间为{date}，欢迎致电{hotline}预约。",
    "en": "{customer}, your {car} ({plate}) is due for service on {date}. Call {hotline} to book.",
}


def test_a_maintenance_reminder_gives_the_day_the_service_falls_due_not_the_calls_deadline(
    sessions,
):
    """The first service, expected 30 days after its reminder (first_maintenance.lead_days),
    names that day, not the call's deadline 14 days after it; a later service falls due on the
    day its reminder goes out."""
    now = datetime(2026, 11, 19, 1, 0, tzinfo=UTC)
    with session_scope(sessions) as s:
        shop = sms_seed.store(s)
        zhang, wang = sms_seed.customers(s, shop, 2, marketing=False)
        for customer_id, plate in ((zhang, "苏E12345"), (wang, "苏E54321")):
            vin = f"LVSHCAMB1CE{plate[-5:]}0"
            s.add(Vehicle(store_id=shop.id, customer_id=customer_id, vin=vin, plate=plate,
                          model="K5"))  # fmt: skip
        s.flush()
        _task(s, shop, zhang, TaskType.FIRST_MAINTENANCE, TaskStatus.PENDING, now,
              deadline=now + timedelta(days=44))  # expected 12-19, deadline 2027-01-02  # fmt: skip
        _task(s, shop, wang, TaskType.MAINTENANCE, TaskStatus.PENDING, now)
        chinese = _standing(s, shop, Kind.MAINTENANCE, UPKEEP["zh_Hans"])
        english = _standing(s, shop, Kind.MAINTENANCE, UPKEEP["en"], language="en")
    with session_scope(sessions) as s:
        daily(s, now)
    assert _queued(sessions, chinese) == [
        "【姑苏汽车】张先生，您的K5（苏E12345）保养时间为12月19日，欢迎致电0512-6000-8000预约。",
        "【姑苏汽车】王女士，您的K5（苏E54321）保养时间为11月19日，欢迎致电0512-6000-8000预约。",
    ]
    assert _queued(sessions, english) == [
        "【姑苏汽车】Mr 张, your K5 (苏E12345) is due for service on 19 Dec 2026. "
        "Call 0512-6000-8000 to book.",
        "【姑苏汽车】Ms 王, your K5 (苏E54321) is due for service on 19 Nov 2026. "
        "Call 0512-6000-8000 to book.",
    ]
