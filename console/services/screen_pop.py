"""What the agent's screen shows when a customer answers: the record and the script."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.call_scripts import ScriptFields, address, readable_phone, render_script
from console.labels import REPAIR_TYPES, pick
from console.reasons import reason_text
from storage.models import CallAttempt, Customer, RepairOrder, Store, User

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
        "customer": _customer(customer, attempt) | {"visits": _visits(visits, tz, locale)},
        "script": _script(session, attempt, store, visits, tz, locale),
        "draft": {
            "code": outcome.code if outcome else None,
            "satisfaction": outcome.satisfaction if outcome else None,
            "complaint_text": (outcome.complaint_text or "") if outcome else "",
            "notes": (outcome.notes or "") if outcome else "",
        },
    }


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


def _visits(visits: list[RepairOrder], tz: ZoneInfo, locale: str) -> list[dict]:
    labels = pick(REPAIR_TYPES, locale)
    return [
        {
            "ro_number": ro.ro_number,
            "closed_at": ro.closed_at.astimezone(tz).isoformat() if ro.closed_at else None,
            "ro_type": ro.ro_type,
            "ro_type_label": labels.get(ro.ro_type, ro.ro_type),
            "advisor": ro.advisor,
            "amount": f"{ro.amount:.2f}" if ro.amount is not None else None,
            "odometer_km": ro.odometer_km,
        }
        for ro in visits
    ]


def _script(session, attempt, store, visits, tz, locale) -> dict:
    task, customer = attempt.task, attempt.task.customer
    item = next((i for i in task.items if i.vehicle is not None), None)
    vehicle = item.vehicle if item else (customer.vehicles[0] if customer.vehicles else None)
    ro = next((v for v in visits if item and f"ro:{v.ro_number}" == item.source_ref), None)
    ro = ro or (visits[0] if visits else None)
    agent = session.get(User, attempt.agent_id) if attempt.agent_id else None
    car = f"{vehicle.plate or vehicle.vin} ({vehicle.model})" if vehicle else ""
    fields = ScriptFields(
        customer=address(customer.name, customer.gender, customer.is_company, locale),
        agent=agent.display_name if agent else "",
        store=store.name,
        hotline=readable_phone(store.hotline),
        car=car,
        visit_date=f"{(ro.closed_at or ro.opened_at).astimezone(tz):%Y-%m-%d}" if ro else "",
        advisor=(ro.advisor or "") if ro else "",
    )
    return render_script(task.types, fields, locale)
