"""Leases: a named role that one process at a time holds, such as the active scheduler.
The rules (take, renew, release by compare-and-set) are in ``storage.lease``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class SchedulerLease(Base):
    """Who holds the named lease, and until when (free again once ``expires_at`` passed)."""

    __tablename__ = "scheduler_lease"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(Text)  # host:pid:random of the holding process
    acquired_at: Mapped[datetime]  # when this holder took it
    renewed_at: Mapped[datetime]
    expires_at: Mapped[datetime]
