"""Notices to console users: created for everyone holding a role in a store, listed, marked
read. The notifier pushes new ones to those online (``Notifier.notices``)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from console.labels import COMPLAINT_CATEGORIES, pick
from storage.codes import Role
from storage.errors import N_, NotFound
from storage.models import Case, Notice, User, UserRole, UserStore

PAGE = 200


def notify_role(
    session: Session,
    store_id: int,
    role: Role,
    kind: str,
    payload: dict,
    now: datetime,
    ref: str | None = None,
) -> list[Notice]:
    """One notice for each active user who holds ``role`` in the store (``ref``: what it is
    about, e.g. ``case:12``)."""
    user_ids = session.scalars(
        select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .join(UserStore, UserStore.user_id == User.id)
        .where(User.active, UserRole.role == role, UserStore.store_id == store_id)
        .distinct()
        .order_by(User.id)
    )
    notices = [
        Notice(user_id=uid, kind=kind, ref=ref, payload=payload, created_at=now) for uid in user_ids
    ]
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


def page(session: Session, user_id: int, tz: ZoneInfo) -> dict:
    """The notices screen: the user's notices (``as_event``) with their local time."""
    items = [
        as_event(n) | {"local": f"{n.created_at.astimezone(tz):%Y-%m-%d %H:%M}"}
        for n in listing(session, user_id)
    ]
    return {"notices": items, "unread": sum(not n["read"] for n in items)}


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


def as_event(notice: Notice) -> dict:
    """A notice as pushed and listed: codes and ids; the page words it in its reader's language."""
    return {
        "id": notice.id,
        "user_id": notice.user_id,
        "kind": notice.kind,
        "payload": notice.payload,
        "created_at": notice.created_at.isoformat(),
        "read": notice.read_at is not None,
    }


def case_ref(case_id: int) -> str:
    return f"case:{case_id}"


def cases_opened(session: Session, attempt_id: int, locale: str) -> tuple[list[dict], list[dict]]:
    """The cases a call's wrap-up opened, for the agent's confirmation, and their notices."""
    cases = list(session.scalars(select(Case).where(Case.attempt_id == attempt_id)))
    labels = pick(COMPLAINT_CATEGORIES, locale)
    refs = [case_ref(c.id) for c in cases]
    notices = session.scalars(select(Notice).where(Notice.ref.in_(refs))) if refs else []
    opened = [
        {
            "case_id": c.id,
            "attempt_id": attempt_id,
            "category": c.category,
            "category_label": labels.get(c.category, c.category),
            "owner_role": c.owner_role,
        }
        for c in cases
    ]
    return opened, [as_event(n) for n in notices]
