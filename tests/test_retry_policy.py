from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dialer.retry import Reach, RetryRules, decide_retry
from schedulers.windows import CallingPolicy
from storage.codes import NetworkOutcome as N

SH = ZoneInfo("Asia/Shanghai")
MORNING = datetime(2026, 11, 19, 10, 0, tzinfo=SH)
DEADLINE = datetime(2026, 11, 25, 23, 59, 59, tzinfo=SH)
REACH = Reach(CallingPolicy(tz=SH))


def test_first_no_answer_is_retried_two_hours_later():
    at = MORNING.replace(hour=9, minute=30)
    d = decide_retry(N.NO_ANSWER, attempts=1, at=at, deadline=DEADLINE, reach=REACH)
    assert d.next_at == at + timedelta(hours=2)


def test_second_busy_in_the_morning_is_retried_next_afternoon():
    d = decide_retry(N.BUSY, attempts=2, at=MORNING, deadline=DEADLINE, reach=REACH)
    assert d.next_at == datetime(2026, 11, 20, 14, 0, tzinfo=SH)


def test_afternoon_failure_is_retried_next_morning():
    d = decide_retry(
        N.UNREACHABLE, attempts=3, at=MORNING.replace(hour=15), deadline=DEADLINE, reach=REACH
    )
    assert d.next_at == datetime(2026, 11, 20, 9, 0, tzinfo=SH)


def test_fifth_failed_attempt_closes_the_task_as_unreachable():
    d = decide_retry(N.NO_ANSWER, attempts=5, at=MORNING, deadline=DEADLINE, reach=REACH)
    assert d.close_reason == "unreachable" and d.next_at is None


def test_a_retry_never_goes_past_the_deadline():
    d = decide_retry(
        N.NO_ANSWER, attempts=2, at=MORNING, deadline=MORNING + timedelta(hours=5), reach=REACH
    )
    assert d.close_reason == "unreachable"


def test_rejected_is_retried_once_next_day_then_closed():
    first = decide_retry(N.REJECTED, attempts=1, at=MORNING, deadline=DEADLINE, reach=REACH)
    assert first.next_at == datetime(2026, 11, 20, 14, 0, tzinfo=SH)
    second = decide_retry(
        N.REJECTED, attempts=2, at=MORNING, deadline=DEADLINE, reach=REACH, rejections=1
    )
    assert second.close_reason == "rejected"


def test_invalid_number_moves_on_to_the_next_phone_at_once():
    d = decide_retry(N.INVALID_NUMBER, attempts=1, at=MORNING, deadline=DEADLINE, reach=REACH)
    assert d.next_phone and d.next_at == MORNING


def test_a_retry_two_hours_into_the_lunch_break_waits_for_the_afternoon_window():
    at = MORNING.replace(hour=11)
    d = decide_retry(N.NO_ANSWER, attempts=1, at=at, deadline=DEADLINE, reach=REACH)
    assert d.next_at == datetime(2026, 11, 19, 14, 0, tzinfo=SH)


def test_a_retry_never_lands_on_a_statutory_holiday():
    eve = datetime(2026, 9, 30, 15, 0, tzinfo=SH)  # National Day: 10-01 .. 10-07
    d = decide_retry(
        N.BUSY, attempts=2, at=eve, deadline=datetime(2026, 10, 20, tzinfo=SH), reach=REACH
    )
    assert d.next_at == datetime(2026, 10, 8, 9, 0, tzinfo=SH)


def test_a_retry_respects_the_customer_s_own_calling_windows():
    evenings = Reach(CallingPolicy(tz=SH), customer_windows="19:00-20:30")
    d = decide_retry(N.NO_ANSWER, attempts=1, at=MORNING, deadline=DEADLINE, reach=evenings)
    assert d.next_at == datetime(2026, 11, 19, 19, 0, tzinfo=SH)


def test_the_number_of_attempts_is_a_store_setting():
    three = RetryRules(max_attempts=3)
    d = decide_retry(N.NO_ANSWER, attempts=3, at=MORNING, deadline=DEADLINE, reach=REACH,
                     rules=three)  # fmt: skip
    assert d.close_reason == "unreachable"
