"""Customer segments (DOMAIN.md "Segment by"): a filter over one store's archive, kept as JSON
on a saved Segment, and the customers it selects today (the audience of a call campaign or an
SMS send).

"A year" is the 12 months before ``now``: visits are repair orders opened in it, spend is their
amount. Months since the last visit count 30-day months; a customer who never visited has no
last visit and is left out of that filter. Loyal customers ("big accounts" in one seed) have at
least 4 visits and 6,800 yuan in the year (per-store settings later).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from storage.models import Customer, RepairOrder, Segment, Vehicle

YEAR = timedelta(days=365)
MONTH = timedelta(days=30)
LOYAL_VISITS, LOYAL_SPEND = 4, Decimal("6800")
# spend per year, yuan: [low, high)
SPEND_BANDS: dict[str, tuple[Decimal, Decimal | None]] = {
    "lt5k": (Decimal(0), Decimal(5000)),
    "5k_10k": (Decimal(5000), Decimal(10000)),
    "10k_20k": (Decimal(10000), Decimal(20000)),
    "20k_50k": (Decimal(20000), Decimal(50000)),
    "ge50k": (Decimal(50000), None),
}
KINDS = ("private", "company")


@dataclass(frozen=True)
class Filter:
    models: tuple[str, ...] = ()
    model_year_from: int | None = None
    model_year_to: int | None = None
    cities: tuple[str, ...] = ()
    kind: str | None = None  # private / company
    spend_bands: tuple[str, ...] = ()
    visits_min: int | None = None  # per year
    visits_max: int | None = None
    months_since_visit_min: int | None = None
    months_since_visit_max: int | None = None
    loyal: bool = False

    def as_json(self) -> dict:
        data = asdict(self)
        return {
            k: list(v) if isinstance(v, tuple) else v
            for k, v in data.items()
            if v not in ((), None, False)
        }

    @classmethod
    def from_json(cls, data: dict) -> Filter:
        """A saved filter; ValueError names the first thing that is not one."""
        f = cls(
            models=tuple(str(m) for m in data.get("models", ())),
            model_year_from=_int(data, "model_year_from", 1950, 2100),
            model_year_to=_int(data, "model_year_to", 1950, 2100),
            cities=tuple(str(c) for c in data.get("cities", ())),
            kind=data.get("kind") or None,
            spend_bands=tuple(data.get("spend_bands", ())),
            visits_min=_int(data, "visits_min", 0, 1000),
            visits_max=_int(data, "visits_max", 0, 1000),
            months_since_visit_min=_int(data, "months_since_visit_min", 0, 600),
            months_since_visit_max=_int(data, "months_since_visit_max", 0, 600),
            loyal=bool(data.get("loyal", False)),
        )
        if f.kind not in (None, *KINDS):
            raise ValueError("kind")
        if set(f.spend_bands) - SPEND_BANDS.keys():
            raise ValueError("spend_bands")
        for low, high, name in (
            (f.model_year_from, f.model_year_to, "model_year_to"),
            (f.visits_min, f.visits_max, "visits_max"),
            (f.months_since_visit_min, f.months_since_visit_max, "months_since_visit_max"),
        ):
            if low is not None and high is not None and low > high:
                raise ValueError(name)
        return f


def _int(data: dict, key: str, low: int, high: int) -> int | None:
    value = data.get(key)
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(key) from None
    if not low <= number <= high:
        raise ValueError(key)
    return number


def query(store_id: int, f: Filter, now: datetime) -> Select:
    """``SELECT customer.id`` of the store's customers that ``f`` selects, by id."""
    year = (
        select(
            RepairOrder.customer_id,
            func.count().label("visits"),
            func.coalesce(func.sum(RepairOrder.amount), 0).label("spend"),
        )
        .where(RepairOrder.store_id == store_id, RepairOrder.opened_at >= now - YEAR)
        .group_by(RepairOrder.customer_id)
        .subquery()
    )
    last = (
        select(RepairOrder.customer_id, func.max(RepairOrder.opened_at).label("at"))
        .where(RepairOrder.store_id == store_id)
        .group_by(RepairOrder.customer_id)
        .subquery()
    )
    visits = func.coalesce(year.c.visits, 0)
    spend = func.coalesce(year.c.spend, 0)
    q = (
        select(Customer.id)
        .outerjoin(year, year.c.customer_id == Customer.id)
        .outerjoin(last, last.c.customer_id == Customer.id)
        .where(Customer.store_id == store_id)
        .order_by(Customer.id)
    )
    if f.kind:
        q = q.where(Customer.is_company.is_(f.kind == "company"))
    if f.cities:
        q = q.where(Customer.city.in_(f.cities))
    if f.models or f.model_year_from is not None or f.model_year_to is not None:
        q = q.where(exists(_cars(f).where(Vehicle.customer_id == Customer.id)))
    if f.spend_bands:
        q = q.where(or_(*(_band(spend, *SPEND_BANDS[b]) for b in f.spend_bands)))
    if f.visits_min is not None:
        q = q.where(visits >= f.visits_min)
    if f.visits_max is not None:
        q = q.where(visits <= f.visits_max)
    if f.months_since_visit_min is not None:
        q = q.where(last.c.at <= now - f.months_since_visit_min * MONTH)
    if f.months_since_visit_max is not None:
        q = q.where(last.c.at >= now - f.months_since_visit_max * MONTH)
    if f.loyal:
        q = q.where(visits >= LOYAL_VISITS, spend >= LOYAL_SPEND)
    return q


def _cars(f: Filter) -> Select:
    cars = select(Vehicle.id)
    if f.models:
        cars = cars.where(Vehicle.model.in_(f.models))
    if f.model_year_from is not None:
        cars = cars.where(Vehicle.model_year >= f.model_year_from)
    if f.model_year_to is not None:
        cars = cars.where(Vehicle.model_year <= f.model_year_to)
    return cars


def _band(spend, low: Decimal, high: Decimal | None):
    return spend >= low if high is None else and_(spend >= low, spend < high)


def customer_ids(session: Session, segment: Segment, now: datetime) -> list[int]:
    """The customers in ``segment`` as of ``now``: a call campaign's or an SMS send's audience."""
    return list(session.scalars(query(segment.store_id, Filter.from_json(segment.filters), now)))


def count(session: Session, store_id: int, f: Filter, now: datetime) -> int:
    inner = query(store_id, f, now).order_by(None).subquery()
    return session.scalar(select(func.count()).select_from(inner)) or 0


def choices(session: Session, store_id: int) -> dict[str, list]:
    """What the builder offers: the store's models and cities as they are on file."""
    models = session.scalars(
        select(Vehicle.model).where(Vehicle.store_id == store_id, Vehicle.model.is_not(None))
        .distinct().order_by(Vehicle.model)
    )  # fmt: skip
    cities = session.scalars(
        select(Customer.city).where(Customer.store_id == store_id, Customer.city.is_not(None))
        .distinct().order_by(Customer.city)
    )  # fmt: skip
    return {"models": list(models), "cities": list(cities)}
