"""A campaign's life: drafted (a segment or an uploaded list), approved by a supervisor (its
outbox is built then: who gets what, who is excluded and why), sending from its send time,
done when nothing is left to send. Standing automatic campaigns (birthdays, holidays,
reminders) are approved once and stay ``approved``; the scheduler gives each day's send a
child campaign of its own."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, exists, select, update
from sqlalchemy.orm import Session

from storage.archive import segments
from storage.archive.normalise import clean, to_e164
from storage.errors import N_, DomainError, InvalidInput, NotFound
from storage.models import Customer, Phone, Segment, SmsCampaign, SmsOutbox, SmsUploadLine
from storage.sms import audience
from storage.sms.audience import Target
from storage.sms.codes import Audience, CampaignState, Reason, State, UploadReason, purpose_of
from storage.sms.render import fields_in

MAX_UPLOAD_LINES = 200_000


class WrongState(DomainError):
    code = "wrong_state"


def campaign_of(session: Session, campaign_id: int, store_ids: Iterable[int]) -> SmsCampaign:
    campaign = session.get(SmsCampaign, campaign_id)
    if campaign is None or campaign.store_id not in set(store_ids):
        raise NotFound(N_("there is no such campaign"), campaign_id=campaign_id)
    return campaign


def check_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise InvalidInput(N_("write the message"), field="body")
    fields_in(body)
    return body


def new_campaign(session: Session, **values) -> SmsCampaign:
    values["body"] = check_body(values.get("body", ""))
    campaign = SmsCampaign(purpose=purpose_of(values["kind"]), state=CampaignState.DRAFT, **values)
    session.add(campaign)
    session.flush()
    return campaign


# ---------- an uploaded list ----------


def read_upload(
    session: Session, campaign: SmsCampaign, lines: list[str], name: str
) -> Counter[str]:
    """One phone number per line (a name or other cells may follow, after a comma or tab);
    each line names the store's customer with that number, or is kept with the reason it
    was refused (line numbers from 1)."""
    if len(lines) > MAX_UPLOAD_LINES:
        raise InvalidInput(N_("the list has too many lines"), field="file", max=MAX_UPLOAD_LINES)
    session.query(SmsUploadLine).filter_by(campaign_id=campaign.id).delete()
    owners = _owners(session, campaign.store_id)
    seen: set[str] = set()
    counts: Counter[str] = Counter()
    rows = []
    for number, raw in enumerate(lines, 1):
        cell = clean(raw.replace("\t", ",").split(",")[0]) if raw.strip() else ""
        phone = to_e164(cell) if cell else None
        customer = owners.get(phone) if phone else None
        reason = (
            UploadReason.EMPTY if not cell
            else UploadReason.BAD_NUMBER if phone is None
            else UploadReason.REPEATED if phone in seen
            else UploadReason.NOT_A_CUSTOMER if customer is None
            else None
        )  # fmt: skip
        if phone:
            seen.add(phone)
        if not raw.strip():
            continue
        counts[reason or "accepted"] += 1
        rows.append(
            SmsUploadLine(campaign_id=campaign.id, line=number, raw=raw[:300], phone=phone,
                          customer_id=None if reason else customer, reason=reason)
        )  # fmt: skip
    session.add_all(rows)
    campaign.upload_name = name[:200]
    return counts


def _owners(session: Session, store_id: int) -> dict[str, int]:
    rows = session.execute(
        select(Phone.e164, Customer.id)
        .join(Customer, Customer.id == Phone.customer_id)
        .where(Customer.store_id == store_id)
        .order_by(Customer.id)
    )
    owners: dict[str, int] = {}
    for e164, customer_id in rows:
        owners.setdefault(e164, customer_id)
    return owners


# ---------- approval ----------


def targets(session: Session, campaign: SmsCampaign, now: datetime) -> list[Target]:
    if campaign.audience == Audience.SEGMENT:
        segment = session.get(Segment, campaign.segment_id) if campaign.segment_id else None
        if segment is None or segment.store_id != campaign.store_id:
            raise InvalidInput(N_("choose a segment of this store"), field="segment_id")
        return [Target(c) for c in segments.customer_ids(session, segment, now)]
    if campaign.audience == Audience.UPLOAD:
        ids = session.scalars(
            select(SmsUploadLine.customer_id)
            .where(SmsUploadLine.campaign_id == campaign.id, SmsUploadLine.customer_id.is_not(None))
            .order_by(SmsUploadLine.line)
        )
        return [Target(c) for c in ids if c is not None]
    return []  # standing campaigns: each day's job picks its own


def approve(
    session: Session, campaign: SmsCampaign, user_id: int, now: datetime, tz: ZoneInfo
) -> Counter[str]:
    """A supervisor's approval: the outbox is built (who gets what, who is excluded and why)
    and the campaign goes out from its send time. Only a draft can be approved."""
    if campaign.state != CampaignState.DRAFT:
        raise WrongState(N_("only a draft can be approved"), state=campaign.state)
    chosen = targets(session, campaign, now)
    if campaign.audience != Audience.AUTO and not chosen:
        raise InvalidInput(N_("the campaign has nobody to send to"), field="audience")
    changed = session.execute(
        update(SmsCampaign)
        .where(SmsCampaign.id == campaign.id, SmsCampaign.state == CampaignState.DRAFT)
        .values(state=CampaignState.APPROVED, approved_by_id=user_id, approved_at=now)
        .execution_options(synchronize_session="fetch", preserve_rowcount=True)
    )
    if cast(CursorResult, changed).rowcount != 1:  # approved by someone else meanwhile
        raise WrongState(N_("only a draft can be approved"), state=campaign.state)
    return audience.build(session, campaign, chosen, tz)


def cancel(session: Session, campaign: SmsCampaign, now: datetime) -> int:
    """Stop a campaign: what is still queued is never sent (returns how many)."""
    if campaign.state in (CampaignState.DONE, CampaignState.CANCELLED):
        raise WrongState(N_("the campaign is over"), state=campaign.state)
    campaign.state, campaign.finished_at = CampaignState.CANCELLED, now
    dropped = session.execute(
        update(SmsOutbox)
        .where(SmsOutbox.campaign_id == campaign.id, SmsOutbox.state == State.QUEUED)
        .values(state=State.EXCLUDED, reason=Reason.CANCELLED)
        .execution_options(preserve_rowcount=True)
    )
    return cast(CursorResult, dropped).rowcount


# ---------- the scheduler's moves ----------


def start_due(session: Session, now: datetime) -> list[int]:
    """Approved campaigns whose send time came (not standing ones) start sending."""
    due = list(
        session.scalars(
            select(SmsCampaign).where(
                SmsCampaign.state == CampaignState.APPROVED,
                (SmsCampaign.audience != Audience.AUTO) | SmsCampaign.parent_id.is_not(None),
                (SmsCampaign.send_at.is_(None)) | (SmsCampaign.send_at <= now),
            )
        )
    )
    for campaign in due:
        campaign.state, campaign.started_at = CampaignState.SENDING, now
    return [c.id for c in due]


def finish_done(session: Session, now: datetime) -> list[int]:
    """Sending campaigns with nothing queued or in flight are done (``unknown`` rows wait for
    a supervisor on their own list)."""
    pending = exists().where(
        SmsOutbox.campaign_id == SmsCampaign.id,
        SmsOutbox.state.in_((State.QUEUED, State.SENDING)),
    )
    done = list(
        session.scalars(
            select(SmsCampaign).where(SmsCampaign.state == CampaignState.SENDING, ~pending)
        )
    )
    for campaign in done:
        campaign.state, campaign.finished_at = CampaignState.DONE, now
    return [c.id for c in done]
