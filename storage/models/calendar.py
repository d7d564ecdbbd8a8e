"""Admins' corrections to the statutory calendar: the State Council's holidays and 调休 for a
year the ``holidays`` package does not have yet (read by ``schedulers.calendar``)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow


class CalendarOverride(Base):
    """One day made a holiday or a working day, whatever the library says of it."""

    __tablename__ = "calendar_override"
    __table_args__ = (CheckConstraint("kind IN ('holiday', 'workday')", name="kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # schedulers.calendar.HOLIDAY or WORKDAY
    name: Mapped[str] = mapped_column(String(64), default="")  # as the notice says, e.g. 春节
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
