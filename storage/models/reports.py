"""A store's figures for one closed day: what the daily report (日报) and the later
analyses read, frozen when the day is closed."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow


class DailyFigures(Base):
    __tablename__ = "daily_figures"
    __table_args__ = (UniqueConstraint("store_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    day: Mapped[date]  # the store's local date
    figures: Mapped[dict] = mapped_column(JSON, default=dict)
    closed_at: Mapped[datetime] = mapped_column(default=utcnow)
