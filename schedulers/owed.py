"""What the archive owes around ``now``: every follow-up rule applied to its facts, as
``Owed`` items (a customer, a car, a source fact and a due window), before they are placed
in calls. Sources are stable per fact, so an item owed twice is planned once."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import partial
from itertools import chain

from sqlalchemy.orm import Session

from schedulers import facts, rules
from schedulers.mileage import Odometer
from schedulers.rules import DueWindow
from schedulers.threads import side_by_side
from schedulers.timing import LOOKAHEAD, Timing
from schedulers.windows import CallingPolicy


class RuleSet(StrEnum):
    """Event rules run every few minutes; calendar rules (mileage, periodic, insurance,
    churn) change by the day and run in the nightly scan (and with ``huifang plan``)."""

    EVENTS = "events"
    CALENDAR = "calendar"


@dataclass(frozen=True)
class Owed:
    customer_id: int
    vehicle_id: int | None
    source: str
    window: DueWindow


def owed(
    session: Session,
    store_id: int,
    now: datetime,
    t: Timing,
    policy: CallingPolicy,
    sets: frozenset[RuleSet] = frozenset(RuleSet),
    readers: Callable[[], Session] | None = None,
) -> Iterator[Owed]:
    """Every follow-up owed by the store's facts whose deadline is within the horizon and
    which falls due within the lookahead.

    With ``readers`` (sessions sharing ``session``'s snapshot: storage/snapshot.py) the rules
    run side by side, each reading on a session of its own, so that the database computes
    one rule's facts while Python applies another's; items then come in no fixed order."""
    producers: list[Callable[[Session], Iterator[Owed]]] = []
    if RuleSet.EVENTS in sets:
        producers += [
            lambda s: _after_delivery(s, store_id, now, t, policy),
            lambda s: _after_repair(s, store_id, now, t),
        ]
    if RuleSet.CALENDAR in sets:
        producers += [
            lambda s: _first_service(s, store_id, now, t),
            lambda s: _maintenance(now, t, facts.serviced_cars(s, store_id, _today(now, t), t)),
            lambda s: _maintenance(now, t, facts.unserviced_cars(s, store_id, t)),
            lambda s: _periodic(s, store_id, now, t),
            lambda s: _insurance(s, store_id, now, t),
            lambda s: _churn(s, store_id, now, t),
        ]
    items: Iterator[Owed]
    if readers is None:
        items = chain.from_iterable(produce(session) for produce in producers)
    else:
        items = side_by_side([partial(produce, readers()) for produce in producers])
    for item in items:
        w = item.window
        if not w.beyond_horizon(now, t.horizon) and w.due <= now + LOOKAHEAD:
            yield item


def _today(now: datetime, t: Timing):
    return now.astimezone(t.tz).date()


def delivery_source(vin: str, delivered_on) -> str:
    return f"delivery:{vin}:{delivered_on.isoformat()}"


def _after_delivery(session, store_id, now, t, policy) -> Iterator[Owed]:
    for d in facts.recent_deliveries(session, store_id, _today(now, t), t):
        source = delivery_source(d.vin, d.delivered_on)
        if d.delivered_at is not None and d.delivered_at <= now:
            care = rules.delivery_care(d.delivered_at, t, policy)
            yield Owed(d.customer_id, d.vehicle_id, source, care)
        if d.delivered_on <= _today(now, t):
            yield Owed(d.customer_id, d.vehicle_id, source, rules.sales_3dc(d.delivered_on, t))
            yield Owed(d.customer_id, d.vehicle_id, source, rules.sales_7dc(d.delivered_on, t))


def _after_repair(session, store_id, now, t) -> Iterator[Owed]:
    for ro in facts.closed_repair_orders(session, store_id, now, t):
        window = rules.repair_3dc(ro.closed_at, t, ro.ro_number)
        yield Owed(ro.customer_id, ro.vehicle_id, f"ro:{ro.ro_number}", window)


def _first_service(session, store_id, now, t) -> Iterator[Owed]:
    for d in facts.deliveries_for_first_service(session, store_id, _today(now, t), t):
        odo = Odometer.estimate(d.readings, d.delivered_on, t.km_per_day)
        window = rules.first_maintenance(d.delivered_on, t, odo)
        yield Owed(d.customer_id, d.vehicle_id, delivery_source(d.vin, d.delivered_on), window)


def _days_near(now: datetime, t: Timing, deadline_days: timedelta) -> Callable[[date], bool]:
    """Whether a follow-up due on a (local) day, its deadline ``deadline_days`` later, can be
    owed at ``now``: a day's slack either side of ``owed``'s exact test, which is cheap enough
    to skip most cars of a large store before their window and reason are worded."""
    latest = (now + LOOKAHEAD).astimezone(t.tz).date() + timedelta(days=1)
    earliest = (now - t.horizon).astimezone(t.tz).date() - deadline_days - timedelta(days=1)
    return lambda day: earliest <= day <= latest


def _maintenance(now, t, cars: Iterable[facts.Serviced]) -> Iterator[Owed]:
    """One reminder per car and last service; for a car never serviced here, per last visit
    of any kind, or per delivery, after the first service (the first-service reminder's band).
    Serviced and never-serviced cars are read side by side, by two producers."""
    near = _days_near(now, t, t.maintenance_deadline)
    for car in cars:
        odo = Odometer.estimate(car.readings, car.delivered_on, t.km_per_day)
        from_km = t.first_service_km if car.last_ro == "delivery" else 0
        if not near(rules.maintenance_days(car.last_service, odo, t, from_km)[0]):
            continue
        window = rules.maintenance(car.last_service, odo, t, from_km)
        yield Owed(car.customer_id, car.vehicle_id, f"service:{car.vin}:{car.last_ro}", window)


def _periodic(session, store_id, now, t) -> Iterator[Owed]:
    today = _today(now, t)
    start = today - t.periodic_deadline - t.horizon
    end = (now + LOOKAHEAD).astimezone(t.tz).date()
    for d in facts.deliveries_for_periodic(session, store_id, today, t):
        for n in rules.periodic_numbers(d.delivered_on, t, start, end):
            window = rules.periodic_sales(d.delivered_on, n, t)
            source = f"{delivery_source(d.vin, d.delivered_on)}:{n}"
            yield Owed(d.customer_id, d.vehicle_id, source, window)


def _insurance(session, store_id, now, t) -> Iterator[Owed]:
    for car in facts.insured_cars(session, store_id, _today(now, t), t):
        window = rules.insurance_renewal(car.expiry, t)
        yield Owed(car.customer_id, car.vehicle_id, f"insurance:{car.vin}:{car.expiry}", window)


def _churn(session, store_id, now, t) -> Iterator[Owed]:
    """One survey per customer and last visit: the customer's most recently visited car
    decides; customers whose car is not local are left out, and one with a car delivered
    lately is surveyed once that delivery is no longer recent (rules.churn_survey)."""
    today = _today(now, t)
    near = _days_near(now, t, t.churn_deadline)
    cars: list[facts.Serviced] = []
    for car in facts.cars_for_churn(session, store_id, today, t):
        if cars and cars[0].customer_id != car.customer_id:
            yield from _churn_of(cars, t, near)
            cars = []
        cars.append(car)
    if cars:
        yield from _churn_of(cars, t, near)


def _churn_of(cars: list[facts.Serviced], t: Timing, near) -> Iterator[Owed]:
    car = max(cars, key=lambda c: c.last_service)
    if not t.is_local_plate(car.plate):
        return
    latest_delivery = max((c.delivered_on for c in cars if c.delivered_on), default=None)
    odo = Odometer.estimate(car.readings, car.delivered_on, t.km_per_day)
    if not near(rules.churn_day(car.last_service, odo, t, latest_delivery)):
        return
    window = rules.churn_survey(car.last_service, odo, t, latest_delivery)
    source = f"visit:{car.customer_id}:{car.last_service.isoformat()}"
    yield Owed(car.customer_id, car.vehicle_id, source, window)
