"""Complaint cases opened from follow-up calls. The full lifecycle (escalation, the customer
told and kept informed, solved, confirmed by a separate call, reopened) is later work; the
model and its events are ready for it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.services import notices
from storage.codes import SIX_QS, CaseEventKind, CaseStatus, ComplaintCategory, NoticeKind, Role
from storage.models import CallTask, Case, CaseEvent, Outcome, RepairOrder, Vehicle

EXCERPT = 200


def owner_role(category: ComplaintCategory) -> Role:
    """Every 6QS issue goes to the service manager the day it opens (DOMAIN.md); any other
    complaint to the centre head, who handles big complaints."""
    return Role.SERVICE_MANAGER if category in SIX_QS else Role.CENTRE_HEAD


def open_from_call(
    session: Session, outcome: Outcome, category: ComplaintCategory, now: datetime
) -> Case:
    """Open the case a complaint in a call raised, about the car and repair order the call
    follows up, and notify everyone who holds the owner role in the store."""
    task = outcome.attempt.task
    vehicle, ro = _subject(session, task)
    role = owner_role(category)
    case = Case(
        store_id=task.store_id,
        customer_id=task.customer_id,
        vehicle_id=vehicle.id if vehicle else None,
        repair_order_id=ro.id if ro else None,
        attempt_id=outcome.attempt_id,
        category=category,
        verbatim=outcome.complaint_text or "",
        status=CaseStatus.OPEN,
        owner_role=role,
        opened_by_id=outcome.agent_id,
        opened_at=now,
    )
    case.events.append(
        CaseEvent(at=now, kind=CaseEventKind.OPENED, actor_id=outcome.agent_id,
                  details={"outcome_id": outcome.id, "owner_role": role.value})
    )  # fmt: skip
    session.add(case)
    session.flush()
    payload = {
        "case_id": case.id,
        "category": category.value,
        "customer_id": task.customer_id,
        "customer_name": task.customer.name,
        "plate": vehicle.plate if vehicle else None,
        "ro_number": ro.ro_number if ro else None,
        "verbatim": case.verbatim[:EXCERPT],
        "opened_at": now.isoformat(),
    }
    notices.notify_role(
        session,
        task.store_id,
        role,
        NoticeKind.CASE_OPENED,
        payload,
        now,
        notices.case_ref(case.id),
    )
    return case


def _subject(session: Session, task: CallTask) -> tuple[Vehicle | None, RepairOrder | None]:
    """The repair order the call follows up (and its car), else the first car the call is
    about."""
    for item in task.items:
        if item.source_ref.startswith("ro:"):
            ro = session.scalar(
                select(RepairOrder).where(
                    RepairOrder.store_id == task.store_id,
                    RepairOrder.ro_number == item.source_ref.removeprefix("ro:"),
                )
            )
            if ro is not None:
                return ro.vehicle or item.vehicle, ro
    vehicle = next((i.vehicle for i in task.items if i.vehicle is not None), None)
    return vehicle, None
