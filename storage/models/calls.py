"""Follow-up work: tasks (one call that may cover several task types), attempts, outcomes,
and each agent's live state."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.codes import AgentState, TaskStatus
from storage.models.archive import Customer, Phone, Vehicle
from storage.models.base import Base, utcnow


class CallTask(Base):
    """One call to one customer. Its items say which follow-ups the call covers."""

    __tablename__ = "call_task"
    __table_args__ = (Index("ix_call_task_queue", "status", "next_attempt_at", "deadline_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=TaskStatus.PENDING)
    due_at: Mapped[datetime]
    deadline_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    claimed_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    closed_reason: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    customer: Mapped[Customer] = relationship()
    items: Mapped[list[TaskItem]] = relationship(
        back_populates="task", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def types(self) -> list[str]:
        """The follow-up types the call covers, the earliest due first (ties by name)."""
        first_due: dict[str, datetime] = {}
        for item in self.items:
            if item.task_type not in first_due or item.due_at < first_due[item.task_type]:
                first_due[item.task_type] = item.due_at
        return sorted(first_due, key=lambda kind: (first_due[kind], kind))


class TaskItem(Base):
    """One follow-up owed to a customer, from one source fact (e.g. ``ro:RO-2026-0001``).

    The unique key (store, type, source) is what makes planning idempotent.
    """

    __tablename__ = "task_item"
    __table_args__ = (UniqueConstraint("store_id", "task_type", "source_ref"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    task_id: Mapped[int] = mapped_column(ForeignKey("call_task.id", ondelete="CASCADE"), index=True)
    task_type: Mapped[str] = mapped_column(String(32))
    source_ref: Mapped[str] = mapped_column(String(64))
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicle.id"))
    due_at: Mapped[datetime]
    deadline_at: Mapped[datetime]
    reason: Mapped[str | None] = mapped_column(String(200))
    task: Mapped[CallTask] = relationship(back_populates="items")
    vehicle: Mapped[Vehicle | None] = relationship()


class CallAttempt(Base):
    """One dial of one phone for one task, with what the network answered."""

    __tablename__ = "call_attempt"
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("call_task.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    phone_id: Mapped[int | None] = mapped_column(ForeignKey("phone.id"))
    dialled: Mapped[str] = mapped_column(String(200))
    backend: Mapped[str] = mapped_column(String(16), default="sip")
    carrier_ref: Mapped[str | None] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    setup_ms: Mapped[int | None]
    sip_status: Mapped[int | None]
    network_outcome: Mapped[str | None] = mapped_column(String(16))
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    answered_by: Mapped[str | None] = mapped_column(String(16))  # human / machine (Twilio AMD)
    carrier_status: Mapped[str | None] = mapped_column(String(32))  # last carrier status applied
    abandoned: Mapped[bool] = mapped_column(default=False)  # answered, no agent free in time
    recording_path: Mapped[str | None] = mapped_column(String(300))  # relative to the instance
    # the script versions the agent was shown (script_version.id): each script's newest as of
    # the answer, recorded by the first draft (console.services.scripts.parts_for_attempt)
    script_version_ids: Mapped[list[int] | None] = mapped_column(JSON)
    task: Mapped[CallTask] = relationship()
    phone: Mapped[Phone | None] = relationship()
    outcome: Mapped[Outcome | None] = relationship(back_populates="attempt", uselist=False)


class CarrierCallback(Base):
    """One status callback a carrier sent, kept once: a duplicate delivery is recognised by its
    (carrier, call, status) and changes nothing."""

    __tablename__ = "carrier_callback"
    __table_args__ = (UniqueConstraint("carrier", "call_ref", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    carrier: Mapped[str] = mapped_column(String(16))
    call_ref: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("call_attempt.id"), index=True)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Outcome(Base):
    """What the agent recorded for an answered attempt; a draft until wrap-up commits it."""

    __tablename__ = "outcome"
    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("call_attempt.id"), unique=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("call_task.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    code: Mapped[str | None] = mapped_column(String(32))
    satisfaction: Mapped[int | None]
    complaint_text: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    # survey answers by task type and question key: {"repair_3dc": {"overall": 5, "fixed": "yes"}}
    answers: Mapped[dict | None] = mapped_column(JSON)
    complaint_category: Mapped[str | None] = mapped_column(String(32))  # ComplaintCategory
    suggestion: Mapped[str | None] = mapped_column(Text)  # verbatim, answered within 2 days
    appointment_on: Mapped[date | None]  # appointment booked: the day the customer comes
    churn_direction: Mapped[str | None] = mapped_column(String(24))  # ChurnDirection
    churn_reason: Mapped[str | None] = mapped_column(String(16))  # ChurnReason
    final: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    saved_at: Mapped[datetime | None]
    attempt: Mapped[CallAttempt] = relationship(back_populates="outcome")


class AgentStatus(Base):
    """An agent's live state, shared by the web tier and the agent's seat worker."""

    __tablename__ = "agent_status"
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default=AgentState.OFFLINE)
    since: Mapped[datetime] = mapped_column(default=utcnow)
    logged_in: Mapped[bool] = mapped_column(default=False)
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("call_attempt.id"))
    pause_reason: Mapped[str | None] = mapped_column(String(64))
