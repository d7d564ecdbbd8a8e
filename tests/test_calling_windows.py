"""Calling windows and the statutory calendar (schedulers/windows.py, schedulers/calendar.py).

The Suzhou store calls 09:00-12:00 and 14:00-20:30 Shanghai time and keeps statutory holidays
free of calls. Its customer 张伟 likes 11:00-15:00; 王芳 never takes calls at weekends.
Calendar facts are the State Council's 2026 schedule as the installed ``holidays`` package has
it; 2027's was not published when it was released, so an admin enters it as overrides.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from schedulers.calendar import (
    HOLIDAY,
    LIBRARY,
    OVERRIDE,
    WORKDAY,
    Override,
    StatutoryCalendar,
    load_calendar,
)
from schedulers.windows import (
    CallingPolicy,
    is_call_allowed,
    next_call_time,
    other_half_day_next_day,
    push_into_window,
    retry_slot,
)
from storage.db import session_scope
from storage.models import CalendarOverride
from tests import personas

SH = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")
LIBRARY_ONLY = StatutoryCalendar()
SUZHOU = CallingPolicy.from_settings("Asia/Shanghai")
ZHANG_WEI_WINDOWS = "11:00-15:00"
WANG_FANG_BLOCKED = "6,7"
# What an admin enters from the State Council's 2027 notice (made up here: it is not out yet).
SPRING_FESTIVAL_2027 = {
    **{d: (HOLIDAY, "春节") for d in (date(2027, 2, 5) + timedelta(n) for n in range(7))},
    date(2027, 2, 20): (WORKDAY, "春节调休上班"),
}


ENTERED_2027 = CallingPolicy.from_settings(
    "Asia/Shanghai", calendar=StatutoryCalendar(SPRING_FESTIVAL_2027)
)
add_working_days = LIBRARY_ONLY.add_working_days


def at(day: str, clock: str, tz: ZoneInfo = SH) -> datetime:
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tzinfo=tz)


def days(first: str, last: str) -> list[date]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [start + timedelta(n) for n in range((end - start).days + 1)]


# --- The statutory calendar -------------------------------------------------------------------


def test_the_installed_calendar_covers_2026_and_says_so_for_years_it_lacks():
    # Without 2026 the planner would treat the Spring Festival as ordinary days; without the
    # warning for 2027 nobody would enter next year's 调休.
    assert LIBRARY_ONLY.covers(2026)
    assert not LIBRARY_ONLY.covers(2027)
    assert not LIBRARY_ONLY.covers(2099)


def test_every_day_of_the_2026_spring_festival_is_a_no_call_day_weekends_included():
    # 2月15日（周日）至23日（周一）放假调休，共9天: the library lists only the weekdays.
    assert all(LIBRARY_ONLY.is_no_call_day(d) for d in days("2026-02-15", "2026-02-23"))
    assert not LIBRARY_ONLY.is_no_call_day(date(2026, 2, 13))
    assert not LIBRARY_ONLY.is_no_call_day(date(2026, 2, 24))


def test_the_weekends_of_three_day_holidays_are_no_call_days_and_other_weekends_are_not():
    qingming, dragon_boat = days("2026-04-04", "2026-04-06"), days("2026-06-19", "2026-06-21")
    assert all(LIBRARY_ONLY.is_statutory_holiday(d) for d in qingming + dragon_boat)
    new_year = days("2026-01-01", "2026-01-03")  # 1月4日（周日）上班 ends the span
    assert all(LIBRARY_ONLY.is_statutory_holiday(d) for d in new_year)
    assert not LIBRARY_ONLY.is_statutory_holiday(date(2026, 1, 4))
    assert not LIBRARY_ONLY.is_statutory_holiday(date(2026, 6, 13))  # an ordinary Saturday


def test_the_spring_festival_working_saturdays_are_working_days_but_no_call_days():
    # DOMAIN.md: statutory holidays "(and 调休-adjusted weekends) are no-call days by default".
    for saturday in (date(2026, 2, 14), date(2026, 2, 28)):
        assert LIBRARY_ONLY.is_working_day(saturday)
        assert LIBRARY_ONLY.is_no_call_day(saturday)
        assert not LIBRARY_ONLY.is_no_call_day(saturday, holidays_are_no_call=False)
    assert not LIBRARY_ONLY.is_no_call_day(date(2026, 3, 7))  # an ordinary Saturday


def test_a_sunday_worked_by_tiaoxiu_counts_as_a_working_day_but_calls_wait_for_monday():
    assert LIBRARY_ONLY.is_working_day(date(2026, 9, 20))
    assert add_working_days(date(2026, 9, 18), 1) == date(2026, 9, 20)
    assert next_call_time(at("2026-09-19", "21:00"), SUZHOU) == at("2026-09-21", "09:00")
    every_day = CallingPolicy.from_settings("Asia/Shanghai", holidays_no_call=False)
    assert next_call_time(at("2026-09-19", "21:00"), every_day) == at("2026-09-20", "09:00")


def test_an_ordinary_weekend_is_callable_but_not_a_working_day():
    assert not LIBRARY_ONLY.is_working_day(date(2026, 11, 21))
    assert is_call_allowed(at("2026-11-21", "10:00"), SUZHOU)


def test_a_store_that_calls_on_holidays_may_call_during_national_day():
    assert is_call_allowed(at("2026-10-03", "10:00"), CallingPolicy(holidays_no_call=False))
    assert not is_call_allowed(at("2026-10-03", "10:00"), SUZHOU)


def test_an_uncovered_year_keeps_the_laws_holidays_rests_at_weekends_and_has_no_tiaoxiu():
    # 2099: 元旦 is a Thursday, by law a holiday; nothing swaps a weekend.
    assert LIBRARY_ONLY.is_no_call_day(date(2099, 1, 1))
    assert add_working_days(date(2099, 1, 2), 1) == date(2099, 1, 5)  # Friday -> Monday
    weekends_2027 = [d for d in days("2027-01-01", "2027-12-31") if d.isoweekday() > 5]
    assert not any(LIBRARY_ONLY.is_working_day(d) for d in weekends_2027)


def test_answering_a_suggestion_within_two_working_days_skips_the_spring_festival():
    friday_before = date(2026, 2, 13)
    assert add_working_days(friday_before, 1) == date(2026, 2, 14)  # 调休 Saturday
    assert add_working_days(friday_before, 2) == date(2026, 2, 24)


def test_working_days_skip_golden_week_and_count_back_and_zero():
    assert add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert add_working_days(date(2026, 2, 24), -1) == date(2026, 2, 14)
    assert add_working_days(date(2026, 2, 21), 0) == date(2026, 2, 21)


# --- Admins' overrides ------------------------------------------------------------------------


def test_an_admin_entered_2027_holiday_blocks_calls():
    # 2027-02-11 is a Thursday the library would call on: the notice made it a day off.
    assert is_call_allowed(at("2027-02-11", "10:00"), SUZHOU)
    assert not is_call_allowed(at("2027-02-11", "10:00"), ENTERED_2027)
    assert next_call_time(at("2027-02-04", "21:00"), ENTERED_2027) == at("2027-02-12", "09:00")


def test_an_admin_entered_tiaoxiu_saturday_is_a_working_day_and_covers_the_year():
    entered = StatutoryCalendar(SPRING_FESTIVAL_2027)
    assert entered.covers(2027) and not entered.covers(2028)
    holidays_only = {d: o for d, o in SPRING_FESTIVAL_2027.items() if o[0] == HOLIDAY}
    assert not StatutoryCalendar(holidays_only).covers(2027)  # the 调休 is still to come
    assert entered.is_working_day(date(2027, 2, 20))
    assert not LIBRARY_ONLY.is_working_day(date(2027, 2, 20))
    assert entered.add_working_days(date(2027, 2, 4), 1) == date(2027, 2, 12)


def test_an_override_workday_on_a_library_holiday_allows_calls():
    # Say the notice had moved the 2026 Dragon Boat day off: the admin marks it a working day.
    moved = StatutoryCalendar({date(2026, 6, 19): (WORKDAY, "")})
    policy = CallingPolicy.from_settings("Asia/Shanghai", calendar=moved)
    assert not is_call_allowed(at("2026-06-19", "10:00"), SUZHOU)
    assert is_call_allowed(at("2026-06-19", "10:00"), policy)
    assert moved.is_working_day(date(2026, 6, 19))
    assert not moved.is_statutory_holiday(date(2026, 6, 20))  # the weekend is ordinary again


def test_the_years_entries_list_the_library_and_the_overrides_in_their_days_place():
    moved = StatutoryCalendar({date(2026, 6, 19): (WORKDAY, ""), date(2026, 6, 22): (HOLIDAY, "x")})
    entries = {e.day: e for e in moved.entries(2026)}
    assert (entries[date(2026, 2, 17)].kind, entries[date(2026, 2, 17)].source) == (
        HOLIDAY,
        LIBRARY,
    )
    assert entries[date(2026, 2, 14)].kind == WORKDAY
    dragon_boat = entries[date(2026, 6, 19)]
    assert (dragon_boat.kind, dragon_boat.source) == (WORKDAY, OVERRIDE)
    assert dragon_boat.replaces == Override(HOLIDAY, "端午节")
    assert entries[date(2026, 6, 22)].replaces is None
    assert list(entries) == sorted(entries)


def test_an_override_of_an_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        StatutoryCalendar({date(2027, 2, 5): ("vacation", "春节")})


def test_a_policy_with_the_same_overrides_is_the_same_policy():
    again = StatutoryCalendar(dict(SPRING_FESTIVAL_2027))
    other = CallingPolicy.from_settings("Asia/Shanghai", calendar=again)
    assert other == ENTERED_2027 and hash(other) == hash(ENTERED_2027) and other != SUZHOU


def test_the_loader_reads_every_stored_override(sessions):
    with session_scope(sessions) as s:
        admin = personas.person(s, personas.suzhou_store(s), "admin", "管理员")
        for day, (kind, name) in SPRING_FESTIVAL_2027.items():
            s.add(CalendarOverride(day=day, kind=kind, name=name, updated_by_id=admin.id))
    with session_scope(sessions) as s:
        loaded = load_calendar(s)
    assert loaded == StatutoryCalendar(SPRING_FESTIVAL_2027)
    assert loaded.overrides[date(2027, 2, 20)] == Override(WORKDAY, "春节调休上班")


def test_the_loader_of_an_empty_table_gives_the_librarys_calendar(sessions):
    with session_scope(sessions) as s:
        assert load_calendar(s) == LIBRARY_ONLY


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
