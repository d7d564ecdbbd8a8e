"""SIP final responses map to DOMAIN.md's network outcomes; a wrong row here would retry
empty numbers forever or give up on customers who were merely busy."""

import pytest

from dialer.outcomes import network_outcome
from storage.codes import NetworkOutcome as N


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, N.ANSWERED),
        (408, N.NO_ANSWER),
        (480, N.NO_ANSWER),
        (486, N.BUSY),
        (600, N.BUSY),
        (603, N.REJECTED),
        (404, N.INVALID_NUMBER),
        (484, N.INVALID_NUMBER),
        (604, N.INVALID_NUMBER),
        (500, N.UNREACHABLE),
        (502, N.UNREACHABLE),
        (503, N.UNREACHABLE),
        (504, N.UNREACHABLE),
        (599, N.UNREACHABLE),
        (403, N.FAILED),
        (488, N.FAILED),
        (487, N.FAILED),
        (401, N.FAILED),
        (606, N.FAILED),
    ],
)
def test_final_status_maps_to_its_network_outcome(status, outcome):
    assert network_outcome(status) == outcome


def test_487_after_our_own_cancel_at_ring_timeout_is_no_answer():
    assert network_outcome(487, cancelled_by_us=True) == N.NO_ANSWER


def test_our_cancel_does_not_change_other_final_responses():
    assert network_outcome(486, cancelled_by_us=True) == N.BUSY
    assert network_outcome(200, cancelled_by_us=True) == N.ANSWERED


def test_no_response_at_all_is_unreachable():
    assert network_outcome(None) == N.UNREACHABLE
    assert network_outcome(None, cancelled_by_us=True) == N.UNREACHABLE


def test_transport_error_is_unreachable_whatever_the_status():
    assert network_outcome(None, transport_error=True) == N.UNREACHABLE
    assert network_outcome(408, transport_error=True) == N.UNREACHABLE
