"""Notices to console users: created for everyone holding a role in a store, listed, marked
read. The notifier pushes new ones to those online (``Notifier.notices``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.codes import Role
from storage.errors import N_, NotFound
from storage.models import Notice, User, UserRole, UserStore

PAGE = 200


def notify_role(
    session: Session, store_id: int, role: Role, kind: str, payload: dict, now: datetime
) -> list[Notice]:
    """One notice for each active user who holds ``role`` in the store."""
    user_ids = session.scalars(
        select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .join(UserStore, UserStore.user_id == User.id)
        .where(User.active, UserRole.role == role, UserStore.store_id == store_id)
        .distinct()
        .order_by(User.id)
    )
    notices = [Notice(user_id=uid, kind=kind, payload=payload, created_at=now) for uid in user_ids]
    session.add_all(notices)
    session.flush()
    return notices


def unread_count(session: Session, user_id: int) -> int:
    return (
        session.scalar(
            select(func.count(Notice.id)).where(Notice.user_id == user_id, Notice.read_at.is_(None))
        )
        or 0
    )


def listing(session: Session, user_id: int) -> list[Notice]:
    """The user's notices, unread first, newest first."""
    return list(
        session.scalars(
            select(Notice)
            .where(Notice.user_id == user_id)
            .order_by(Notice.read_at.is_not(None), Notice.created_at.desc(), Notice.id.desc())
            .limit(PAGE)
        )
    )


def mark_read(session: Session, user_id: int, notice_id: int, now: datetime) -> Notice:
    notice = session.get(Notice, notice_id)
    if notice is None or notice.user_id != user_id:
        raise NotFound(N_("there is no such notice"), notice_id=notice_id)
    notice.read_at = notice.read_at or now
    return notice


def mark_all_read(session: Session, user_id: int, now: datetime) -> int:
    result = session.execute(
        update(Notice)
        .where(Notice.user_id == user_id, Notice.read_at.is_(None))
        .values(read_at=now)
    )
    return result.rowcount or 0  # type: ignore[attr-defined]
