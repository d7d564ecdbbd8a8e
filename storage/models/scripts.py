"""Call scripts: one per store, task type and customer kind, kept as numbered versions.

A version is never changed: editing a script adds the next version, and each call records the
versions it was read from (``CallAttempt.script_version_ids``). ``content`` holds the steps in
both languages (``console.script_content`` checks its shape).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, utcnow


class CallScript(Base):
    __tablename__ = "call_script"
    __table_args__ = (UniqueConstraint("store_id", "task_type", "customer_kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    task_type: Mapped[str] = mapped_column(String(32))
    customer_kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    versions: Mapped[list[ScriptVersion]] = relationship(
        back_populates="script", order_by="ScriptVersion.number.desc()"
    )


class ScriptVersion(Base):
    __tablename__ = "script_version"
    __table_args__ = (UniqueConstraint("script_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    script_id: Mapped[int] = mapped_column(ForeignKey("call_script.id"))
    number: Mapped[int]  # 1, 2, ... per script; 1 is our default wording
    content: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(String(200))  # what the editor changed
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))  # None: default
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    script: Mapped[CallScript] = relationship(back_populates="versions")
