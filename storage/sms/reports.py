"""Delivery reports from the provider, applied once and forward only: a repeat changes nothing,
a late ``sent`` after ``delivered`` changes nothing, and a report about a row a crash left in
``sending`` (or ``unknown``) settles it, since the report names the row (``outbox_id``, carried
in the callback URL) and the provider's id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import SmsOutbox, SmsStatusReport
from storage.sms.codes import Reason, State
from storage.sms.outbox import CARRIER_SOURCE, MAX_ATTEMPTS, opt_out_number, reopen

# the provider's words (Twilio's message statuses) -> our state; None: nothing to change
STATUSES: dict[str, State | None] = {
    "accepted": None,
    "scheduled": None,
    "queued": None,
    "sending": State.SENT,
    "sent": State.SENT,
    "delivered": State.DELIVERED,
    "read": State.DELIVERED,
    "undelivered": State.FAILED,
    "failed": State.FAILED,
    "canceled": State.FAILED,
}
RANK = {
    State.QUEUED: 0,
    State.SENDING: 1,
    State.UNKNOWN: 1,
    State.SENT: 2,
    State.DELIVERED: 3,
    State.FAILED: 3,
}
OPTED_OUT_CODES = frozenset({21610})
RETRIED_CODES = frozenset({30001, 30003})  # queue overflow, handset unreachable: try later
RETRY_AFTER = timedelta(hours=1)


class Applied(StrEnum):
    APPLIED = "applied"
    REPEATED = "repeated"  # the same report again
    STALE = "stale"  # older than what we know
    UNMATCHED = "unmatched"  # no message of ours


@dataclass(frozen=True)
class Report:
    provider: str
    provider_id: str
    status: str
    error_code: int | None = None
    outbox_id: int | None = None  # from the callback URL we gave
    payload: dict | None = None


def apply_report(session: Session, report: Report, now: datetime) -> Applied:
    row = _row(session, report)
    kept = SmsStatusReport(
        provider=report.provider, provider_id=report.provider_id, status=report.status,
        error_code=report.error_code, outbox_id=row.id if row else None,
        payload=report.payload or {}, received_at=now,
    )  # fmt: skip
    try:
        with session.begin_nested():
            session.add(kept)
    except IntegrityError:
        return Applied.REPEATED
    if row is None:
        return Applied.UNMATCHED
    target = STATUSES.get(report.status)
    settled = False
    if row.provider_id is None and row.state in (State.SENDING, State.UNKNOWN, State.QUEUED):
        if row.state == State.QUEUED:  # resent by a supervisor meanwhile: leave it alone
            return Applied.STALE
        row.provider, row.provider_id = report.provider, report.provider_id
        row.sent_at = row.sent_at or now
        row.state, row.claim = State.SENT, None
        settled = True
    if target is None or RANK[target] <= RANK[State(row.state)]:
        row.provider_status = row.provider_status or report.status
        return Applied.APPLIED if settled else Applied.STALE
    row.provider_status, row.error_code = report.status, report.error_code
    if target is State.FAILED:
        _failed(session, row, report, now)
    else:
        row.state = target
        row.done_at = now if target is State.DELIVERED else row.done_at
    return Applied.APPLIED


def _row(session: Session, report: Report) -> SmsOutbox | None:
    row = session.scalar(
        select(SmsOutbox).where(
            SmsOutbox.provider == report.provider, SmsOutbox.provider_id == report.provider_id
        )
    )
    if row is None and report.outbox_id is not None:
        row = session.get(SmsOutbox, report.outbox_id)
        if row is not None and row.provider_id not in (None, report.provider_id):
            return None  # the row was resent since: this report is of an earlier message
    return row


def _failed(session: Session, row: SmsOutbox, report: Report, now: datetime) -> None:
    code = report.error_code
    if code in RETRIED_CODES and row.attempts < MAX_ATTEMPTS:
        row.state, row.next_at, row.provider_id = State.QUEUED, now + RETRY_AFTER, None
        session.flush()
        reopen(session, row.id)
        return
    row.state, row.done_at = State.FAILED, now
    row.reason = Reason.OPTED_OUT if code in OPTED_OUT_CODES else Reason.UNDELIVERED
    if code in OPTED_OUT_CODES:
        opt_out_number(session, row, CARRIER_SOURCE, f"provider error {code}", now)
