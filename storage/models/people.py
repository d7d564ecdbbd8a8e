"""Stores and the people who work there."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.codes import Role
from storage.models.base import Base, utcnow


class Store(Base):
    """A dealership (门店). Archive rows, tasks and settings belong to one store."""

    __tablename__ = "store"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    hotline: Mapped[str | None] = mapped_column(String(32))


class User(Base):
    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str] = mapped_column(String(8), default="zh_Hans")
    # the user's headset phone on the store's PBX (agents' audio leg; advisors' transfer target)
    sip_extension: Mapped[str | None] = mapped_column(String(64))
    # Twilio mode, agents without a browser headset: the number the agent leg rings
    agent_phone: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    roles: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    stores: Mapped[list[UserStore]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def role_codes(self) -> set[str]:
        return {r.role for r in self.roles}

    def has_role(self, role: Role) -> bool:
        return role in self.role_codes


class UserRole(Base):
    __tablename__ = "user_role"
    __table_args__ = (UniqueConstraint("user_id", "role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(32))


class UserStore(Base):
    __tablename__ = "user_store"
    __table_args__ = (UniqueConstraint("user_id", "store_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
