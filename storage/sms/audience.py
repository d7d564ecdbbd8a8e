"""From a campaign's audience to its outbox: one row per targeted customer, ``queued`` with the
message as it will be sent, or ``excluded`` with the reason (no consent, opted out, no valid
mobile, a number another recipient already has, a field the template needs and the customer
lacks). Building again adds nothing: the idempotency key (campaign, customer, phone) is unique.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from itertools import islice
from zoneinfo import ZoneInfo

import phonenumbers
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from storage.consent import Channel, Purpose, answers
from storage.models import Customer, Phone, SmsCampaign, SmsOutbox, Store, Vehicle
from storage.sms import keywords, render, text
from storage.sms.codes import Reason, State

CHUNK = 500
UNUSABLE = ("wrong", "empty")


@dataclass(frozen=True)
class Target:
    """A customer to message, with what the message is about (a car, a due date)."""

    customer_id: int
    vehicle_id: int | None = None
    on: date | None = None


def idempotency_key(campaign_id: int, customer_id: int, phone: str) -> str:
    return f"{campaign_id}:{customer_id}:{phone}"


def is_mobile(e164: str) -> bool:
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return False
    kind = phonenumbers.number_type(number)
    return kind in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def exclusion(purpose: str, answer: bool | None) -> Reason | None:
    """Consent (DOMAIN.md): marketing needs a recorded yes, service is allowed unless refused."""
    if answer is False:
        return Reason.OPTED_OUT
    if purpose == Purpose.MARKETING and answer is None:
        return Reason.NO_CONSENT
    return None


def message_for(campaign: SmsCampaign, store: Store, body: str) -> str:
    if campaign.rsvp:
        prompt = keywords.RSVP_PROMPT.get(campaign.language, keywords.RSVP_PROMPT["zh_Hans"])
        body = body.rstrip() + ("" if body.rstrip()[-1:] in text.SENTENCE_ENDS else "，") + prompt
    return text.compose(body, store.name, campaign.purpose, campaign.language)


def build(
    session: Session, campaign: SmsCampaign, targets: Iterable[Target], tz: ZoneInfo
) -> Counter[str]:
    """Write the outbox rows of ``targets`` (skipping those already there); returns how many
    were queued and excluded, by reason (``queued``, ``no_consent``...)."""
    store = session.get_one(Store, campaign.store_id)
    info = render.StoreInfo(store.name, store.hotline)
    taken = set(
        session.scalars(select(SmsOutbox.phone).where(SmsOutbox.campaign_id == campaign.id))
    )
    done = set(
        session.scalars(select(SmsOutbox.customer_id).where(SmsOutbox.campaign_id == campaign.id))
    )
    counts: Counter[str] = Counter()
    for chunk in _chunks((t for t in targets if t.customer_id not in done), CHUNK):
        rows = list(_rows(session, campaign, store, info, chunk, taken, tz))
        if rows:
            session.execute(insert(SmsOutbox), rows)
        counts.update(r["reason"] or r["state"] for r in rows)
        done.update(t.customer_id for t in chunk)
    return counts


def _chunks(items: Iterable[Target], size: int) -> Iterator[list[Target]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _rows(
    session: Session,
    campaign: SmsCampaign,
    store: Store,
    info: render.StoreInfo,
    chunk: list[Target],
    taken: set[str],
    tz: ZoneInfo,
) -> Iterator[dict]:
    ids = list(dict.fromkeys(t.customer_id for t in chunk))
    customers = {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(ids)))}
    mobiles = _mobiles(session, ids)
    cars = _cars(session, ids, [t.vehicle_id for t in chunk if t.vehicle_id])
    consent = answers(session, ids, Channel.SMS, Purpose(campaign.purpose))
    event_at = campaign.event_at.astimezone(tz) if campaign.event_at else None
    seen: set[int] = set()
    for t in chunk:
        customer = customers.get(t.customer_id)
        if customer is None or customer.store_id != campaign.store_id or t.customer_id in seen:
            continue
        seen.add(t.customer_id)
        phone = mobiles.get(t.customer_id)
        car = cars.get(t.vehicle_id) if t.vehicle_id else cars.get(-t.customer_id)
        recipient = render.Recipient(
            customer.name,
            customer.gender,
            customer.is_company,
            car.model if car else None,
            car.plate if car else None,
            t.on,
            event_at,
        )
        reason = exclusion(campaign.purpose, consent.get(t.customer_id))
        if phone is None:
            reason = reason or Reason.NO_MOBILE
        elif phone in taken:
            reason = reason or Reason.DUPLICATE_PHONE
        body = ""
        try:
            body = message_for(
                campaign, store, render.render(campaign.body, recipient, info, campaign.language)
            )
        except render.MissingField:
            reason = reason or Reason.MISSING_FIELD
        if phone and not reason:
            taken.add(phone)
        number = phone or ""
        yield {
            "campaign_id": campaign.id,
            "store_id": campaign.store_id,
            "customer_id": t.customer_id,
            "phone": number,
            "idempotency_key": idempotency_key(campaign.id, t.customer_id, number),
            "state": State.EXCLUDED if reason else State.QUEUED,
            "reason": reason,
            "body": body,
            "parts": text.count(body).parts if body else 0,
            "attempts": 0,
            "lookups": 0,
            "next_at": campaign.send_at,
        }


def _mobiles(session: Session, customer_ids: list[int]) -> dict[int, str]:
    """Each customer's first usable mobile number (by the order they are called in)."""
    rows = session.execute(
        select(Phone.customer_id, Phone.e164)
        .where(Phone.customer_id.in_(customer_ids), Phone.validity.not_in(UNUSABLE))
        .order_by(Phone.customer_id, Phone.position, Phone.id)
    )
    found: dict[int, str] = {}
    for customer_id, e164 in rows:
        if customer_id not in found and is_mobile(e164):
            found[customer_id] = e164
    return found


def _cars(session: Session, customer_ids: list[int], vehicle_ids: list[int]) -> dict[int, Vehicle]:
    """Named cars by id; each customer's first car under ``-customer_id``."""
    cars: dict[int, Vehicle] = {}
    query = select(Vehicle).where(Vehicle.customer_id.in_(customer_ids)).order_by(Vehicle.id)
    for car in session.scalars(query):
        cars.setdefault(-car.customer_id, car)
        cars[car.id] = car
    missing = [v for v in vehicle_ids if v not in cars]
    if missing:
        cars.update(
            {c.id: c for c in session.scalars(select(Vehicle).where(Vehicle.id.in_(missing)))}
        )
    return cars
