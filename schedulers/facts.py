"""The archive facts each rule needs, read set-based: one query per rule and store, narrowed
in SQL to the rows whose follow-up can fall due around ``now`` (the rest cannot owe anything
yet, or owed it too long ago), streamed in batches. The rules then compute exact windows.

Bounds are local dates with a day of slack either side; the rules and the planner's horizon
and lookahead decide exactly."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from sqlalchemy import Date, cast, func, null, or_, select
from sqlalchemy.orm import Session

from schedulers.timing import LOOKAHEAD, Timing
from storage.codes import RepairType
from storage.models import Delivery, RepairOrder, Vehicle

STREAM = 5000
MAX_KM_PER_DAY = 300  # no car is driven more; bounds how early a km-based rule can fire


class Delivered(NamedTuple):
    customer_id: int
    vehicle_id: int
    vin: str
    delivered_on: date
    delivered_at: datetime | None
    serviced: bool  # a maintenance repair order since the delivery


class Closed(NamedTuple):
    customer_id: int
    vehicle_id: int | None
    ro_number: str
    closed_at: datetime


class Serviced(NamedTuple):
    """A car's service history, summed up: its last maintenance visit and its odometer."""

    customer_id: int
    vehicle_id: int
    vin: str
    plate: str | None
    delivered_on: date | None
    last_service: date
    last_ro: str
    readings: tuple[tuple[date, int], ...]


class Insured(NamedTuple):
    customer_id: int
    vehicle_id: int
    vin: str
    expiry: date


def _day(value: datetime | date, tz) -> date:
    return value.astimezone(tz).date() if isinstance(value, datetime) else value


def _instant(day: date, t: Timing) -> datetime:
    """The start of a local day, for comparing with date-time columns."""
    return datetime.combine(day, time(), tzinfo=t.tz)


def _stream(session: Session, query) -> Iterator:
    """The query's rows in batches, as plain rows: through the session's connection, not the
    ORM's result machinery, which costs more than the rules for the millions of rows of a large
    archive. Pending changes are flushed first, as ``session.execute`` would."""
    if session.autoflush:
        session.flush()
    result = session.connection().execute(query.execution_options(yield_per=STREAM))
    for rows in result.partitions():
        yield from rows


def recent_deliveries(session: Session, store_id: int, today: date, t: Timing) -> Iterator:
    """Cars delivered recently enough to owe a care call, a 3DC or a 7DC."""
    last_deadline_day = max(t.sales_3dc[1], t.sales_7dc[1], t.delivery_care_deadline.days + 1)
    oldest = today - timedelta(days=last_deadline_day + 1) - t.horizon
    return _deliveries(session, store_id, [(oldest, today + timedelta(days=1))])


def deliveries_for_periodic(
    session: Session, store_id: int, today: date, t: Timing
) -> Iterator[Delivered]:
    """Cars whose n-th periodic call (every 3 months, 2 years) can fall due around today."""
    spans = []
    count = t.periodic_for_months // max(t.periodic_every_months, 1)
    for n in range(1, count + 1):
        months = timedelta(days=31 * n * t.periodic_every_months)
        shortest = timedelta(days=28 * n * t.periodic_every_months)
        spans.append(
            (today - months - t.periodic_deadline - t.horizon, today + LOOKAHEAD - shortest)
        )
    return _deliveries(session, store_id, spans)


def deliveries_for_first_service(
    session: Session, store_id: int, today: date, t: Timing
) -> Iterator[Delivered]:
    """Cars not serviced yet whose first service can be expected around today."""
    latest = today + LOOKAHEAD + t.first_service_lead + timedelta(days=1)
    earliest = today - t.first_service_grace - t.horizon - timedelta(days=31 * 3)
    start = earliest - timedelta(days=31 * t.first_service_months)
    return _deliveries(session, store_id, [(start, latest)])


def _deliveries(session: Session, store_id: int, spans) -> Iterator[Delivered]:
    serviced = (
        select(RepairOrder.id)
        .where(RepairOrder.vehicle_id == Delivery.vehicle_id)
        .where(RepairOrder.ro_type == RepairType.MAINTENANCE)
        .where(RepairOrder.opened_at >= Delivery.delivered_on)
        .exists()
    )
    query = (
        select(
            Delivery.customer_id,
            Delivery.vehicle_id,
            Vehicle.vin,
            Delivery.delivered_on,
            Delivery.delivered_at,
            serviced,
        )
        .join(Vehicle, Vehicle.id == Delivery.vehicle_id)
        .where(Delivery.store_id == store_id)
        .where(or_(*(Delivery.delivered_on.between(lo, hi) for lo, hi in spans)))
        .order_by(Delivery.id)
    )
    for row in _stream(session, query):
        customer_id, vehicle_id, vin, delivered_on, delivered_at, serviced = row
        yield Delivered(customer_id, vehicle_id, vin, delivered_on, delivered_at, bool(serviced))


def closed_repair_orders(
    session: Session, store_id: int, now: datetime, t: Timing
) -> Iterator[Closed]:
    """Repair orders closed recently enough to owe a repair 3DC (owner known)."""
    oldest = now - t.horizon - timedelta(days=t.repair_3dc[1] + 1)
    query = (
        select(
            RepairOrder.customer_id,
            RepairOrder.vehicle_id,
            RepairOrder.ro_number,
            RepairOrder.closed_at,
        )
        .where(RepairOrder.store_id == store_id, RepairOrder.customer_id.is_not(None))
        .where(RepairOrder.closed_at.between(oldest, now))
        .order_by(RepairOrder.closed_at)
    )
    for row in _stream(session, query):
        yield Closed(*row)


def serviced_cars(session: Session, store_id: int, today: date, t: Timing) -> Iterator[Serviced]:
    """Cars whose last maintenance visit is recent enough for the next reminder to fall due
    around today (at the latest it does ``maintenance_months`` after that visit)."""
    earliest = today - timedelta(days=31 * t.maintenance_months) - t.maintenance_deadline
    earliest -= t.horizon + timedelta(days=1)
    last = (
        select(
            RepairOrder.vehicle_id.label("vehicle_id"),
            func.max(RepairOrder.opened_at).label("last_at"),
        )
        .where(RepairOrder.store_id == store_id, RepairOrder.ro_type == RepairType.MAINTENANCE)
        .where(RepairOrder.vehicle_id.is_not(None))
        # the same cars as the HAVING alone, read from ix_repair_order_visits' recent end
        # rather than by grouping every maintenance visit of the archive
        .where(RepairOrder.opened_at >= _instant(earliest, t))
        .group_by(RepairOrder.vehicle_id)
        .having(func.max(RepairOrder.opened_at) >= _instant(earliest, t))
        .subquery()
    )
    query = (
        select(
            Vehicle.customer_id,
            Vehicle.id,
            Vehicle.vin,
            Vehicle.plate,
            Vehicle.delivered_on,
            RepairOrder.opened_at,
            RepairOrder.ro_number,
            RepairOrder.odometer_km,
            RepairOrder.ro_type,
        )
        .join(last, last.c.vehicle_id == Vehicle.id)
        .join(RepairOrder, RepairOrder.vehicle_id == Vehicle.id)
        .where(RepairOrder.odometer_km.is_not(None) | (RepairOrder.opened_at == last.c.last_at))
        .order_by(Vehicle.id, RepairOrder.opened_at)
    )
    yield from _cars(_stream(session, query), t, only=RepairType.MAINTENANCE)


def cars_for_churn(session: Session, store_id: int, today: date, t: Timing) -> Iterator[Serviced]:
    """Each customer's most recently visited car, for customers whose last visit (repair
    order or delivery) is old enough, but not too old, for a churn survey to fall due; or
    whose latest delivery is old enough, but not too old, for a survey held back while they
    were new customers to fall due (``rules.churn_survey``)."""
    latest = today + LOOKAHEAD - timedelta(days=t.churn_km // MAX_KM_PER_DAY)
    slack = t.churn_deadline + t.horizon + timedelta(days=1)
    earliest = today - t.churn_no_visit - slack
    earliest_delivery = today - t.churn_new_customer - slack
    ro_visits = select(
        RepairOrder.customer_id.label("customer_id"),
        RepairOrder.opened_at.label("at"),
        cast(null(), Date).label("delivered_on"),
    ).where(RepairOrder.store_id == store_id, RepairOrder.customer_id.is_not(None))
    visits = ro_visits.union_all(
        select(Delivery.customer_id, Delivery.delivered_on, Delivery.delivered_on).where(
            Delivery.store_id == store_id
        )
    ).subquery()
    last = (
        select(visits.c.customer_id, func.max(visits.c.at).label("last_at"))
        .group_by(visits.c.customer_id)
        .having(
            or_(
                func.max(visits.c.at) >= _instant(earliest, t),
                func.max(visits.c.delivered_on) >= earliest_delivery,
            )
        )
        .having(func.max(visits.c.at) < _instant(latest, t))
        .subquery()
    )
    query = (
        select(
            Vehicle.customer_id,
            Vehicle.id,
            Vehicle.vin,
            Vehicle.plate,
            Vehicle.delivered_on,
            RepairOrder.opened_at,
            RepairOrder.ro_number,
            RepairOrder.odometer_km,
            RepairOrder.ro_type,
        )
        .join(last, last.c.customer_id == Vehicle.customer_id)
        .outerjoin(RepairOrder, RepairOrder.vehicle_id == Vehicle.id)
        .order_by(Vehicle.customer_id, Vehicle.id, RepairOrder.opened_at)
    )
    yield from _cars(_stream(session, query), t, with_unserviced=True)


def _cars(
    rows, t: Timing, only: str | None = None, with_unserviced: bool = False
) -> Iterator[Serviced]:
    """Fold (car, repair order) rows, ordered by car and date, into one ``Serviced`` per car:
    its last visit (of type ``only`` if given) and its odometer readings; a car without such
    a visit counts its delivery as its last visit when ``with_unserviced``, else is skipped."""
    current, readings, last = None, [], None
    for customer_id, vehicle_id, vin, plate, delivered_on, opened_at, ro, km, ro_type in rows:
        if current is not None and current[1] != vehicle_id:
            if car := _car(current, readings, last, with_unserviced):
                yield car
            readings, last = [], None
        current = (customer_id, vehicle_id, vin, plate, delivered_on)
        if opened_at is None:
            continue
        day = _day(opened_at, t.tz)
        if only is None or ro_type == only:
            last = (day, ro)
        if km is not None:
            readings.append((day, km))
    if current is not None and (car := _car(current, readings, last, with_unserviced)):
        yield car


def _car(current, readings, last, with_unserviced: bool) -> Serviced | None:
    customer_id, vehicle_id, vin, plate, delivered_on = current
    if last is None or (delivered_on is not None and with_unserviced and delivered_on > last[0]):
        if not with_unserviced or delivered_on is None:
            return None
        last = (delivered_on, "delivery")
    last_day, last_ro = last
    return Serviced(
        customer_id, vehicle_id, vin, plate, delivered_on, last_day, last_ro, tuple(readings)
    )


def insured_cars(session: Session, store_id: int, today: date, t: Timing) -> Iterator[Insured]:
    """Cars whose insurance expires soon enough for the renewal call to fall due."""
    latest = today + LOOKAHEAD + t.insurance_lead + timedelta(days=1)
    earliest = today + t.insurance_deadline_before - t.horizon - timedelta(days=1)
    query = (
        select(Vehicle.customer_id, Vehicle.id, Vehicle.vin, Vehicle.insurance_expiry)
        .where(Vehicle.store_id == store_id)
        .where(Vehicle.insurance_expiry.between(earliest, latest))
        .order_by(Vehicle.id)
    )
    for row in _stream(session, query):
        yield Insured(*row)
