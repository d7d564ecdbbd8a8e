"""The follow-up rules (schedulers/rules.py, schedulers/mileage.py) against DOMAIN.md's
"Follow-up timing": every rule with the defaults and with a store's own numbers, on a frozen
clock in the Suzhou store's time zone.

张伟 took delivery of his car on 2026-11-18; his workshop visits give the odometer readings.
Plain functions, no database: each test says which figure of the manual it holds the rules to.
"""

import doctest
import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

import schedulers.mileage
import schedulers.rules
from schedulers.mileage import Odometer, next_band
from schedulers.rules import (
    add_months,
    callback,
    churn_survey,
    delivery_care,
    first_maintenance,
    insurance_renewal,
    maintenance,
    periodic_numbers,
    periodic_sales,
    repair_3dc,
    sales_3dc,
    sales_7dc,
)
from schedulers.timing import Timing
from schedulers.windows import CallingPolicy
from storage.codes import TaskType

SHANGHAI = ZoneInfo("Asia/Shanghai")
T = Timing(tz=SHANGHAI)
SUZHOU = CallingPolicy.from_settings("Asia/Shanghai")
DELIVERED = date(2026, 11, 18)


def at(y, m, d, hh=0, mm=0, ss=0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=SHANGHAI)


def end_of(y, m, d) -> datetime:
    return at(y, m, d, 23, 59, 59)


def reason(window) -> dict:
    return json.loads(window.reason)


# --- repair 3DC (DOMAIN.md's worked example) ----------------------------------------------------


def test_repair_3dc_follows_the_worked_example_of_the_manual():
    window = repair_3dc(datetime(2026, 11, 18, 16, 40, tzinfo=SHANGHAI), T)
    assert window.task_type == TaskType.REPAIR_3DC
    assert window.due.isoformat() == "2026-11-19T09:00:00+08:00"
    assert window.deadline.isoformat() == "2026-11-21T23:59:59+08:00"


def test_repair_3dc_counts_days_in_the_store_time_zone_not_utc():
    # 2026-11-18 23:30 in Shanghai is still 2026-11-18 15:30 UTC: day 1 is the 19th locally.
    closed = datetime(2026, 11, 18, 23, 30, tzinfo=SHANGHAI).astimezone(ZoneInfo("UTC"))
    window = repair_3dc(closed, T)
    assert window.due == datetime(2026, 11, 19, 9, 0, tzinfo=SHANGHAI)


def test_repair_3dc_is_overdue_only_after_the_end_of_day_three():
    window = repair_3dc(datetime(2026, 11, 18, 16, 40, tzinfo=SHANGHAI), T)
    assert not window.overdue(datetime(2026, 11, 21, 23, 59, 59, tzinfo=SHANGHAI))
    assert window.overdue(datetime(2026, 11, 22, 0, 0, 0, tzinfo=SHANGHAI))


def test_repair_3dc_older_than_the_horizon_is_not_planned():
    window = repair_3dc(datetime(2026, 11, 1, 10, 0, tzinfo=SHANGHAI), T)
    assert window.beyond_horizon(datetime(2026, 11, 12, 0, 0, 1, tzinfo=SHANGHAI), T.horizon)
    assert not window.beyond_horizon(datetime(2026, 11, 10, 23, 0, tzinfo=SHANGHAI), T.horizon)


def test_repair_3dc_timing_is_a_store_setting():
    later = Timing(tz=SHANGHAI, repair_3dc=(2, 5))
    window = repair_3dc(datetime(2026, 11, 18, 16, 40, tzinfo=SHANGHAI), later)
    assert window.due.isoformat() == "2026-11-20T09:00:00+08:00"
    assert window.deadline.isoformat() == "2026-11-23T23:59:59+08:00"


def test_repair_3dc_says_which_repair_order_closed_and_when():
    window = repair_3dc(at(2026, 11, 18, 16, 40), T, "RO-2026-0042")
    assert reason(window) == {"why": "ro_closed", "ro": "RO-2026-0042", "at": "2026-11-18 16:40"}


# --- delivery care call -----------------------------------------------------------------------


def test_delivery_care_is_due_an_hour_after_a_timed_delivery_with_a_two_hour_deadline():
    window = delivery_care(at(2026, 11, 18, 15, 10), T, SUZHOU)
    assert window.task_type == TaskType.DELIVERY_CARE
    assert window.due == at(2026, 11, 18, 16, 10)
    assert window.deadline == at(2026, 11, 18, 17, 10)
    assert reason(window) == {"why": "delivered", "at": "2026-11-18 15:10"}


def test_delivery_care_deadline_in_the_evening_quiet_hours_moves_to_the_next_morning():
    # Delivered 19:50: 21:50 is after the 20:30 close, so the deadline becomes the next
    # window's start plus the hour the call would have had: 09:00 + 1 h.
    window = delivery_care(at(2026, 11, 18, 19, 50), T, SUZHOU)
    assert window.due == at(2026, 11, 18, 20, 50)
    assert window.deadline == at(2026, 11, 19, 10, 0)


def test_delivery_care_deadline_in_the_lunch_break_moves_to_the_afternoon_window():
    window = delivery_care(at(2026, 11, 18, 11, 30), T, SUZHOU)
    assert window.due == at(2026, 11, 18, 12, 30)
    assert window.deadline == at(2026, 11, 18, 15, 0)


def test_delivery_care_deadline_is_not_moved_by_a_holiday():
    # 2026-10-01 is National Day: no calls, but DOMAIN.md says holidays never move deadlines.
    window = delivery_care(at(2026, 10, 1, 9, 30), T, SUZHOU)
    assert window.deadline == at(2026, 10, 1, 11, 30)


def test_delivery_care_timing_is_a_store_setting():
    quick = Timing(
        tz=SHANGHAI,
        delivery_care_after=timedelta(minutes=30),
        delivery_care_deadline=timedelta(minutes=90),
    )
    window = delivery_care(at(2026, 11, 18, 9, 20), quick, SUZHOU)
    assert (window.due, window.deadline) == (at(2026, 11, 18, 9, 50), at(2026, 11, 18, 10, 50))


# --- sales 3DC and 7DC ------------------------------------------------------------------------


def test_sales_3dc_is_due_day_one_at_nine_with_the_end_of_day_three_as_deadline():
    window = sales_3dc(DELIVERED, T)
    assert window.task_type == TaskType.SALES_3DC
    assert (window.due, window.deadline) == (at(2026, 11, 19, 9), end_of(2026, 11, 21))
    assert reason(window) == {"why": "delivered", "on": "2026-11-18"}


def test_sales_7dc_is_due_day_five_at_nine_with_the_end_of_day_seven_as_deadline():
    window = sales_7dc(DELIVERED, T)
    assert window.task_type == TaskType.SALES_7DC
    assert (window.due, window.deadline) == (at(2026, 11, 23, 9), end_of(2026, 11, 25))


def test_sales_3dc_and_7dc_spans_do_not_overlap_with_the_defaults():
    # So the planner keeps them as two calls (DOMAIN.md merges only overlapping spans).
    assert sales_3dc(DELIVERED, T).deadline < sales_7dc(DELIVERED, T).due


def test_sales_follow_up_days_and_the_start_of_day_are_store_settings():
    store = Timing(tz=SHANGHAI, day_start=time(10, 0), sales_3dc=(2, 4), sales_7dc=(6, 10))
    three, seven = sales_3dc(DELIVERED, store), sales_7dc(DELIVERED, store)
    assert (three.due, three.deadline) == (at(2026, 11, 20, 10), end_of(2026, 11, 22))
    assert (seven.due, seven.deadline) == (at(2026, 11, 24, 10), end_of(2026, 11, 28))


def test_a_delivery_at_the_end_of_a_month_counts_days_into_the_next():
    window = sales_7dc(date(2026, 12, 29), T)
    assert (window.due, window.deadline) == (at(2027, 1, 3, 9), end_of(2027, 1, 5))


# --- first-maintenance reminder ---------------------------------------------------------------


def new_car(year: int, month: int, day: int, km_per_day: float) -> Odometer:
    """A car delivered that day, with no odometer reading yet: the store's km a day."""
    return Odometer.estimate((), date(year, month, day), km_per_day)


def test_first_maintenance_at_forty_km_a_day_is_three_months_after_delivery():
    # 5,000 km at 40 km/day is 125 days; three months (to 2026-04-30, clamped) come first.
    window = first_maintenance(date(2026, 1, 31), T, new_car(2026, 1, 31, 40.0))
    assert window.task_type == TaskType.FIRST_MAINTENANCE
    assert reason(window) == {
        "why": "first_service",
        "expected": "2026-04-30",
        "km": 5000,
        "months": 3,
    }
    assert window.due == at(2026, 3, 31, 9)  # 30 days before
    assert window.deadline == end_of(2026, 5, 14)  # 14 days after


def test_first_maintenance_for_a_heavy_driver_is_when_the_car_reaches_five_thousand_km():
    # At 80 km/day the car has 4,960 km on day 62 and reaches 5,000 on day 63: 2026-04-04.
    window = first_maintenance(date(2026, 1, 31), T, new_car(2026, 1, 31, 80.0))
    assert json.loads(window.reason)["expected"] == "2026-04-04"
    assert window.due == at(2026, 3, 5, 9)
    assert window.deadline == end_of(2026, 4, 18)


def test_first_maintenance_months_km_lead_and_grace_are_store_settings():
    store = Timing(
        tz=SHANGHAI,
        first_service_months=2,
        first_service_km=3000,
        first_service_lead=timedelta(days=14),
        first_service_grace=timedelta(days=7),
    )
    # 3,000 km at 40 km/day: 75 days (2026-04-16), later than two months (2026-03-31).
    window = first_maintenance(date(2026, 1, 31), store, new_car(2026, 1, 31, 40.0))
    assert reason(window)["expected"] == "2026-03-31"
    assert (window.due, window.deadline) == (at(2026, 3, 17, 9), end_of(2026, 4, 7))
    # 3,000 km at 60 km/day: 50 days, before the two months.
    assert (
        reason(first_maintenance(date(2026, 1, 31), store, new_car(2026, 1, 31, 60.0)))["expected"]
        == "2026-03-22"
    )


def test_first_maintenance_follows_the_car_s_own_odometer_readings():
    # Delivered 2026-10-20; a repair visit on 11-18 (29 days later) read 4,500 km: under a
    # month apart, the rate is still the store's 40 km a day, from the reading on: 5,000 km on
    # 12-01, before the three months (2027-01-20).
    odo = Odometer.estimate(((date(2026, 11, 18), 4500),), date(2026, 10, 20), 40.0)
    window = first_maintenance(date(2026, 10, 20), T, odo)
    assert reason(window)["expected"] == "2026-12-01"
    assert (window.due, window.deadline) == (at(2026, 11, 1, 9), end_of(2026, 12, 15))
    # Read a month or more after delivery, the car's own rate: 3,100 km in 31 days is 100 a day.
    odo = Odometer.estimate(((date(2026, 11, 20), 3100),), date(2026, 10, 20), 40.0)
    assert reason(first_maintenance(date(2026, 10, 20), T, odo))["expected"] == "2026-12-09"


# --- maintenance reminder ---------------------------------------------------------------------

# 张伟's car: delivered 2026-01-13, serviced 2026-05-02 at 4,900 km: about 45 km a day.
ZHANG_READINGS = [(date(2026, 5, 2), 4900)]
ZHANG_DELIVERED = date(2026, 1, 13)


def test_maintenance_is_due_when_the_estimate_enters_the_next_mileage_band():
    odo = Odometer.estimate(ZHANG_READINGS, ZHANG_DELIVERED, T.km_per_day)
    assert odo.per_day == pytest.approx(45.0, abs=0.1)
    # 4,900 km sits in the 4,500-5,500 band just served: the next is 9,500, 4,600 km away,
    # 103 days at 44.95 km/day.
    window = maintenance(date(2026, 5, 2), odo, T)
    assert window.task_type == TaskType.MAINTENANCE
    assert window.due == at(2026, 8, 13, 9)
    assert window.deadline == end_of(2026, 9, 12)  # 30 days later
    assert reason(window) == {"why": "maintenance_km", "km": 9500, "last": "2026-05-02"}


def test_maintenance_of_a_car_driven_little_falls_back_to_six_months_after_the_service():
    # Delivered a year before the 4,900 km service: 13 km a day, 9,500 km only in 2027.
    odo = Odometer.estimate(ZHANG_READINGS, date(2025, 5, 2), T.km_per_day)
    window = maintenance(date(2026, 5, 2), odo, T)
    assert window.due == at(2026, 11, 2, 9)
    assert window.deadline == end_of(2026, 12, 2)
    assert reason(window) == {"why": "maintenance_months", "months": 6, "last": "2026-05-02"}


def test_maintenance_estimates_the_daily_mileage_from_the_first_and_last_readings():
    # A car bought elsewhere: readings 1,200 km on 2026-02-01 and, after the 2026-05-02 service,
    # 6,600 km at a repair on 2026-06-01: 45 km a day. 9,500 is 2,900 km past 6,600: 65 days.
    readings = [(date(2026, 2, 1), 1200), (date(2026, 5, 2), 4900), (date(2026, 6, 1), 6600)]
    odo = Odometer.estimate(readings, None, T.km_per_day)
    assert odo == Odometer(6600.0, date(2026, 6, 1), 45.0)
    window = maintenance(date(2026, 5, 2), odo, T)
    assert window.due == at(2026, 8, 5, 9)
    assert reason(window) == {"why": "maintenance_km", "km": 9500, "last": "2026-05-02"}


def test_maintenance_of_a_car_whose_mileage_is_unknown_is_by_months_alone():
    # Serviced here but bought elsewhere, no odometer on the repair order: nothing anchors
    # the estimate, so no band can be entered (and no absurd km may reach the agent).
    unknown = Odometer.estimate([], None, T.km_per_day)
    window = maintenance(date(2026, 5, 2), unknown, T)
    assert window.due == at(2026, 11, 2, 9)
    assert reason(window)["why"] == "maintenance_months"


def test_maintenance_bands_months_and_deadline_are_store_settings():
    store = Timing(
        tz=SHANGHAI,
        maintenance_bands=((7000, 8000),),
        maintenance_months=4,
        maintenance_deadline=timedelta(days=21),
    )
    odo = Odometer.estimate(ZHANG_READINGS, ZHANG_DELIVERED, T.km_per_day)
    by_km = maintenance(date(2026, 5, 2), odo, store)  # 2,100 km to 7,000: 47 days
    assert (by_km.due, by_km.deadline) == (at(2026, 6, 18, 9), end_of(2026, 7, 9))
    assert reason(by_km)["km"] == 7000
    slow = Odometer.estimate(ZHANG_READINGS, date(2025, 5, 2), T.km_per_day)
    by_months = maintenance(date(2026, 5, 2), slow, store)
    assert (by_months.due, by_months.deadline) == (at(2026, 9, 2, 9), end_of(2026, 9, 23))


# --- quasi-churn survey -----------------------------------------------------------------------


def test_churn_survey_is_due_ninety_days_after_the_last_visit():
    odo = Odometer.estimate([(date(2026, 5, 2), 4900)], None, T.km_per_day)  # 40 km/day
    window = churn_survey(date(2026, 5, 2), odo, T)
    assert window.task_type == TaskType.CHURN_SURVEY
    assert (window.due, window.deadline) == (at(2026, 7, 31, 9), end_of(2026, 8, 14))
    assert reason(window) == {"why": "no_visit", "last": "2026-05-02", "days": 90}


def test_churn_survey_of_a_heavy_driver_is_due_after_about_eight_thousand_km():
    # 3,000 km on 2026-02-01 and 16,500 on 2026-05-02: 150 km a day, 8,000 km in 54 days.
    odo = Odometer.estimate([(date(2026, 2, 1), 3000), (date(2026, 5, 2), 16500)], None, 40.0)
    window = churn_survey(date(2026, 5, 2), odo, T)
    assert (window.due, window.deadline) == (at(2026, 6, 25, 9), end_of(2026, 7, 9))
    assert reason(window)["days"] == 54


def test_churn_survey_of_a_new_customer_waits_until_the_delivery_is_180_days_old():
    # Delivered 2026-03-01, first service 2026-05-02, never seen again: not surveyed while
    # new (until 2026-08-28), then surveyed rather than never.
    odo = Odometer.estimate([(date(2026, 5, 2), 2500)], date(2026, 3, 1), T.km_per_day)
    window = churn_survey(date(2026, 5, 2), odo, T, delivered_on=date(2026, 3, 1))
    assert window.due == at(2026, 8, 28, 9)
    assert reason(window)["days"] == 118
    long_ago = churn_survey(date(2026, 5, 2), odo, T, delivered_on=date(2024, 3, 1))
    assert long_ago.due == at(2026, 7, 31, 9)


def test_churn_thresholds_and_deadline_are_store_settings():
    store = Timing(
        tz=SHANGHAI,
        churn_no_visit=timedelta(days=60),
        churn_km=5000,
        churn_deadline=timedelta(days=7),
    )
    odo = Odometer.estimate([(date(2026, 5, 2), 4900)], None, T.km_per_day)
    window = churn_survey(date(2026, 5, 2), odo, store)
    assert (window.due, window.deadline) == (at(2026, 7, 1, 9), end_of(2026, 7, 8))
    heavy = Odometer(4900.0, date(2026, 5, 2), 100.0)  # 5,000 km in 50 days
    assert churn_survey(date(2026, 5, 2), heavy, store).due == at(2026, 6, 21, 9)


def test_the_local_plate_filter_is_a_prefix_setting_and_every_plate_is_local_without_it():
    assert Timing().is_local_plate("沪A12345")
    suzhou = Timing(local_plate_prefixes=("苏E", "苏U"))
    assert suzhou.is_local_plate("苏E·3K8Z2") and suzhou.is_local_plate("苏u12345")
    assert not suzhou.is_local_plate("沪A12345")
    assert suzhou.is_local_plate(None)  # no plate: nothing says the car is passing through


# --- periodic sales follow-ups ----------------------------------------------------------------


def test_periodic_sales_calls_come_every_three_months_for_two_years_and_then_stop():
    delivered = date(2026, 1, 31)
    numbers = periodic_numbers(delivered, T, date(2026, 1, 1), date(2035, 1, 1))
    assert numbers == [1, 2, 3, 4, 5, 6, 7, 8]
    dues = [periodic_sales(delivered, n, T).due.date() for n in numbers]
    assert dues == [
        date(2026, 4, 30),
        date(2026, 7, 31),
        date(2026, 10, 31),
        date(2027, 1, 31),
        date(2027, 4, 30),
        date(2027, 7, 31),
        date(2027, 10, 31),
        date(2028, 1, 31),
    ]
    assert periodic_numbers(delivered, T, date(2028, 2, 1), date(2035, 1, 1)) == []


def test_a_periodic_sales_call_has_fourteen_days_and_says_which_one_it_is():
    window = periodic_sales(DELIVERED, 2, T)
    assert window.task_type == TaskType.PERIODIC_SALES
    assert (window.due, window.deadline) == (at(2027, 5, 18, 9), end_of(2027, 6, 1))
    assert reason(window) == {"why": "periodic", "n": 2, "delivered": "2026-11-18"}


def test_periodic_numbers_only_name_the_calls_due_in_the_span_asked_about():
    assert periodic_numbers(DELIVERED, T, date(2027, 2, 1), date(2027, 6, 1)) == [1, 2]
    assert periodic_numbers(DELIVERED, T, date(2027, 2, 19), date(2027, 5, 17)) == []


def test_periodic_interval_length_and_deadline_are_store_settings():
    store = Timing(
        tz=SHANGHAI,
        periodic_every_months=6,
        periodic_for_months=12,
        periodic_deadline=timedelta(days=30),
    )
    assert periodic_numbers(DELIVERED, store, date(2026, 1, 1), date(2035, 1, 1)) == [1, 2]
    window = periodic_sales(DELIVERED, 2, store)
    assert (window.due, window.deadline) == (at(2027, 11, 18, 9), end_of(2027, 12, 18))


# --- insurance renewal ------------------------------------------------------------------------


def test_insurance_renewal_is_due_45_days_before_expiry_with_a_deadline_7_days_before():
    window = insurance_renewal(date(2026, 12, 31), T)
    assert window.task_type == TaskType.INSURANCE_RENEWAL
    assert (window.due, window.deadline) == (at(2026, 11, 16, 9), end_of(2026, 12, 24))
    assert reason(window) == {"why": "insurance", "expiry": "2026-12-31"}


def test_insurance_renewal_lead_and_deadline_are_store_settings():
    store = Timing(
        tz=SHANGHAI, insurance_lead=timedelta(days=30), insurance_deadline_before=timedelta(0)
    )
    window = insurance_renewal(date(2026, 12, 31), store)
    assert (window.due, window.deadline) == (at(2026, 12, 1, 9), end_of(2026, 12, 31))


# --- agent-scheduled callback -----------------------------------------------------------------


def test_a_booked_callback_is_due_at_the_booked_time_with_a_day_to_spare():
    booked = at(2026, 11, 19, 15, 30).astimezone(ZoneInfo("UTC"))
    window = callback(booked, T)
    assert window.task_type == TaskType.CALLBACK
    assert window.due.isoformat() == "2026-11-19T15:30:00+08:00"
    assert window.deadline.isoformat() == "2026-11-20T15:30:00+08:00"
    assert reason(window) == {"why": "callback", "at": "2026-11-19 15:30"}


def test_a_booked_callback_deadline_is_a_store_setting():
    store = Timing(tz=SHANGHAI, callback_deadline=timedelta(days=3))
    assert callback(at(2026, 11, 19, 15, 30), store).deadline == at(2026, 11, 22, 15, 30)


# --- calendar arithmetic and mileage ----------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2026, 8, 31), 1, date(2026, 9, 30)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 11, 18), 24, date(2028, 11, 18)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
    ],
)
def test_add_months_keeps_the_day_and_clamps_it_to_the_end_of_a_shorter_month(
    day, months, expected
):
    assert add_months(day, months) == expected


DOMAIN_BANDS = ((4500, 5500), (9500, 10500))


@pytest.mark.parametrize(
    ("km", "band"),
    [
        (0, 4500),
        (4499, 4500),
        (4500, 9500),  # in the 4,500-5,500 band: that service is being done
        (5600, 9500),
        (9800, 19500),
        (10500, 19500),
        (12000, 19500),
        (19499, 19500),
        (19500, 29500),
        (20400, 29500),
        (20600, 29500),
        (95000, 99500),
    ],
)
def test_next_band_lists_the_manual_bands_then_every_ten_thousand_km_give_or_take_500(km, band):
    assert next_band(km, DOMAIN_BANDS, 10000, 500) == band


def test_next_band_follows_a_store_own_bands_interval_and_tolerance():
    assert next_band(0, ((2500, 3500),), 5000, 300) == 2500
    assert next_band(3000, ((2500, 3500),), 5000, 300) == 4700
    assert next_band(5000, ((2500, 3500),), 5000, 300) == 9700


def test_odometer_with_one_reading_and_no_delivery_uses_the_forty_km_fallback():
    odo = Odometer.estimate([(date(2026, 5, 2), 4900)], None, 40.0)
    assert odo == Odometer(4900.0, date(2026, 5, 2), 40.0)
    assert odo.at(date(2026, 5, 12)) == 5300.0


def test_odometer_counts_the_delivery_as_a_reading_of_zero_km():
    odo = Odometer.estimate([(date(2026, 4, 12), 4500)], date(2026, 1, 2), 40.0)
    assert odo == Odometer(4500.0, date(2026, 4, 12), 45.0)  # 4,500 km in 100 days
    assert odo.at(date(2026, 1, 2)) == 0.0


def test_odometer_of_a_car_only_delivered_starts_at_zero_with_the_fallback():
    odo = Odometer.estimate([], date(2026, 11, 18), 40.0)
    assert odo == Odometer(0.0, date(2026, 11, 18), 40.0)
    assert odo.reaches(5000, after=date(2026, 11, 18)) == date(2027, 3, 23)  # 125 days


def test_odometer_ignores_a_daily_rate_from_readings_less_than_a_month_apart():
    readings = [(date(2026, 5, 2), 4900), (date(2026, 5, 12), 6900)]  # a jump, or a typo
    assert Odometer.estimate(readings, None, 40.0).per_day == 40.0


def test_odometer_ignores_a_reading_lower_than_an_earlier_one_for_the_rate():
    readings = [(date(2026, 1, 2), 4900), (date(2026, 5, 2), 490)]  # a typo in the DMS
    assert Odometer.estimate(readings, None, 40.0).per_day == 40.0


def test_odometer_never_reaches_a_mileage_before_the_day_asked_from():
    odo = Odometer(9800.0, date(2026, 5, 2), 40.0)
    assert odo.reaches(9500, after=date(2026, 6, 1)) == date(2026, 6, 1)
    assert odo.at(date(2025, 1, 1)) == 0.0  # extrapolating back stops at zero


def test_odometer_without_any_reading_or_delivery_is_unknown_and_reaches_nothing():
    odo = Odometer.estimate([], None, 40.0)
    assert not odo.known
    assert odo.reaches(9500, after=date(2026, 5, 2)) == date.max


@pytest.mark.parametrize("module", [schedulers.rules, schedulers.mileage])
def test_the_examples_in_the_rules_docstrings_hold(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
