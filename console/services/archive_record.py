"""One customer's record as the archive page shows it: profile, consent, phones, vehicles,
workshop visits, deliveries and calls. Codes stay codes; the page labels them."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.services.archive import Access, local_time, open_customer
from storage.consent import DEFAULTS, Channel, Purpose
from storage.models import (
    CallAttempt,
    CallTask,
    Consent,
    Customer,
    Delivery,
    FieldSource,
    Outcome,
    RepairOrder,
    Store,
    User,
    Vehicle,
)

HISTORY = 200  # visits and calls shown, latest first
CONSOLE = "console"


def record(session: Session, access: Access, customer_id: int) -> dict:
    customer = open_customer(session, access, customer_id)
    store = session.get_one(Store, customer.store_id)
    tz = ZoneInfo(store.timezone)
    return {
        "customer": profile(customer),
        "store": store.name,
        "corrected": corrected_fields(session, customer.id, tz),
        "consents": consents(session, customer.id, tz),
        "phones": [
            {
                "number": access.number(p),
                "kind": p.kind,
                "validity": p.validity,
                "last_result": p.last_result or "",
            }
            for p in customer.phones
        ],
        "vehicles": [_vehicle(v) for v in sorted(customer.vehicles, key=lambda v: v.id)],
        "visits": _visits(session, customer.id, tz),
        "deliveries": _deliveries(session, customer.id),
        "calls": _calls(session, access, customer.id, tz),
        "may_edit": access.may_edit,
        "masked": not access.whole_archive,
    }


def profile(customer: Customer) -> dict:
    return {
        "id": customer.id,
        "name": customer.name,
        "gender": customer.gender or "",
        "birthday": customer.birthday.isoformat() if customer.birthday else "",
        "is_company": customer.is_company,
        "province": customer.province or "",
        "city": customer.city or "",
        "county": customer.county or "",
        "street": customer.street or "",
        "source": customer.source,
        "grade": customer.grade or "",
        "notes": customer.notes or "",
        "call_windows": customer.call_windows or "",
        "blocked_days": [int(d) for d in (customer.blocked_days or "").split(",") if d],
    }


def consents(session: Session, customer_id: int, tz: ZoneInfo) -> list[dict]:
    """Each channel and purpose: the recorded answer, or the default (service yes, marketing
    no) when none was recorded."""
    given = {
        (c.channel, c.purpose): c
        for c in session.scalars(select(Consent).where(Consent.customer_id == customer_id))
    }
    rows = []
    for channel in Channel:
        for purpose in Purpose:
            c = given.get((channel, purpose))
            rows.append(
                {
                    "channel": str(channel),
                    "purpose": str(purpose),
                    "granted": DEFAULTS[purpose] if c is None else c.granted,
                    "recorded": c is not None,
                    "source": c.source if c else "",
                    "at": local_time(c.at, tz) if c else "",
                    "reason": (c.reason or "") if c else "",
                }
            )
    return rows


def corrected_fields(session: Session, customer_id: int, tz: ZoneInfo) -> dict[str, str]:
    """Profile fields last set in the console (an older DMS export will not overwrite them)."""
    rows = session.execute(
        select(FieldSource.field, FieldSource.as_of).where(
            FieldSource.entity == "customer",
            FieldSource.entity_id == customer_id,
            FieldSource.source == CONSOLE,
        )
    )
    return {field: local_time(as_of, tz) for field, as_of in rows}


def _vehicle(v: Vehicle) -> dict:
    return {
        "plate": v.plate or "",
        "vin": v.vin,
        "model": v.model or "",
        "model_year": v.model_year or "",
        "delivered_on": v.delivered_on.isoformat() if v.delivered_on else "",
        "mileage_km": v.mileage_km,
        "insurance_expiry": v.insurance_expiry.isoformat() if v.insurance_expiry else "",
        "selling_dealer": v.selling_dealer or "",
    }


def _visits(session: Session, customer_id: int, tz: ZoneInfo) -> list[dict]:
    rows = session.execute(
        select(RepairOrder, Vehicle.plate)
        .outerjoin(Vehicle, Vehicle.id == RepairOrder.vehicle_id)
        .where(RepairOrder.customer_id == customer_id)
        .order_by(RepairOrder.opened_at.desc(), RepairOrder.id.desc())
        .limit(HISTORY)
    )
    return [
        {
            "ro_number": ro.ro_number,
            "opened": local_time(ro.opened_at, tz),
            "closed": local_time(ro.closed_at, tz),
            "ro_type": ro.ro_type,
            "plate": plate or ro.vin,
            "advisor": ro.advisor or "",
            "amount": f"{ro.amount:,.2f}" if ro.amount is not None else "",
            "odometer_km": ro.odometer_km,
            "summary": ro.summary or "",
        }
        for ro, plate in rows
    ]


def _deliveries(session: Session, customer_id: int) -> list[dict]:
    rows = session.execute(
        select(Delivery, Vehicle)
        .join(Vehicle, Vehicle.id == Delivery.vehicle_id)
        .where(Delivery.customer_id == customer_id)
        .order_by(Delivery.delivered_on.desc(), Delivery.id.desc())
    )
    return [
        {
            "delivered_on": d.delivered_on.isoformat(),
            "plate": v.plate or "",
            "vin": v.vin,
            "model": v.model or "",
            "consultant": d.consultant or "",
        }
        for d, v in rows
    ]


def _calls(session: Session, access: Access, customer_id: int, tz: ZoneInfo) -> list[dict]:
    rows = session.execute(
        select(CallAttempt, Outcome, User.display_name)
        .join(CallTask, CallTask.id == CallAttempt.task_id)
        .outerjoin(Outcome, Outcome.attempt_id == CallAttempt.id)
        .outerjoin(User, User.id == CallAttempt.agent_id)
        .where(CallTask.customer_id == customer_id)
        .order_by(CallAttempt.started_at.desc(), CallAttempt.id.desc())
        .limit(HISTORY)
    )
    return [
        {
            "started": local_time(a.started_at, tz),
            "agent": agent or "",
            "number": access.number(a.phone) if a.phone else "",
            "task_types": a.task.types,
            "network": a.network_outcome or "",
            "outcome": (o.code or "") if o and o.final else "",
            "draft": bool(o and not o.final),
            "satisfaction": o.satisfaction if o and o.final else None,
            "complaint": (o.complaint_text or "") if o else "",
            "notes": (o.notes or "") if o else "",
            "attempt_id": a.id,
            "recorded": bool(a.recording_path),
        }
        for a, o, agent in rows
    ]
