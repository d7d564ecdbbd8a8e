"""The versions of an SMS template, each as it was saved.

``SmsTemplate`` holds the current text and its ``version`` number; a row here keeps every
number's text, who saved it and when, so that the text a campaign was approved with can be read
next to the others. A version is never changed; rows are added by
``console.services.sms_versions.save``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow


class SmsTemplateVersion(Base):
    __tablename__ = "sms_template_version"
    __table_args__ = (UniqueConstraint("template_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("sms_template.id", ondelete="CASCADE"))
    number: Mapped[int]  # SmsTemplate.version when it was saved: 1, 2, ...
    kind: Mapped[str] = mapped_column(String(24))
    occasion: Mapped[str | None] = mapped_column(String(24))
    purpose: Mapped[str] = mapped_column(String(16))
    body_zh: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
