"""Bulk SMS (DOMAIN.md, "Customer care and bulk SMS"): templates, campaigns and their audience,
the outbox (one row per recipient, sent at most once), replies, RSVPs and delivery reports.

States and codes are in ``storage.sms.codes``; the rules that move rows between them are in
``storage.sms.outbox`` (compare-and-set updates) and ``dialer.sms.sender``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow


class SmsTemplate(Base):
    """A message with personal fields (``{customer}``, ``{car}``...), in Chinese and English.
    Each save makes a new ``version``; a campaign keeps the text it was approved with."""

    __tablename__ = "sms_template"
    __table_args__ = (UniqueConstraint("store_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(24))  # storage.sms.codes.Kind
    occasion: Mapped[str | None] = mapped_column(String(24))  # holiday greetings: which holiday
    purpose: Mapped[str] = mapped_column(String(16))  # service / marketing, from the kind
    body_zh: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)
    active: Mapped[bool] = mapped_column(default=True)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SmsCampaign(Base):
    """One send to an audience: a saved segment, an uploaded list, or (``auto``) the customers
    a scheduled job picks (birthdays, holidays, reminders). A standing automatic campaign is
    approved once; each day's send is a child campaign (``parent_id``, ``source_key``)."""

    __tablename__ = "sms_campaign"
    __table_args__ = (Index("ix_sms_campaign_state", "state", "send_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(24))
    occasion: Mapped[str | None] = mapped_column(String(24))
    purpose: Mapped[str] = mapped_column(String(16))
    template_id: Mapped[int | None] = mapped_column(ForeignKey("sms_template.id"))
    template_version: Mapped[int | None]
    language: Mapped[str] = mapped_column(String(8), default="zh_Hans")
    body: Mapped[str] = mapped_column(Text)  # the template text as approved
    audience: Mapped[str] = mapped_column(String(16))  # segment / upload / auto
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segment.id"))
    upload_name: Mapped[str | None] = mapped_column(String(200))
    rsvp: Mapped[bool] = mapped_column(default=False)  # an event notice asking for a reply
    event_at: Mapped[datetime | None]
    send_at: Mapped[datetime | None]  # not before; None: as soon as approved
    state: Mapped[str] = mapped_column(String(16), default="draft")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("sms_campaign.id"), index=True)
    source_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    approved_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class SmsUploadLine(Base):
    """One line of an uploaded recipient list: the customer it names, or why it was refused."""

    __tablename__ = "sms_upload_line"
    __table_args__ = (UniqueConstraint("campaign_id", "line"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("sms_campaign.id", ondelete="CASCADE"))
    line: Mapped[int]
    raw: Mapped[str] = mapped_column(String(300))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    phone: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(32))  # None: accepted


class SmsOutbox(Base):
    """One message to one recipient. ``idempotency_key`` (campaign, customer, phone) makes a
    second row for the same recipient impossible; ``state`` moves queued -> sending (before the
    request) -> sent (with the provider's id) -> delivered | failed, or to ``unknown`` when a
    crash left it in ``sending`` and the provider could not tell whether it went out."""

    __tablename__ = "sms_outbox"
    __table_args__ = (
        Index("ix_sms_outbox_due", "state", "next_at"),
        Index("ix_sms_outbox_campaign", "campaign_id", "state"),
        Index("ix_sms_outbox_phone", "phone", "sent_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("sms_campaign.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    phone: Mapped[str] = mapped_column(String(20))
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32))  # why excluded or failed
    body: Mapped[str] = mapped_column(Text)  # as sent, signature and opt-out line included
    parts: Mapped[int] = mapped_column(default=1)
    attempts: Mapped[int] = mapped_column(default=0)
    next_at: Mapped[datetime | None]  # queued: not before
    claim: Mapped[str | None] = mapped_column(String(32))  # the run that marked it sending
    provider: Mapped[str | None] = mapped_column(String(16))
    provider_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    provider_status: Mapped[str | None] = mapped_column(String(24))
    error_code: Mapped[int | None]
    lookups: Mapped[int] = mapped_column(default=0)  # reconciliation tries after a crash
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sending_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]  # delivered or failed
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class SmsReply(Base):
    """A message a customer sent us, with what we made of it (opt-out, opt-in, RSVP)."""

    __tablename__ = "sms_reply"
    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    provider_id: Mapped[str] = mapped_column(String(64), unique=True)
    from_phone: Mapped[str] = mapped_column(String(20), index=True)
    to_phone: Mapped[str | None] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    intent: Mapped[str] = mapped_column(String(16))  # storage.sms.codes.Intent
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("sms_campaign.id"), index=True)
    customer_ids: Mapped[list] = mapped_column(JSON, default=list)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class SmsRsvp(Base):
    """A customer's answer to an event notice (the latest one counts)."""

    __tablename__ = "sms_rsvp"
    __table_args__ = (UniqueConstraint("campaign_id", "customer_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("sms_campaign.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    coming: Mapped[bool]
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("sms_reply.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class SmsStatusReport(Base):
    """A delivery report as the provider sent it, kept once (a repeat changes nothing)."""

    __tablename__ = "sms_status_report"
    __table_args__ = (UniqueConstraint("provider", "provider_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    provider_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(24))
    error_code: Mapped[int | None]
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("sms_outbox.id"), index=True)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
