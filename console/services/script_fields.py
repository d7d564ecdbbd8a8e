"""The personal fields a call's script is filled with (``console.script_content.FIELDS``),
read from the archive for the call's customer, car and visit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.call_scripts import address, call_order, readable_phone
from console.labels import COMPLAINT_CATEGORIES, pick
from console.script_content import lang_of
from schedulers import rules
from schedulers.mileage import Odometer
from schedulers.settings import timing_of
from schedulers.timing import Timing
from storage.codes import CaseStatus, RepairType
from storage.models import (
    CallAttempt,
    Case,
    Delivery,
    RepairOrder,
    Store,
    TaskItem,
    User,
    Vehicle,
)
from storage.settings import StoreSettings, load_settings


@dataclass(frozen=True)
class Known:
    """What the screen pop has read already, so that the fields do not read it again."""

    agent: str  # the agent's display name
    visits: list[RepairOrder]  # the customer's latest visits, newest first
    open_case: Case | None  # the customer's newest open case


def script_fields(
    session: Session,
    attempt: CallAttempt,
    store: Store,
    locale: str,
    now: datetime,
    settings: StoreSettings | None = None,
    known: Known | None = None,
) -> dict[str, str]:
    task, customer = attempt.task, attempt.task.customer
    tz = ZoneInfo(store.timezone)
    item = _leading_item(task.items)
    vehicle = item.vehicle if item else (customer.vehicles[0] if customer.vehicles else None)
    known = known or _read(session, attempt)
    ro = _visit(session, store.id, task.items, vehicle, known.visits)
    delivery = _delivery(session, vehicle) if vehicle else None
    agent, case = known.agent, known.open_case
    lang = lang_of(locale)
    timing = timing_of(settings or load_settings(session, store.id), tz)
    return {
        "customer": address(customer.name, customer.gender, customer.is_company, locale),
        "agent": agent or "",
        "store": store.name,
        "hotline": readable_phone(store.hotline),
        "car": _car(vehicle),
        "plate": (vehicle.plate or "") if vehicle else "",
        "model": (vehicle.model or "") if vehicle else "",
        "service_date": _day(ro.closed_at or ro.opened_at, tz) if ro else "",
        "advisor": (ro.advisor or "") if ro else "",
        "next_maintenance": _next_text(vehicle, timing, now.astimezone(tz).date(), lang),
        "delivery_date": delivery.delivered_on.isoformat() if delivery else "",
        "consultant": (delivery.consultant or "") if delivery else "",
        "insurance_expiry": _iso(vehicle.insurance_expiry) if vehicle else "",
        "case_category": pick(COMPLAINT_CATEGORIES, lang).get(case.category, "") if case else "",
        "case_opened": _day(case.opened_at, tz) if case else "",
    }


def _leading_item(items: list[TaskItem]) -> TaskItem | None:
    with_car = [i for i in items if i.vehicle is not None]
    order = call_order([i.task_type for i in with_car])
    return min(with_car, key=lambda i: order.index(i.task_type), default=None)


def _read(session: Session, attempt: CallAttempt) -> Known:
    agent = session.scalar(select(User.display_name).where(User.id == attempt.agent_id))
    return Known(agent or "", [], _open_case(session, attempt.task.customer_id))


def _visit(session, store_id: int, items: list[TaskItem], vehicle: Vehicle | None, visits):
    """The repair order the call follows up (among the visits read already, else from the
    archive), else the car's latest visit."""
    numbers = [i.source_ref.removeprefix("ro:") for i in items if i.source_ref[:3] == "ro:"]
    shown = {(ro.store_id, ro.ro_number): ro for ro in visits}
    if numbers and (store_id, numbers[0]) in shown:
        return shown[(store_id, numbers[0])]
    if numbers:
        ro = session.scalar(
            select(RepairOrder).where(
                RepairOrder.store_id == store_id, RepairOrder.ro_number == numbers[0]
            )
        )
        if ro is not None:
            return ro
    return vehicle.repair_orders[0] if vehicle and vehicle.repair_orders else None


def _delivery(session: Session, vehicle: Vehicle) -> Delivery | None:
    return session.scalar(
        select(Delivery)
        .where(Delivery.vehicle_id == vehicle.id)
        .order_by(Delivery.delivered_on.desc())
        .limit(1)
    )


def _open_case(session: Session, customer_id: int) -> Case | None:
    return session.scalar(
        select(Case)
        .where(Case.customer_id == customer_id, Case.status != CaseStatus.CLOSED)
        .order_by(Case.opened_at.desc())
        .limit(1)
    )


def _car(vehicle: Vehicle | None) -> str:
    if vehicle is None:
        return ""
    return (
        f"{vehicle.plate or vehicle.vin} ({vehicle.model})"
        if vehicle.model
        else (vehicle.plate or vehicle.vin)
    )


def _day(at: datetime, tz: ZoneInfo) -> str:
    return f"{at.astimezone(tz):%Y-%m-%d}"


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def next_maintenance(vehicle: Vehicle, t: Timing, today: date) -> tuple[date, int | None] | None:
    """When the car's next service falls due (not before today), and at about what mileage:
    the maintenance rule after its last service, else the first service after delivery."""
    ros = vehicle.repair_orders
    readings = [(ro.opened_at.astimezone(t.tz).date(), ro.odometer_km) for ro in ros
                if ro.odometer_km is not None]  # fmt: skip
    odo = Odometer.estimate(readings, vehicle.delivered_on, t.km_per_day)
    services = [ro.closed_at for ro in ros if ro.ro_type == RepairType.MAINTENANCE and ro.closed_at]
    if services:
        day = rules.maintenance(max(services).astimezone(t.tz).date(), odo, t).due.date()
    elif vehicle.delivered_on:
        first = rules.first_maintenance(vehicle.delivered_on, t, odo)
        day = first.due.date() + t.first_service_lead
    else:
        return None
    day = max(day, today)
    return day, (int(round(odo.at(day), -2)) if odo.known else None)


def _next_text(vehicle: Vehicle | None, t: Timing, today: date, lang: str) -> str:
    due = next_maintenance(vehicle, t, today) if vehicle else None
    if due is None:
        return ""
    day, km = due
    if lang == "en":
        return f"around {day:%Y-%m-%d}" + (f" (about {km:,} km)" if km else "")
    return f"{day:%Y-%m-%d} 前后" + (f"（约 {km:,} 公里）" if km else "")
