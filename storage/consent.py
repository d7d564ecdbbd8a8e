"""Consent per channel and purpose (DOMAIN.md): without a recorded answer, service contact is
allowed and marketing is not (the default for imported customers)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Consent


class Channel(StrEnum):
    CALL = "call"
    SMS = "sms"


class Purpose(StrEnum):
    SERVICE = "service"
    MARKETING = "marketing"


DEFAULTS = {Purpose.SERVICE: True, Purpose.MARKETING: False}


def allows(session: Session, customer_id: int, channel: Channel, purpose: Purpose) -> bool:
    granted = session.scalar(
        select(Consent.granted).where(
            Consent.customer_id == customer_id,
            Consent.channel == channel,
            Consent.purpose == purpose,
        )
    )
    return DEFAULTS[purpose] if granted is None else granted


def record(
    session: Session,
    customer_id: int,
    channel: Channel,
    purpose: Purpose,
    granted: bool,
    *,
    source: str,
    at: datetime,
    reason: str | None = None,
) -> Consent:
    """Record the customer's latest answer for one channel and purpose."""
    consent = session.scalar(
        select(Consent).where(
            Consent.customer_id == customer_id,
            Consent.channel == channel,
            Consent.purpose == purpose,
        )
    ) or Consent(customer_id=customer_id, channel=channel, purpose=purpose)
    consent.granted, consent.source, consent.at = granted, source, at
    consent.reason = None if granted else reason
    session.add(consent)
    return consent


def answers(
    session: Session, customer_ids: list[int], channel: Channel, purpose: Purpose
) -> dict[int, bool]:
    """The recorded answers of ``customer_ids`` (absent: none recorded, the default applies)."""
    rows = session.execute(
        select(Consent.customer_id, Consent.granted).where(
            Consent.customer_id.in_(customer_ids),
            Consent.channel == channel,
            Consent.purpose == purpose,
        )
    )
    return {customer_id: granted for customer_id, granted in rows}
