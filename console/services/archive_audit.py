"""The audit log page: who edited, exported, imported or segmented the archive, and when."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from console.services.archive import Access, local_time
from storage.models import AuditEntry, Customer, User

AUDIT_PAGE = 50


def audit_page(
    session: Session, access: Access, action: str | None, page: int, tz: ZoneInfo
) -> dict:
    """Audit entries of the user's stores (and store-less ones), newest first, one page."""
    page = max(page, 1)
    query = (
        select(AuditEntry, User.display_name, Customer.name)
        .outerjoin(User, User.id == AuditEntry.user_id)
        .outerjoin(
            Customer, and_(AuditEntry.entity == "customer", Customer.id == AuditEntry.entity_id)
        )
        .where(or_(AuditEntry.store_id.in_(access.store_ids), AuditEntry.store_id.is_(None)))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .offset((page - 1) * AUDIT_PAGE)
        .limit(AUDIT_PAGE + 1)
    )
    if action:
        query = query.where(AuditEntry.action == action)
    rows = session.execute(query).all()
    return {
        "entries": [_entry(e, user, customer, tz) for e, user, customer in rows[:AUDIT_PAGE]],
        "page": page,
        "has_next": len(rows) > AUDIT_PAGE,
        "action": action or "",
    }


def _entry(e: AuditEntry, user: str | None, customer: str | None, tz: ZoneInfo) -> dict:
    details = e.details or {}
    edited = e.action == "edit"
    return {
        "at": local_time(e.at, tz),
        "user": user or "",
        "action": e.action,
        "entity": e.entity or "",
        "entity_id": e.entity_id,
        "customer": customer,
        "changes": [_change(k, v) for k, v in details.items() if edited and _pair(v)],
        "facts": [] if edited else sorted(details.items()),
    }


def _pair(value: object) -> bool:
    return isinstance(value, list) and len(value) == 2


def _change(key: str, values: list) -> dict:
    """``"phone:8.validity"`` -> the phone with id 8, its validity; ``"consent.call.service"``
    -> consent for calls and service; ``"street"`` -> the customer's street."""
    record, ref, field = "customer", "", key
    if key.startswith("phone:"):
        record, (ref, field) = "phone", key.removeprefix("phone:").split(".", 1)
    elif key.startswith("consent."):
        parts = key.split(".")
        record, ref, field = "consent", ".".join(parts[1:3]), ".".join(parts[3:]) or "granted"
    return {"record": record, "ref": ref, "field": field, "old": values[0], "new": values[1]}
