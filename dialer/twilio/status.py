"""Twilio's call statuses in the order a call goes through them, and the report the web tier
forwards to the process that placed the call (dialer/events.py, ``ToSeat.CARRIER_STATUS``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

QUEUED, INITIATED, RINGING, IN_PROGRESS = "queued", "initiated", "ringing", "in-progress"
COMPLETED, BUSY, NO_ANSWER = "completed", "busy", "no-answer"
CANCELED, FAILED = "canceled", "failed"
FINAL = frozenset({COMPLETED, BUSY, NO_ANSWER, CANCELED, FAILED})

# initiated < ringing < answered (in-progress) < any final status. A callback only ever moves a
# call forward: a "ringing" delivered late, after "completed", changes nothing.
RANK = {QUEUED: 0, INITIATED: 0, RINGING: 1, IN_PROGRESS: 2} | dict.fromkeys(FINAL, 3)
UNKNOWN_RANK = -1  # a status we do not know is never applied

HUMAN, UNKNOWN, FAX = "human", "unknown", "fax"  # AnsweredBy; machines are machine_*


def rank(status: str | None) -> int:
    return RANK.get(status or "", UNKNOWN_RANK)


def moves_forward(current: str | None, new: str) -> bool:
    return rank(new) != UNKNOWN_RANK and rank(new) > rank(current)


def is_machine(answered_by: str | None) -> bool:
    return answered_by is not None and answered_by.startswith("machine_")


@dataclass(frozen=True)
class StatusReport:
    """What one webhook said about one call."""

    call_sid: str
    status: str
    answered_by: str | None = None  # answering-machine detection's verdict, when given
    sip_status: int | None = None  # SipResponseCode, on final statuses

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> StatusReport:
        code = form.get("SipResponseCode") or ""
        return cls(
            call_sid=form.get("CallSid") or "",
            status=(form.get("CallStatus") or "").lower(),
            answered_by=form.get("AnsweredBy") or None,
            sip_status=int(code) if code.isdigit() else None,
        )

    @classmethod
    def from_payload(cls, data: Mapping[str, object]) -> StatusReport:
        sip = data.get("sip_status")
        return cls(
            call_sid=str(data.get("call_sid") or ""),
            status=str(data.get("status") or ""),
            answered_by=str(data["answered_by"]) if data.get("answered_by") else None,
            sip_status=sip if isinstance(sip, int) else None,
        )

    def as_payload(self) -> dict[str, object]:
        return asdict(self)
