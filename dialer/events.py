"""Names of the events on the web tier's ``/internal`` namespace, in one place.

Payloads carry ids only; the web tier reads the store to build what browsers see.
"""

from enum import StrEnum


class ToWeb(StrEnum):
    """Sent by seat workers, the dialer supervisor and the scheduler to the web tier."""

    AGENT_CHANGED = "agent_changed"  # {"agent_id"}
    CALL_RINGING = "call_ringing"  # {"agent_id", "attempt_id"}
    CALL_ANSWERED = "call_answered"  # {"agent_id", "attempt_id"}
    CALL_ENDED = "call_ended"  # {"agent_id", "attempt_id", "answered", "hung_up_by"}
    TASKS_PLANNED = "tasks_planned"  # {"count"}
    AGENT_PHONE = "agent_phone"  # {"agent_id", "phone": dialer.seat_audio.Phone}
    # The result of a control the agent asked for: {"agent_id", "attempt_id", "action":
    # hold | unhold | transfer | dtmf, "ok", "detail"}; a transfer reports "ringing", then
    # "done" (the advisor answered) or fails with the advisor's network outcome as detail
    CALL_CONTROL = "call_control"
    CALL_PREVIEW = "call_preview"  # {"agent_id", "attempt_id"}: preview dialing, before the Dial


class ToSeat(StrEnum):
    """Sent by the web tier to one seat worker (room ``seat:<agent_id>``) or all (``seats``)."""

    WAKE = "seat_wake"  # the agent is ready, or new tasks are due: try to dial
    HANGUP = "seat_hangup"  # the agent hung up
    # A carrier's status callback about one of this seat's calls (or a call test's), forwarded
    # by the web tier that received it: {"call_sid", "status", "answered_by", "sip_status"}
    CARRIER_STATUS = "seat_carrier_status"
    HOLD = "seat_hold"  # {"hold": bool}: put the customer on hold, or take them off it
    TRANSFER = "seat_transfer"  # {"extension"}: hand the customer to this advisor's phone
    DTMF = "seat_dtmf"  # {"digits"}: send them to the customer (RFC 4733)
    REPORT = "seat_report"  # say again how the agent's phone is (a browser reconnected)
    DIAL = "seat_dial"  # {"attempt_id"}: the agent pressed Dial on the previewed record


class ToDialer(StrEnum):
    """Sent by the web tier to dialer supervisors (room ``dialers``)."""

    SEATS = "seats"  # {"agent_ids": [...]}: the agents logged in right now
    SEAT_LOGIN = "seat_login"  # {"agent_id"}
    SEAT_LOGOUT = "seat_logout"  # {"agent_id"}


ROLE_SEAT = "seat"
ROLE_DIALER = "dialer"
ROLE_SCHEDULER = "scheduler"
ROLE_CALL_TEST = "call_test"  # `huifang call-test` in Twilio mode, waiting for its callbacks
SEATS_ROOM = "seats"
CALL_TESTS_ROOM = "call_tests"
DIALERS_ROOM = "dialers"


def seat_room(agent_id: int) -> str:
    return f"seat:{agent_id}"
