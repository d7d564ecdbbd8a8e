"""Notices: what the console tells one user (e.g. a complaint case handed to them), kept until
read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow


class Notice(Base):
    __tablename__ = "notice"
    __table_args__ = (Index("ix_notice_user_read", "user_id", "read_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))  # storage.codes.NoticeKind
    ref: Mapped[str | None] = mapped_column(String(64), index=True)  # what it is about: case:12
    payload: Mapped[dict] = mapped_column(JSON, default=dict)  # codes and ids, no sentences
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
