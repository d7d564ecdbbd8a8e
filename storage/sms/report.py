"""A campaign's report: targeted, excluded by reason, sent, delivered, failed, unknown, opted out
after it (when it was the last marketing message before the opt-out), replies and RSVPs; a
standing campaign's report covers its daily sends. Also each recipient's row, for the export."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from storage.consent import Channel, Purpose
from storage.models import Consent, Customer, SmsCampaign, SmsOutbox, SmsReply, SmsRsvp
from storage.sms.codes import EXCLUSIONS, State

SENT_STATES = (State.SENT, State.DELIVERED, State.FAILED)


@dataclass
class Figures:
    targeted: int = 0
    excluded: dict[str, int] = field(default_factory=dict)  # by reason
    queued: int = 0
    sent: int = 0  # taken by the provider (delivered and failed after sending included)
    delivered: int = 0
    failed: int = 0  # not sent or not delivered, by reason in ``failures``
    failures: dict[str, int] = field(default_factory=dict)
    unknown: int = 0
    opted_out_after: int = 0
    replies: int = 0
    rsvp_yes: int = 0
    rsvp_no: int = 0
    parts: int = 0  # parts billed for what was sent

    @property
    def excluded_total(self) -> int:
        return sum(self.excluded.values())

    def as_dict(self) -> dict:
        return {
            "targeted": self.targeted, "excluded": self.excluded_total,
            **{f"excluded_{k}": v for k, v in self.excluded.items()},
            "queued": self.queued, "sent": self.sent, "delivered": self.delivered,
            "failed": self.failed, "unknown": self.unknown,
            "opted_out_after": self.opted_out_after, "replies": self.replies,
            "rsvp_yes": self.rsvp_yes, "rsvp_no": self.rsvp_no, "parts": self.parts,
        }  # fmt: skip


def family(session: Session, campaign: SmsCampaign) -> list[int]:
    """The campaign and its daily sends."""
    children = session.scalars(select(SmsCampaign.id).where(SmsCampaign.parent_id == campaign.id))
    return [campaign.id, *children]


def figures(session: Session, campaign: SmsCampaign) -> Figures:
    ids = family(session, campaign)
    f = Figures(excluded={str(r): 0 for r in EXCLUSIONS})
    rows = session.execute(
        select(SmsOutbox.state, SmsOutbox.reason, SmsOutbox.provider_id.is_not(None),
               func.count(), func.coalesce(func.sum(SmsOutbox.parts), 0))
        .where(SmsOutbox.campaign_id.in_(ids))
        .group_by(SmsOutbox.state, SmsOutbox.reason, SmsOutbox.provider_id.is_not(None))
    )  # fmt: skip
    for state, reason, taken, n, parts in rows:
        f.targeted += n
        if state == State.EXCLUDED:
            key = reason or "excluded"
            f.excluded[key] = f.excluded.get(key, 0) + n
            continue
        if state in (State.QUEUED, State.SENDING):
            f.queued += n
        elif state == State.UNKNOWN:
            f.unknown += n
        if state in (State.SENT, State.DELIVERED) or (state == State.FAILED and taken):
            f.sent += n
            f.parts += parts
        if state == State.DELIVERED:
            f.delivered += n
        elif state == State.FAILED:
            f.failed += n
            f.failures[reason or "failed"] = f.failures.get(reason or "failed", 0) + n
    f.opted_out_after = _opted_out_after(session, ids)
    f.replies = session.scalar(select(func.count()).where(SmsReply.campaign_id.in_(ids))) or 0
    for coming, n in session.execute(
        select(SmsRsvp.coming, func.count())
        .where(SmsRsvp.campaign_id.in_(ids))
        .group_by(SmsRsvp.coming)
    ):
        if coming:
            f.rsvp_yes = n
        else:
            f.rsvp_no = n
    return f


def _opted_out_after(session: Session, ids: list[int]) -> int:
    """Recipients whose SMS marketing consent was withdrawn after this campaign's message, when
    it was the last marketing message they got before withdrawing (last touch): an opt-out
    counts once, for the campaign that made them opt out, not for every one they ever got."""
    later, its = aliased(SmsOutbox), aliased(SmsCampaign)
    touched_since = (
        select(later.id)
        .join(its, its.id == later.campaign_id)
        .where(
            later.customer_id == SmsOutbox.customer_id,
            its.purpose == Purpose.MARKETING,
            later.sent_at <= Consent.at,
            or_(
                later.sent_at > SmsOutbox.sent_at,
                and_(later.sent_at == SmsOutbox.sent_at, later.id > SmsOutbox.id),
            ),
        )
    )
    return (
        session.scalar(
            select(func.count(func.distinct(SmsOutbox.customer_id)))
            .join(SmsCampaign, SmsCampaign.id == SmsOutbox.campaign_id)
            .join(Consent, Consent.customer_id == SmsOutbox.customer_id)
            .where(
                SmsOutbox.campaign_id.in_(ids),
                SmsCampaign.purpose == Purpose.MARKETING,
                SmsOutbox.sent_at.is_not(None),
                Consent.channel == Channel.SMS,
                Consent.purpose == Purpose.MARKETING,
                Consent.granted.is_(False),
                Consent.at >= SmsOutbox.sent_at,
                ~touched_since.exists(),
            )
        )
        or 0
    )


def recipients(session: Session, campaign: SmsCampaign) -> Iterator[tuple]:
    """(customer, phone, state, reason, parts, sent at, provider id) of every recipient."""
    yield from session.execute(
        select(Customer.name, SmsOutbox.phone, SmsOutbox.state, SmsOutbox.reason,
               SmsOutbox.parts, SmsOutbox.sent_at, SmsOutbox.provider_id)
        .join(Customer, Customer.id == SmsOutbox.customer_id)
        .where(SmsOutbox.campaign_id.in_(family(session, campaign)))
        .order_by(SmsOutbox.id)
        .execution_options(yield_per=2000)
    )  # fmt: skip
