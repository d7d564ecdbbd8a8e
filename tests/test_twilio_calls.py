"""How Twilio's status callbacks become the CallEvents a seat worker acts on: each once, in
order, whatever order and however often Twilio delivered them; and what each final status
means (DOMAIN.md's network outcomes)."""

from __future__ import annotations

import pytest

from dialer.backend import CallEventKind, HungUpBy
from dialer.twilio.backend import CALLBACK_GRACE_S
from dialer.twilio.outcomes import network_outcome
from dialer.twilio.status import StatusReport
from storage.codes import NetworkOutcome as N
from tests.twilio_fakes import SID, Clock, call_created, scripted_backend

K = CallEventKind


def report(status: str, answered_by: str | None = None, sip: int | None = None) -> StatusReport:
    return StatusReport(SID, status, answered_by, sip)


def call(*reports: StatusReport, clock: Clock | None = None):
    """Dial, deliver the reports as the web tier forwards them, return the events and phone."""
    phone = scripted_backend(call_created(), clock=clock)
    phone.dial("+8613800138000", 20)
    for r in reports:
        phone.deliver(r)
    return phone.poll(0), phone


def kinds(events) -> list[CallEventKind]:
    return [e.kind for e in events]


@pytest.mark.parametrize(
    ("status", "answered_by", "outcome"),
    [
        ("completed", "human", N.ANSWERED),
        ("completed", None, N.ANSWERED),
        ("completed", "unknown", N.ANSWERED),
        ("completed", "machine_start", N.VOICEMAIL),
        ("completed", "machine_end_beep", N.VOICEMAIL),
        ("completed", "fax", N.FAILED),
        ("no-answer", None, N.NO_ANSWER),
        ("busy", None, N.BUSY),
        ("canceled", None, N.REJECTED),
        ("failed", None, N.FAILED),
    ],
)
def test_each_final_status_has_its_network_outcome(status, answered_by, outcome):
    assert network_outcome(status, answered_by) == outcome


def test_a_call_we_cancelled_ourselves_is_a_no_answer_as_in_sip():
    assert network_outcome("canceled", cancelled_by_us=True) == N.NO_ANSWER


def test_a_call_a_person_answers_rings_is_answered_and_ends_hung_up_by_the_customer():
    events, _ = call(
        report("initiated"),
        report("ringing"),
        report("in-progress", "human"),
        report("completed", sip=200),
    )
    assert kinds(events) == [K.RINGING, K.ANSWERED, K.ENDED]
    ended = events[-1]
    assert (ended.outcome, ended.hung_up_by, ended.sip_status) == (
        N.ANSWERED,
        HungUpBy.CUSTOMER,
        200,
    )
    assert (ended.carrier_ref, ended.carrier_status) == (SID, "completed")
    assert ended.setup_ms is not None


def test_answered_waits_for_the_answering_machine_verdict():
    events, phone = call(report("ringing"), report("in-progress"))
    assert kinds(events) == [K.RINGING]  # the agent is not bridged yet: no screen pop
    phone.deliver(report("in-progress", "human"))  # the answer webhook brings the verdict
    assert kinds(phone.poll(0)) == [K.ANSWERED]


def test_an_answering_machine_is_a_voicemail_and_never_reaches_the_agent():
    events, _ = call(report("ringing"), report("in-progress", "machine_start"), report("completed"))
    assert kinds(events) == [K.RINGING, K.ENDED]
    assert events[-1].outcome == N.VOICEMAIL
    assert events[-1].hung_up_by is None


def test_a_late_ringing_after_completed_changes_nothing():
    events, phone = call(report("in-progress", "human"), report("completed"))
    assert kinds(events) == [K.ANSWERED, K.ENDED]
    phone.deliver(report("ringing"))
    assert phone.poll(0) == []


def test_a_duplicate_callback_gives_one_event():
    events, _ = call(report("ringing"), report("ringing"), report("busy"), report("busy"))
    assert kinds(events) == [K.RINGING, K.ENDED]
    assert events[-1].outcome == N.BUSY


def test_completed_before_its_answer_still_tells_the_seat_it_was_answered():
    events, _ = call(report("completed", "human"), report("in-progress", "human"))
    assert kinds(events) == [K.ANSWERED, K.ENDED]
    assert events[-1].outcome == N.ANSWERED


def test_ringing_after_the_answer_is_not_reported():
    events, _ = call(report("in-progress", "human"), report("ringing"))
    assert kinds(events) == [K.ANSWERED]


def test_the_agent_hanging_up_a_ringing_call_is_a_no_answer():
    events, phone = call(report("ringing"))
    phone.hangup(SID)
    phone.deliver(report("canceled"))
    [ended] = phone.poll(0)
    assert (ended.outcome, ended.hung_up_by) == (N.NO_ANSWER, None)


def test_the_agent_hanging_up_after_the_answer_is_hung_up_by_us():
    events, phone = call(report("in-progress", "human"))
    phone.hangup(SID)
    phone.deliver(report("completed"))
    [ended] = phone.poll(0)
    assert (ended.outcome, ended.hung_up_by) == (N.ANSWERED, HungUpBy.US)


def test_callbacks_about_a_call_that_is_not_ours_are_ignored():
    events, _ = call(StatusReport("CA" + "9" * 32, "ringing"))
    assert events == []


def test_without_any_callback_the_call_is_given_up_after_its_ring_time_and_a_grace():
    clock = Clock()
    events, phone = call(clock=clock)
    clock.now += 20 + CALLBACK_GRACE_S - 1
    assert phone.poll(0) == []
    clock.now += 2
    [ended] = phone.poll(0)
    assert (ended.outcome, ended.carrier_status) == (N.FAILED, "no_status_callback")
    phone.deliver(report("completed"))  # arriving after all: changes nothing
    assert phone.poll(0) == []
