"""Complaint cases (投诉案件) and what happens to them.

A case opens the day the complaint is heard (DOMAIN.md: every 6QS issue the same day) and is
owned by a role, then a person: ``owner_role`` starts at the service manager for a 6QS issue
and moves along the escalation order (agent, service advisor, reception supervisor, service
manager; the general manager for cases the carmaker forwards). Every step of its life, opening
included, is a ``CaseEvent``; a case closes only when the customer confirms it is solved.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.codes import CaseStatus
from storage.models.base import Base, utcnow


class Case(Base):
    __tablename__ = "complaint_case"
    __table_args__ = (Index("ix_complaint_case_store_status", "store_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicle.id"))
    repair_order_id: Mapped[int | None] = mapped_column(ForeignKey("repair_order.id"), index=True)
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("call_attempt.id"), index=True)
    category: Mapped[str] = mapped_column(String(32))  # storage.codes.ComplaintCategory
    channel: Mapped[str] = mapped_column(String(16), default="follow_up_call")
    verbatim: Mapped[str] = mapped_column(Text)  # the customer's words, as recorded
    status: Mapped[str] = mapped_column(String(24), default=CaseStatus.OPEN)
    owner_role: Mapped[str] = mapped_column(String(32))  # storage.codes.Role
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    promised_at: Mapped[datetime | None]  # the time the customer was told to expect an answer
    closed_at: Mapped[datetime | None]
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.at", cascade="all, delete-orphan"
    )


class CaseEvent(Base):
    """One step of a case: opened, escalated, customer informed, solved, confirmed, reopened..."""

    __tablename__ = "case_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("complaint_case.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(24))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    case: Mapped[Case] = relationship(back_populates="events")
