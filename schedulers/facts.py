"""The archive facts each rule needs, read set-based: one query per rule and store, narrowed
in SQL to the rows whose follow-up can fall due around ``now`` (the rest cannot owe anything
yet, or owed it too long ago), streamed in batches. The rules then compute exact windows.

Bounds are local dates with a day of slack either side; the rules and the planner's horizon
and lookahead decide exactly."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from sqlalchemy import Date, Integer, and_, case, cast, func, literal, null, or_, select, true
from sqlalchemy.dialects.postgresql import aggregate_order_by, array_agg
from sqlalchemy.orm import Session

from schedulers.mileage import MIN_SPAN_DAYS
from schedulers.timing import LOOKAHEAD, Timing
from storage.bulk import where_in
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
    readings: Sequence[tuple[date, int]] = ()  # odometer readings (first service)


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
    archive. On PostgreSQL the driver's own rows, from its server-side cursor: psycopg's loaders
    already give aware datetimes (in the session's time zone: the rules compare instants and
    take local days with ``astimezone``), dates, ints and strings, and SQLAlchemy's row
    processing was the largest part of reading the facts. Pending changes are flushed first,
    as ``session.execute`` would."""
    if session.autoflush:
        session.flush()
    result = session.connection().execute(query.execution_options(yield_per=STREAM))
    if session.get_bind().dialect.name == "postgresql":
        with result:
            rows = result.fetchmany(STREAM)  # through SQLAlchemy: it holds the first row back
            while rows:
                yield from rows
                if len(rows) < STREAM:  # a server-side cursor's FETCH: short only at the end
                    break
                rows = result.cursor.fetchmany(STREAM)
        return
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
    cars = [d for d in _deliveries(session, store_id, [(start, latest)]) if not d.serviced]
    readings = _readings(session, [d.vehicle_id for d in cars], t)
    for d in cars:
        yield d._replace(readings=readings.get(d.vehicle_id, ()))


def _readings(session: Session, vehicle_ids: list[int], t: Timing) -> dict[int, list]:
    """The odometer readings of each car's repair orders, as (local day, km): read by key
    (the cars' index) rather than summed over the whole archive, for the few cars of a rule."""
    found: dict[int, list] = {}
    conn = session.connection()
    for i in range(0, len(vehicle_ids), STREAM):
        ro = RepairOrder
        query = (
            select(ro.vehicle_id, ro.opened_at, ro.odometer_km)
            .where(where_in(conn, ro.vehicle_id, vehicle_ids[i : i + STREAM]))
            .where(ro.odometer_km >= 0)
            .order_by(ro.vehicle_id, ro.opened_at, ro.odometer_km)  # a day's in the order taken
        )
        for vehicle_id, opened_at, km in _stream(session, query):
            found.setdefault(vehicle_id, []).append((_day(opened_at, t.tz), km))
    return found


def _deliveries(session: Session, store_id: int, spans) -> Iterator[Delivered]:
    for row in _stream(session, _delivery_query(store_id, spans)):
        customer_id, vehicle_id, vin, delivered_on, delivered_at, serviced = row
        yield Delivered(customer_id, vehicle_id, vin, delivered_on, delivered_at, bool(serviced))


def _delivery_query(store_id: int, spans):
    """Deliveries on the days of ``spans``, with whether the car was serviced since."""
    serviced = (
        select(RepairOrder.id)
        .where(RepairOrder.vehicle_id == Delivery.vehicle_id)
        .where(RepairOrder.ro_type == RepairType.MAINTENANCE)
        .where(RepairOrder.opened_at >= Delivery.delivered_on)
        .exists()
    )
    return (
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
    cars = (
        select(RepairOrder.vehicle_id)
        .where(RepairOrder.store_id == store_id, RepairOrder.ro_type == RepairType.MAINTENANCE)
        # read from ix_repair_order_visits' recent end, not by grouping every visit
        .where(RepairOrder.opened_at >= _instant(earliest, t))
        .where(RepairOrder.vehicle_id.is_not(None))
    )
    summary = _summary(session, cars, RepairType.MAINTENANCE, t)
    query = (
        select(*_car_columns(summary))
        .join(summary, summary.c.vehicle_id == Vehicle.id)
        .order_by(Vehicle.id)
    )
    if session.get_bind().dialect.name == "postgresql":  # where visits' local days are exact
        query = query.where(_maintenance_near(summary, today, t))
    for row in _stream(session, query):
        if car := _car(row, t, with_unserviced=False):
            yield car


def unserviced_cars(session: Session, store_id: int, t: Timing) -> Iterator[Serviced]:
    """Cars never serviced here (no maintenance visit), each with its last visit of any kind,
    or its delivery when later: a car that only came for repairs, or never came back after its
    delivery, is still reminded of its next service, counted from then (``last_ro`` is the
    visit's number, or ``"delivery"``). Few enough to leave the timing to the rule."""
    ro = RepairOrder
    maintained = (
        select(ro.id)
        .where(ro.vehicle_id == Vehicle.id, ro.ro_type == RepairType.MAINTENANCE)
        .exists()
    )
    cars = (
        select(Vehicle.id)
        .where(Vehicle.store_id == store_id, Vehicle.customer_id.is_not(None), ~maintained)
        .cte("never_serviced")
    )
    summary = _summary(session, select(cars.c.id), None, t)  # last visit, odometer readings
    query = (
        select(*_car_columns(summary))
        .join(cars, cars.c.id == Vehicle.id)
        .outerjoin(summary, summary.c.vehicle_id == Vehicle.id)
        .order_by(Vehicle.id)
    )
    for row in _stream(session, query):
        if car := _car(row, t, with_unserviced=True):
            yield car


def _maintenance_near(summary, today: date, t: Timing):
    """Whether a car's reminder can fall due by the end of the lookahead (PostgreSQL, where the
    summary's days are local): by months, or by its mileage estimate (``Odometer.estimate`` in
    SQL) entering a service band by then. Looser than ``rules.maintenance`` (two days and a
    kilometre of slack, any band boundary crossed counts), which then decides: it only spares
    Python the many cars whose next service is months away."""
    c = summary.c
    by = _day_number(today) + LOOKAHEAD.days + 2  # the last day it could be due, and slack
    visit = _day_number(c.visit_at)
    by_months = visit <= by - (t.maintenance_months * 365 // 12 - 3)  # the shortest months
    delivered = _day_number(Vehicle.delivered_on)
    first, last = _day_number(c.first_at), _day_number(c.last_at)
    from_delivery = Vehicle.delivered_on.is_not(None) & (c.first_at.is_(None) | (first > delivered))
    start_day = case((from_delivery, delivered), else_=first)
    start_km = case((from_delivery, 0), else_=c.first_km)
    end_day, end_km = func.coalesce(last, delivered), func.coalesce(c.last_km, 0)
    span = end_day - start_day
    rate = case(
        ((span >= MIN_SPAN_DAYS) & (end_km > start_km), (end_km - start_km) * 1.0 / span),
        else_=t.km_per_day,
    )
    base = end_km + rate * (visit - end_day)
    reached = end_km + rate * (by - end_day) + 1
    crossings = [(base < low) & (reached >= low) for low, _high in t.maintenance_bands]
    top = max((high for _low, high in t.maintenance_bands), default=0)
    tolerance, every = t.tolerance_km, t.maintenance_every_km
    rounds = func.floor((func.greatest(base, top) + tolerance) / every)
    next_round = (rounds + 1) * every - tolerance
    return or_(by_months, *crossings, reached >= next_round)


def _day_number(x):
    """Days since 1970-01-01 of a date, or of a PostgreSQL date column."""
    epoch = date(1970, 1, 1)
    return (x - epoch).days if isinstance(x, date) else cast(x - literal(epoch, Date), Integer)


def cars_for_churn(session: Session, store_id: int, today: date, t: Timing) -> Iterator[Serviced]:
    """The cars of customers whose last visit (repair order or delivery) is old enough, but
    not too old, for a churn survey to fall due; or whose latest delivery is old enough, but
    not too old, for a survey held back while they were new customers to fall due
    (``rules.churn_survey``). Ordered by customer; a car never serviced counts its delivery as
    its last visit."""
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
        select(visits.c.customer_id)
        .group_by(visits.c.customer_id)
        .having(
            or_(
                func.max(visits.c.at) >= _instant(earliest, t),
                func.max(visits.c.delivered_on) >= earliest_delivery,
            )
        )
        .having(func.max(visits.c.at) < _instant(latest, t))
    )
    # read first: the database cannot estimate how many customers pass the HAVING, and plans
    # the cars' query far better for a list it knows
    customers = list(session.scalars(last))
    conn = session.connection()
    cars = select(Vehicle.id).where(where_in(conn, Vehicle.customer_id, customers))
    summary = _summary(session, cars, None, t)
    query = (
        select(*_car_columns(summary))
        .where(where_in(conn, Vehicle.customer_id, customers))
        .outerjoin(summary, summary.c.vehicle_id == Vehicle.id)
        .order_by(Vehicle.customer_id, Vehicle.id)
    )
    for row in _stream(session, query):
        if car := _car(row, t, with_unserviced=True):
            yield car


def _summary(session: Session, cars, visit_type: str | None, t: Timing):
    """One row per car of ``cars`` (a query of car ids) with repair orders: its first and
    last odometer readings and its last visit (of ``visit_type``, or any), with the visit's
    repair order; all the estimate (``Odometer.estimate``) and the rules need, summed up in SQL
    rather than folded from every repair order in Python. Readings are ordered by time (then
    km), visits by time (then number). PostgreSQL: one pass of ordered aggregates, dates local;
    SQLite: ranked with window functions, date-times (``_day`` makes them local dates)."""
    ro = RepairOrder
    reading = and_(ro.odometer_km.is_not(None), ro.odometer_km >= 0)
    visit = ro.ro_type == visit_type if visit_type else true()
    if session.get_bind().dialect.name != "postgresql":
        return _ranked_summary(cars, reading, visit)

    def day(column):
        return cast(func.timezone(t.tz.key, column), Date)

    def first(column, condition, *order):
        return array_agg(aggregate_order_by(column, *order)).filter(condition)[1]

    latest = (ro.opened_at.desc(), ro.ro_number.desc())
    return (
        select(
            ro.vehicle_id,
            day(func.min(ro.opened_at).filter(reading)).label("first_at"),
            first(ro.odometer_km, reading, ro.opened_at, ro.odometer_km).label("first_km"),
            day(func.max(ro.opened_at).filter(reading)).label("last_at"),
            first(ro.odometer_km, reading, *_backward(ro)).label("last_km"),
            day(func.max(ro.opened_at).filter(visit)).label("visit_at"),
            first(ro.ro_number, visit, *latest).label("visit_ro"),
        )
        .where(ro.vehicle_id.in_(cars))
        .group_by(ro.vehicle_id)
        .subquery()
    )


def _backward(ro):
    return ro.opened_at.desc(), ro.odometer_km.desc()


def _ranked_summary(cars, reading, visit):
    """``_summary`` on SQLite."""
    ro = RepairOrder
    forward = (ro.opened_at, ro.odometer_km)
    backward = _backward(ro)
    ranked = (
        select(
            ro.vehicle_id,
            ro.opened_at,
            ro.odometer_km,
            ro.ro_number,
            reading.label("reading"),
            visit.label("visit"),
            func.row_number()
            .over(partition_by=(ro.vehicle_id, reading), order_by=forward)
            .label("up"),
            func.row_number()
            .over(partition_by=(ro.vehicle_id, reading), order_by=backward)
            .label("down"),
            func.row_number()
            .over(
                partition_by=(ro.vehicle_id, visit),
                order_by=(ro.opened_at.desc(), ro.ro_number.desc()),
            )
            .label("recent"),
        )
        .where(ro.vehicle_id.in_(cars))
        .subquery()
    )
    r = ranked.c

    def pick(condition, column):
        return func.max(case((condition, column)))

    first, last, latest = (
        r.reading & (r.up == 1),
        r.reading & (r.down == 1),
        r.visit & (r.recent == 1),
    )
    return (
        select(
            r.vehicle_id,
            pick(first, r.opened_at).label("first_at"),
            pick(first, r.odometer_km).label("first_km"),
            pick(last, r.opened_at).label("last_at"),
            pick(last, r.odometer_km).label("last_km"),
            pick(latest, r.opened_at).label("visit_at"),
            pick(latest, r.ro_number).label("visit_ro"),
        )
        .group_by(r.vehicle_id)
        .subquery()
    )


def _car_columns(summary):
    s = summary.c
    return (
        Vehicle.customer_id,
        Vehicle.id,
        Vehicle.vin,
        Vehicle.plate,
        Vehicle.delivered_on,
        s.first_at,
        s.first_km,
        s.last_at,
        s.last_km,
        s.visit_at,
        s.visit_ro,
    )


def _car(row, t: Timing, with_unserviced: bool) -> Serviced | None:
    """A car's summary row as ``Serviced``: its last visit, else (``with_unserviced``) its
    delivery, which also counts when it is later than the last visit; else None."""
    customer_id, vehicle_id, vin, plate, delivered_on = row[:5]
    first_at, first_km, last_at, last_km, visit_at, visit_ro = row[5:]
    last = (_day(visit_at, t.tz), visit_ro) if visit_at is not None else None
    if last is None or (delivered_on is not None and with_unserviced and delivered_on > last[0]):
        if not with_unserviced or delivered_on is None:
            return None
        last = (delivered_on, "delivery")
    readings: tuple[tuple[date, int], ...] = ()
    if first_at is not None:
        readings = ((_day(first_at, t.tz), first_km), (_day(last_at, t.tz), last_km))
    last_day, last_ro = last
    return Serviced(customer_id, vehicle_id, vin, plate, delivered_on, last_day, last_ro, readings)


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
