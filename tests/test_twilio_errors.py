"""What Twilio's refusals mean for the call we asked for (dialer/twilio/errors.py), and the
calls-per-second limit. No network: the HTTP client answers from a script."""

from __future__ import annotations

import pytest
import requests

from dialer.backend import CallEventKind, DialError
from dialer.twilio.pacing import TokenBucket
from storage.codes import NetworkOutcome
from tests.twilio_fakes import SID, Clock, call_created, scripted_backend, twilio_error

ZHANG = "+8613800138000"


def test_too_many_requests_backs_off_then_the_call_goes_through():
    clock = Clock()
    busy = twilio_error(20429, 429, "Too Many Requests")
    phone = scripted_backend(busy, busy, call_created(), clock=clock)
    assert phone.dial(ZHANG, 20) == SID
    assert clock.slept == [1.0, 2.0]
    assert phone.poll(0) == []


def test_twilio_still_too_busy_after_the_pauses_fails_the_attempt_for_a_later_retry():
    clock = Clock()
    busy = twilio_error(20429, 429)
    phone = scripted_backend(busy, busy, busy, busy, clock=clock)
    call_ref = phone.dial(ZHANG, 20)
    assert clock.slept == [1.0, 2.0, 4.0]
    [ended] = phone.poll(0)
    assert (ended.kind, ended.call_ref, ended.outcome) == (
        CallEventKind.ENDED,
        call_ref,
        NetworkOutcome.FAILED,
    )
    assert ended.carrier_status == "error 20429 too_many_requests"


def test_a_number_twilio_calls_invalid_ends_the_attempt_as_an_invalid_number():
    phone = scripted_backend(twilio_error(21211, message="The 'To' number is not valid"))
    call_ref = phone.dial("+86138", 20)
    assert not phone.accepted(call_ref)
    [ended] = phone.poll(0)
    assert (ended.kind, ended.outcome) == (CallEventKind.ENDED, NetworkOutcome.INVALID_NUMBER)
    assert ended.carrier_status == "error 21211 invalid_number"


@pytest.mark.parametrize(
    ("code", "reason"), [(21610, "opted_out"), (21611, "queue_overflow"), (30001, "queue_overflow")]
)
def test_an_opted_out_customer_or_a_full_queue_fails_the_attempt_with_the_reason(code, reason):
    phone = scripted_backend(twilio_error(code))
    phone.dial(ZHANG, 20)
    [ended] = phone.poll(0)
    assert ended.outcome == NetworkOutcome.FAILED  # retried later by the retry rules
    assert ended.carrier_status == f"error {code} {reason}"


def test_any_other_refusal_is_a_dial_error_with_twilios_words():
    phone = scripted_backend(twilio_error(20003, 401, "Authenticate"))
    with pytest.raises(DialError, match=r"HTTP 401, error 20003\): .*Authenticate"):
        phone.dial(ZHANG, 20)


def test_twilio_out_of_reach_is_a_dial_error():
    phone = scripted_backend(requests.ConnectionError("connection refused"))
    with pytest.raises(DialError, match="cannot reach Twilio"):
        phone.dial(ZHANG, 20)


def test_the_bucket_lets_one_call_a_second_through():
    clock = Clock()
    bucket = TokenBucket(1, clock=clock, sleep=clock.sleep)
    assert bucket.acquire() == 0
    assert bucket.acquire() == pytest.approx(1.0)
    clock.now += 5  # idle for a while: still one call at once, not five
    assert bucket.acquire() == 0
    assert bucket.acquire() == pytest.approx(1.0)


def test_a_higher_rate_lets_that_many_calls_through_each_second():
    clock = Clock()
    bucket = TokenBucket(2, clock=clock, sleep=clock.sleep)
    assert [bucket.acquire() for _ in range(3)] == [0, 0, pytest.approx(0.5)]


def test_two_dials_within_a_second_wait_for_the_rate():
    clock = Clock()
    phone = scripted_backend(call_created(), call_created("CA" + "2" * 32), clock=clock, cps=1)
    phone.dial(ZHANG, 20)
    phone.dial("+8613900139000", 20)
    assert clock.slept == [pytest.approx(1.0)]
