"""What the agent's screen shows when a customer answers: the record and the script."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.call_scripts import render_call
from console.labels import CASE_STATUSES, COMPLAINT_CATEGORIES, REPAIR_TYPES, pick
from console.reasons import reason_text
from console.services.script_fields import script_fields
from console.services.scripts import parts_for_attempt
from storage.codes import CaseStatus
from storage.consent import DEFAULTS, Channel, Purpose
from storage.models import CallAttempt, CallTask, Case, Customer, Outcome, RepairOrder, Store, User
from storage.settings import load_settings

RECENT_VISITS = 5


def ringing_payload(session: Session, attempt_id: int) -> dict:
    attempt = session.get_one(CallAttempt, attempt_id)
    customer = attempt.task.customer
    number = attempt.phone.masked if attempt.phone else ""
    return {"attempt_id": attempt.id, "customer_name": customer.name, "number": number}


def screen_pop(session: Session, attempt_id: int, locale: str, now: datetime) -> dict:
    attempt = session.get_one(CallAttempt, attempt_id)
    task, customer = attempt.task, attempt.task.customer
    store = session.get_one(Store, task.store_id)
    tz = ZoneInfo(store.timezone)
    visits = _recent_visits(session, customer.id)
    outcome = attempt.outcome
    return {
        "attempt_id": attempt.id,
        "task": {
            "id": task.id,
            "types": task.types,
            "due": task.due_at.astimezone(tz).isoformat(),
            "deadline": task.deadline_at.astimezone(tz).isoformat(),
            "overdue": now > task.deadline_at,
            "reasons": [reason_text(i.reason, locale) for i in task.items],
        },
        "customer": _customer(customer, attempt)
        | {"visits": _visits(visits, tz, locale, _six_qs(session, visits))},
        "script": _script(session, attempt, store, locale, now),
        "draft": _draft(outcome),
    } | _record(session, attempt, tz, locale)


def _customer(customer: Customer, attempt: CallAttempt) -> dict:
    return {
        "id": customer.id,
        "name": customer.name,
        "gender": customer.gender,
        "is_company": customer.is_company,
        "city": customer.city,
        "phones": [
            {
                "number": p.masked,
                "kind": p.kind,
                "validity": p.validity,
                "dialled": p.id == attempt.phone_id,
            }
            for p in customer.phones
        ],
        "vehicles": [
            {
                "vin": v.vin,
                "plate": v.plate,
                "model": v.model,
                "model_year": v.model_year,
                "delivered_on": v.delivered_on.isoformat() if v.delivered_on else None,
            }
            for v in customer.vehicles
        ],
    }


def _recent_visits(session: Session, customer_id: int) -> list[RepairOrder]:
    return list(
        session.scalars(
            select(RepairOrder)
            .where(RepairOrder.customer_id == customer_id)
            .order_by(RepairOrder.opened_at.desc())
            .limit(RECENT_VISITS)
        )
    )


def _visits(
    visits: list[RepairOrder], tz: ZoneInfo, locale: str, six_qs: dict[int, list[str]]
) -> list[dict]:
    labels, categories = pick(REPAIR_TYPES, locale), pick(COMPLAINT_CATEGORIES, locale)
    return [
        {
            "ro_number": ro.ro_number,
            "closed_at": ro.closed_at.astimezone(tz).isoformat() if ro.closed_at else None,
            "ro_type": ro.ro_type,
            "ro_type_label": labels.get(ro.ro_type, ro.ro_type),
            "advisor": ro.advisor,
            "amount": f"{ro.amount:.2f}" if ro.amount is not None else None,
            "odometer_km": ro.odometer_km,
            "six_qs": six_qs.get(ro.id, []),
            "six_qs_labels": [categories.get(c, c) for c in six_qs.get(ro.id, [])],
        }
        for ro in visits
    ]


def _script(session: Session, attempt, store, locale: str, now: datetime) -> dict:
    """The call's script in steps, from the versions recorded on the attempt (the store's
    current ones the first time: see ``console.services.scripts.parts_for_attempt``)."""
    settings = load_settings(session, store.id)
    kind, parts = parts_for_attempt(session, attempt, settings=settings)
    fields = script_fields(session, attempt, store, locale, now, settings)
    return render_call(parts, fields, locale, kind)


def _draft(outcome: Outcome | None) -> dict:
    if outcome is None:
        return {"code": None, "satisfaction": None, "complaint_text": "", "notes": "",
                "answers": {}, "complaint_category": None, "suggestion": "",
                "appointment_on": None, "churn_direction": None, "churn_reason": None}  # fmt: skip
    return {
        "code": outcome.code,
        "satisfaction": outcome.satisfaction,
        "complaint_text": outcome.complaint_text or "",
        "notes": outcome.notes or "",
        "answers": outcome.answers or {},
        "complaint_category": outcome.complaint_category,
        "suggestion": outcome.suggestion or "",
        "appointment_on": outcome.appointment_on.isoformat() if outcome.appointment_on else None,
        "churn_direction": outcome.churn_direction,
        "churn_reason": outcome.churn_reason,
    }


# ---------- what the agent should know before speaking (issue 6, item 1) ----------

PREVIOUS_CALLS = 5


def _record(session: Session, attempt: CallAttempt, tz: ZoneInfo, locale: str) -> dict:
    task, customer = attempt.task, attempt.task.customer
    return {
        "covers": [
            {
                "type": item.task_type,
                "reason": reason_text(item.reason, locale),
                "due": item.due_at.astimezone(tz).isoformat(),
                "deadline": item.deadline_at.astimezone(tz).isoformat(),
                "plate": item.vehicle.plate if item.vehicle else None,
            }
            for item in task.items
        ],
        "consent": _consent(customer),
        "history": _history(session, attempt, tz),
        "cases": _cases(session, customer.id, tz, locale),
    }


def _consent(customer: Customer) -> dict:
    given = {(c.channel, c.purpose): c.granted for c in customer.consents}
    return {
        channel.value: {p.value: given.get((channel, p), DEFAULTS[p]) for p in Purpose}
        for channel in Channel
    }


def _history(session: Session, attempt: CallAttempt, tz: ZoneInfo) -> list[dict]:
    """The customer's earlier calls, newest first, with what the agent recorded."""
    rows = session.execute(
        select(CallAttempt, Outcome, User.display_name)
        .join(CallTask, CallTask.id == CallAttempt.task_id)
        .outerjoin(Outcome, (Outcome.attempt_id == CallAttempt.id) & Outcome.final)
        .outerjoin(User, User.id == CallAttempt.agent_id)
        .where(CallTask.customer_id == attempt.task.customer_id, CallAttempt.id != attempt.id)
        .order_by(CallAttempt.started_at.desc())
        .limit(PREVIOUS_CALLS)
    )
    return [
        {
            "at": past.started_at.astimezone(tz).isoformat(),
            "network_outcome": past.network_outcome,
            "code": outcome.code if outcome else None,
            "satisfaction": outcome.satisfaction if outcome else None,
            "agent": agent or "",
        }
        for past, outcome, agent in rows
    ]


def _cases(session: Session, customer_id: int, tz: ZoneInfo, locale: str) -> list[dict]:
    categories, statuses = pick(COMPLAINT_CATEGORIES, locale), pick(CASE_STATUSES, locale)
    cases = session.scalars(
        select(Case)
        .where(Case.customer_id == customer_id, Case.status != CaseStatus.CLOSED)
        .order_by(Case.opened_at.desc())
    )
    return [
        {
            "id": case.id,
            "category": case.category,
            "category_label": categories.get(case.category, case.category),
            "status": case.status,
            "status_label": statuses.get(case.status, case.status),
            "opened_at": case.opened_at.astimezone(tz).isoformat(),
            "verbatim": case.verbatim,
        }
        for case in cases
    ]


def _six_qs(session: Session, visits: list[RepairOrder]) -> dict[int, list[str]]:
    """Each visit's 6QS issues: the categories of the cases opened about it."""
    flags: dict[int, list[str]] = {}
    if visits:
        rows = session.execute(
            select(Case.repair_order_id, Case.category)
            .where(Case.repair_order_id.in_([ro.id for ro in visits]))
            .order_by(Case.id)
        )
        for ro_id, category in rows:
            if ro_id is not None:
                flags.setdefault(ro_id, []).append(category)
    return flags
