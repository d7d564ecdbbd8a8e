"""Calling windows and the statutory calendar (schedulers/windows.py).

The Suzhou store calls 09:00-12:00 and 14:00-20:30 Shanghai time and keeps statutory holidays
free of calls. Its customer 张伟 likes 11:00-15:00; 王芳 never takes calls at weekends.
Calendar facts are the State Council's 2026 schedule as the installed ``chinesecalendar`` has it.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from schedulers.windows import (
    CallingPolicy,
    add_working_days,
    calendar_covers,
    is_call_allowed,
    is_no_call_day,
    is_working_day,
    next_call_time,
    other_half_day_next_day,
    push_into_window,
    retry_slot,
)

SH = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")
SUZHOU = CallingPolicy.from_settings("Asia/Shanghai")
ZHANG_WEI_WINDOWS = "11:00-15:00"
WANG_FANG_BLOCKED = "6,7"


def at(day: str, clock: str, tz: ZoneInfo = SH) -> datetime:
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tzinfo=tz)


def days(first: str, last: str) -> list[date]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [start + timedelta(n) for n in range((end - start).days + 1)]


# --- The statutory calendar -------------------------------------------------------------------


def test_the_installed_calendar_covers_2026_and_says_so_for_years_it_lacks():
    # Without 2026 the planner would treat the Spring Festival as ordinary days.
    assert calendar_covers(2026)
    assert not calendar_covers(2099)


def test_every_day_of_the_2026_spring_festival_is_a_no_call_day_weekends_included():
    assert all(is_no_call_day(d) for d in days("2026-02-15", "2026-02-23"))
    assert not is_no_call_day(date(2026, 2, 24))


def test_the_spring_festival_working_saturdays_are_working_days_and_callable():
    for saturday in (date(2026, 2, 14), date(2026, 2, 28)):
        assert is_working_day(saturday)
        assert not is_no_call_day(saturday)


def test_a_sunday_made_a_working_day_by_tiaoxiu_is_a_working_day_and_allows_calls():
    assert is_working_day(date(2026, 9, 20))
    assert next_call_time(at("2026-09-19", "21:00"), SUZHOU) == at("2026-09-20", "09:00")


def test_an_ordinary_weekend_is_callable_but_not_a_working_day():
    assert not is_working_day(date(2026, 11, 21))
    assert is_call_allowed(at("2026-11-21", "10:00"), SUZHOU)


def test_a_store_that_calls_on_holidays_may_call_during_national_day():
    assert is_call_allowed(at("2026-10-03", "10:00"), CallingPolicy(holidays_no_call=False))
    assert not is_call_allowed(at("2026-10-03", "10:00"), SUZHOU)


def test_an_uncovered_year_rests_at_weekends_and_has_no_holidays():
    assert add_working_days(date(2099, 1, 2), 1) == date(2099, 1, 5)  # Friday -> Monday
    assert not is_no_call_day(date(2099, 1, 1))


def test_answering_a_suggestion_within_two_working_days_skips_the_spring_festival():
    friday_before = date(2026, 2, 13)
    assert add_working_days(friday_before, 1) == date(2026, 2, 14)  # 调休 Saturday
    assert add_working_days(friday_before, 2) == date(2026, 2, 24)


def test_working_days_skip_golden_week_and_count_back_and_zero():
    assert add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert add_working_days(date(2026, 2, 24), -1) == date(2026, 2, 14)
    assert add_working_days(date(2026, 2, 21), 0) == date(2026, 2, 21)


# --- Calling windows --------------------------------------------------------------------------


def test_a_call_inside_a_window_may_be_made_at_once():
    assert next_call_time(at("2026-11-19", "10:15"), SUZHOU) == at("2026-11-19", "10:15")


def test_lunch_quiet_hours_move_a_call_to_two_in_the_afternoon():
    assert next_call_time(at("2026-11-19", "12:00"), SUZHOU) == at("2026-11-19", "14:00")


def test_after_half_past_eight_in_the_evening_a_call_waits_for_nine_next_morning():
    assert next_call_time(at("2026-11-19", "20:30"), SUZHOU) == at("2026-11-20", "09:00")
    assert next_call_time(at("2026-11-19", "06:00"), SUZHOU) == at("2026-11-19", "09:00")


def test_a_call_on_the_eve_of_national_day_waits_until_after_golden_week():
    assert next_call_time(at("2026-09-30", "20:45"), SUZHOU) == at("2026-10-08", "09:00")


def test_zhang_weis_windows_narrow_the_stores_windows():
    assert next_call_time(at("2026-11-19", "09:30"), SUZHOU, ZHANG_WEI_WINDOWS) == at(
        "2026-11-19", "11:00"
    )
    assert next_call_time(at("2026-11-19", "12:30"), SUZHOU, ZHANG_WEI_WINDOWS) == at(
        "2026-11-19", "14:00"
    )
    assert next_call_time(at("2026-11-19", "15:00"), SUZHOU, ZHANG_WEI_WINDOWS) == at(
        "2026-11-20", "11:00"
    )


def test_customer_windows_may_be_passed_parsed():
    windows = [(time(11), time(15))]
    assert next_call_time(at("2026-11-19", "09:30"), SUZHOU, windows) == at("2026-11-19", "11:00")


def test_customer_windows_outside_every_store_window_fall_back_to_the_stores():
    late = "21:00-22:00"
    assert next_call_time(at("2026-11-19", "09:30"), SUZHOU, late) == at("2026-11-19", "09:30")


def test_wang_fang_is_not_called_on_her_blocked_weekend():
    friday_evening = at("2026-11-20", "21:00")
    monday = at("2026-11-23", "09:00")
    assert next_call_time(friday_evening, SUZHOU, blocked_days=WANG_FANG_BLOCKED) == monday
    assert next_call_time(friday_evening, SUZHOU, blocked_days=[6, 7]) == monday
    assert not is_call_allowed(at("2026-11-21", "10:00"), SUZHOU, blocked_days=[6, 7])


def test_no_call_time_before_the_limit_gives_none_and_the_limit_itself_counts():
    friday_evening = at("2026-11-20", "21:00")
    sunday_night = at("2026-11-22", "23:59:59")
    assert next_call_time(friday_evening, SUZHOU, None, [6, 7], limit=sunday_night) is None
    nine = at("2026-11-21", "09:00")
    assert next_call_time(friday_evening, SUZHOU, limit=nine) == nine


def test_a_customer_blocking_every_day_is_never_called():
    assert next_call_time(at("2026-11-19", "10:00"), SUZHOU, None, range(1, 8)) is None


def test_is_call_allowed_follows_windows_and_holidays():
    assert is_call_allowed(at("2026-11-19", "10:00"), SUZHOU)
    assert not is_call_allowed(at("2026-11-19", "13:00"), SUZHOU)
    assert not is_call_allowed(at("2026-02-17", "10:00"), SUZHOU)


def test_a_time_given_in_utc_is_read_in_the_stores_time_zone():
    utc_morning = at("2026-11-19", "01:30", UTC)  # 09:30 in Suzhou
    assert is_call_allowed(utc_morning, SUZHOU)
    assert next_call_time(at("2026-11-19", "00:30", UTC), SUZHOU) == at("2026-11-19", "09:00")


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError):
        next_call_time(datetime(2026, 11, 19, 10, 0), SUZHOU)


def test_windows_keep_their_clock_time_across_daylight_saving_changes():
    berlin = CallingPolicy.from_settings("Europe/Berlin")
    spring = next_call_time(at("2026-03-28", "21:00", berlin.tz), berlin)
    assert spring is not None and spring.astimezone(UTC) == at("2026-03-29", "07:00", UTC)
    autumn = next_call_time(at("2026-10-24", "21:00", berlin.tz), berlin)
    assert autumn is not None and autumn.astimezone(UTC) == at("2026-10-25", "08:00", UTC)


def test_a_policy_without_windows_is_refused():
    with pytest.raises(ValueError):
        CallingPolicy(dealer_windows=())


# --- Delivery care deadlines ------------------------------------------------------------------


def test_a_care_deadline_inside_a_window_stays():
    assert push_into_window(at("2026-11-19", "17:00"), SUZHOU) == at("2026-11-19", "17:00")


def test_a_care_deadline_in_the_evening_gets_the_first_hour_of_next_morning():
    assert push_into_window(at("2026-11-19", "21:30"), SUZHOU) == at("2026-11-20", "10:00")


def test_a_care_deadline_at_lunch_gets_the_first_hour_of_the_afternoon():
    assert push_into_window(at("2026-11-19", "12:45"), SUZHOU) == at("2026-11-19", "15:00")


def test_a_pushed_care_deadline_never_passes_the_end_of_its_window():
    short_mornings = CallingPolicy.from_settings("Asia/Shanghai", "09:00-09:30;14:00-20:30")
    assert push_into_window(at("2026-11-19", "21:30"), short_mornings) == at("2026-11-20", "09:30")


def test_holidays_do_not_move_a_care_deadline():
    assert push_into_window(at("2026-09-30", "21:30"), SUZHOU) == at("2026-10-01", "10:00")


# --- Retries ----------------------------------------------------------------------------------


def test_a_retry_two_hours_after_a_late_morning_attempt_waits_for_the_afternoon():
    assert retry_slot(at("2026-11-19", "11:00") + timedelta(hours=2), SUZHOU) == at(
        "2026-11-19", "14:00"
    )


def test_a_morning_attempt_is_retried_next_afternoon_and_an_evening_one_next_morning():
    assert other_half_day_next_day(at("2026-11-19", "10:00"), SUZHOU) == at("2026-11-20", "14:00")
    assert other_half_day_next_day(at("2026-11-19", "20:00"), SUZHOU) == at("2026-11-20", "09:00")


def test_a_retry_falling_on_a_holiday_moves_to_the_other_half_of_the_next_callable_day():
    last = at("2026-09-30", "10:00")
    assert other_half_day_next_day(last, SUZHOU) == at("2026-10-08", "14:00")


def test_a_customer_with_only_evening_windows_is_retried_in_the_evening():
    evenings = "18:00-20:00"
    last = at("2026-11-19", "19:00")
    assert other_half_day_next_day(last, SUZHOU, evenings) == at("2026-11-20", "18:00")


def test_a_retry_that_would_pass_the_deadline_gives_none():
    last = at("2026-11-19", "10:00")
    deadline = at("2026-11-20", "12:00")
    assert other_half_day_next_day(last, SUZHOU, limit=deadline) is None
    assert retry_slot(at("2026-11-19", "12:30"), SUZHOU, last) == at("2026-11-19", "14:00")
