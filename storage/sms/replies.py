"""Inbound replies: an opt-out keyword withdraws the customer's SMS marketing consent at once,
START gives it back, an RSVP code answers the event notice the number got last; each is kept
once (the provider may deliver a reply twice) and acknowledged, in the language of the last
message the number got."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import consent
from storage.models import SmsCampaign, SmsOutbox, SmsReply, SmsRsvp, Store
from storage.sms.codes import Intent, State
from storage.sms.keywords import acknowledgement, intent_of
from storage.sms.outbox import OPTED_OUT_SOURCE, customers_with, opt_out

RECENT = timedelta(days=30)  # a reply answers a message sent to that number this recently
REACHED = (State.SENT, State.DELIVERED)


@dataclass(frozen=True)
class Inbound:
    provider: str
    provider_id: str
    from_phone: str
    to: str | None
    body: str


@dataclass(frozen=True)
class Received:
    intent: Intent
    acknowledgement: str | None  # what to answer (None for a repeat or plain text)
    repeated: bool = False


def receive(session: Session, msg: Inbound, now: datetime) -> Received:
    kept = session.scalar(
        select(SmsReply).where(
            SmsReply.provider == msg.provider, SmsReply.provider_id == msg.provider_id
        )
    )
    if kept is not None:
        return Received(Intent(kept.intent), None, repeated=True)
    last = _last_message(session, msg.from_phone, now)
    campaign = session.get(SmsCampaign, last.campaign_id) if last else None
    intent = intent_of(msg.body, rsvp_expected=bool(campaign and campaign.rsvp))
    customers = customers_with(session, msg.from_phone)
    reply = SmsReply(
        provider=msg.provider, provider_id=msg.provider_id, from_phone=msg.from_phone,
        to_phone=msg.to, body=msg.body[:2000], intent=intent,
        campaign_id=campaign.id if campaign else None,
        customer_ids=[c for c, _ in customers], received_at=now,
    )  # fmt: skip
    session.add(reply)
    session.flush()
    _act(session, intent, reply, customers, campaign, now)
    store = _store_name(session, campaign, customers)
    if not store:
        return Received(intent, None)
    return Received(intent, acknowledgement(intent, store, _language(session, msg.from_phone)))


def _act(session, intent, reply, customers, campaign, now) -> None:
    for customer_id, _ in customers:
        if intent is Intent.OPT_OUT:
            opt_out(session, customer_id, OPTED_OUT_SOURCE, f"replied {reply.body[:40]}", now)
        elif intent is Intent.OPT_IN:
            consent.record(
                session, customer_id, consent.Channel.SMS, consent.Purpose.MARKETING, True,
                source=OPTED_OUT_SOURCE, at=now,
            )  # fmt: skip
    if intent in (Intent.RSVP_YES, Intent.RSVP_NO) and campaign is not None:
        invited = session.scalars(
            select(SmsOutbox.customer_id).where(
                SmsOutbox.campaign_id == campaign.id, SmsOutbox.phone == reply.from_phone
            )
        )
        for customer_id in invited:
            rsvp = session.scalar(
                select(SmsRsvp).where(
                    SmsRsvp.campaign_id == campaign.id, SmsRsvp.customer_id == customer_id
                )
            ) or SmsRsvp(campaign_id=campaign.id, customer_id=customer_id)
            rsvp.coming, rsvp.reply_id, rsvp.at = intent is Intent.RSVP_YES, reply.id, now
            session.add(rsvp)


def _last_message(session: Session, phone: str, now: datetime) -> SmsOutbox | None:
    return session.scalar(
        select(SmsOutbox)
        .where(
            SmsOutbox.phone == phone,
            SmsOutbox.state.in_(REACHED),
            SmsOutbox.sent_at >= now - RECENT,
        )
        .order_by(SmsOutbox.sent_at.desc(), SmsOutbox.id.desc())
        .limit(1)
    )


def _language(session: Session, phone: str) -> str:
    """The language of the campaign whose message that number got last (Chinese if none)."""
    language = session.scalar(
        select(SmsCampaign.language)
        .join(SmsOutbox, SmsOutbox.campaign_id == SmsCampaign.id)
        .where(SmsOutbox.phone == phone, SmsOutbox.state.in_(REACHED))
        .order_by(SmsOutbox.sent_at.desc(), SmsOutbox.id.desc())
        .limit(1)
    )
    return language or "zh_Hans"


def _store_name(session, campaign, customers) -> str | None:
    store_id = campaign.store_id if campaign else (customers[0][1] if customers else None)
    store = session.get(Store, store_id) if store_id else None
    return store.name if store else None
