"""Per-store settings, import batches and the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow


class StoreSetting(Base):
    """One per-store setting (every number of DOMAIN.md's rules is one), as text."""

    __tablename__ = "store_setting"
    __table_args__ = (UniqueConstraint("store_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    key: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ImportBatch(Base):
    """One import of one DMS file: what came in and what happened to it."""

    __tablename__ = "import_batch"
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(260))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    as_of: Mapped[datetime]  # when the export was made (the file's time unless given)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    counts: Mapped[dict] = mapped_column(JSON, default=dict)


class AuditEntry(Base):
    """Who did what to the archive: edits, exports, imports."""

    __tablename__ = "audit_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("store.id"))
    action: Mapped[str] = mapped_column(String(32))  # edit, export, import
    entity: Mapped[str | None] = mapped_column(String(32))
    entity_id: Mapped[int | None]
    details: Mapped[dict] = mapped_column(JSON, default=dict)
