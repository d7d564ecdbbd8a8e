"""The SMS provider's webhooks, after their signature was checked: a delivery report applied
once and forward only, a reply kept once and acted on (opt-out, opt-in, RSVP)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from dialer.sms.gateway import SmsGateway
from storage.sms import replies, reports


def delivery_report(
    session: Session, gateway: SmsGateway, form: Mapping[str, str], query: Mapping[str, str],
    now: datetime,
) -> reports.Applied:  # fmt: skip
    report = gateway.delivery_report(form, query)
    if not report.provider_id or not report.status:
        return reports.Applied.UNMATCHED
    return reports.apply_report(session, report, now)


def reply(
    session: Session, gateway: SmsGateway, form: Mapping[str, str], now: datetime
) -> replies.Received | None:
    msg = gateway.inbound(form)
    if not msg.provider_id or not msg.from_phone:
        return None
    return replies.receive(session, msg, now)
