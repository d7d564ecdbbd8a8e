"""One search box over the archive: names, phones in any form, plates, VINs.

Each kind of key is one branch of a ``UNION ALL`` that yields ``(customer_id, rank)``; a
customer found several ways keeps its best rank. Every branch reads an index: exact phones and
VINs seek, names and partial keys scan a narrow covering index (``ix_customer_store_name``,
``uq_phone_customer_id``, ``ix_vehicle_plate_key``, ``uq_vehicle_store_id``), which keeps a
200,000-customer archive well under 50 ms on SQLite (``scripts/bench/bench_search.py``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum

from sqlalchemy import Select, and_, case, func, literal, select, union_all
from sqlalchemy.orm import Session

from storage.archive import normalise as norm
from storage.models import Customer, Phone, RepairOrder, Vehicle

_CJK = re.compile(r"[\u3400-\u9fff]")
_PLATE_CHARS = re.compile(r"^[\u3400-\u9fffA-Z0-9]+$")
MAX_PLATE = 10


class Rank(IntEnum):
    EXACT = 0
    PREFIX = 1  # the start of a name or plate, the end of a number or VIN
    CONTAINS = 2


@dataclass(frozen=True)
class Scope:
    """Whose customers a search may return: the stores, and for an agent only these ids."""

    store_ids: tuple[int, ...]
    customer_ids: frozenset[int] | None = None


@dataclass(frozen=True)
class Kinds:
    """What a query text can be, each in the form it is compared in."""

    name: str | None = None
    e164: str | None = None
    digits: str | None = None  # part of a number, as found in E.164 ("86512..." for "0512...")
    plate: str | None = None
    vin: str | None = None


def kinds_of(text: str) -> Kinds:
    q = norm.clean(text)
    if not q:
        return Kinds()
    e164 = norm.to_e164(q)
    if e164:  # a whole, valid number: nothing else to look for
        return Kinds(e164=e164)
    digits = norm.phone_digits(q)
    vin = norm.vin_query(q)
    plate = norm.plate_key(q)
    has_digit = re.search(r"\d", q) is not None
    coded = has_digit and (digits is not None or _plate_like(plate) or vin is not None)
    return Kinds(
        name=None if coded else q,
        digits=_partial_digits(digits) if digits else None,
        plate=plate if _plate_like(plate) else None,
        vin=vin if vin and has_digit and len(vin) >= norm.MIN_VIN_TAIL else None,
    )


def _plate_like(key: str) -> bool:
    """A whole plate or a part of one: letters and digits after at most one province
    character; digits alone only as a plate's serial (at most 5 of them)."""
    if not 3 <= len(key) <= MAX_PLATE or not _PLATE_CHARS.match(key):
        return False
    if len(_CJK.findall(key)) > 1 or (_CJK.search(key) and not _CJK.match(key)):
        return False
    return not key.isdigit() or len(key) <= 5


def _partial_digits(digits: str) -> str | None:
    """Part of a number as it appears in E.164: ``0086`` and a landline's trunk ``0`` become
    the country code."""
    if digits.startswith("00"):
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = "86" + digits[1:]
    return digits if len(digits) >= norm.MIN_PHONE_DIGITS else None


def _starts(column, prefix: str):
    """``column`` starts with ``prefix``, as a range an ordinary index can seek (LIKE 'x%' can
    not on SQLite), checked again with LIKE where a collation orders differently."""
    return and_(
        column >= prefix,
        column < prefix + "\U0010ffff",
        column.startswith(prefix, autoescape=True),
    )


def _name_branch(name: str, stores: tuple[int, ...], dialect: str) -> Select:
    """The one scan: of the (store, name) index, cheap because it holds nothing else.
    SQLite's LIKE ignores ASCII case already; PostgreSQL needs ILIKE."""
    pg = dialect == "postgresql"
    contains = Customer.name.icontains if pg else Customer.name.contains
    starts = Customer.name.istartswith if pg else Customer.name.startswith
    rank = case(
        (func.lower(Customer.name) == name.lower(), int(Rank.EXACT)),
        (starts(name, autoescape=True), int(Rank.PREFIX)),
        else_=int(Rank.CONTAINS),
    )
    return select(Customer.id.label("customer_id"), rank.label("rank")).where(
        Customer.store_id.in_(stores), contains(name, autoescape=True)
    )


def _phone_branches(kinds: Kinds) -> list[Select]:
    """Seeks only: the whole number, or the start or the end (尾号) of one."""
    found = select(Phone.customer_id)
    if kinds.e164:
        return [found.add_columns(_rank(Rank.EXACT)).where(Phone.e164 == kinds.e164)]
    if not kinds.digits:
        return []
    d = kinds.digits
    start = "+" + d if d.startswith("86") else "+86" + d
    return [
        found.add_columns(_rank(Rank.PREFIX)).where(Phone.tail == d[-4:], Phone.e164.endswith(d)),
        found.add_columns(_rank(Rank.PREFIX)).where(_starts(Phone.e164, start)),
    ]


def _vehicle_branches(kinds: Kinds, stores: tuple[int, ...]) -> list[Select]:
    """Plates from their start, with or without the province; a plate's middle only by a
    scan, and only for keys with a digit; VINs whole or by their last 6+ characters."""
    found = select(Vehicle.customer_id)
    branches = []
    if kinds.plate:
        key = kinds.plate
        column = Vehicle.plate_key if _CJK.match(key) else Vehicle.plate_tail
        exact = case((column == key, int(Rank.EXACT)), else_=int(Rank.PREFIX)).label("rank")
        branches.append(found.add_columns(exact).where(_starts(column, key)))
        if not _CJK.match(key) and re.search(r"\d", key):
            branches.append(
                found.add_columns(_rank(Rank.CONTAINS)).where(
                    Vehicle.plate_key.contains(key, autoescape=True)
                )
            )
    if kinds.vin and len(kinds.vin) == norm.VIN_LENGTH:
        branches.append(
            found.add_columns(_rank(Rank.EXACT)).where(
                Vehicle.store_id.in_(stores), Vehicle.vin == kinds.vin
            )
        )
    elif kinds.vin:
        branches.append(
            found.add_columns(_rank(Rank.PREFIX)).where(
                Vehicle.vin_tail == kinds.vin[-norm.MIN_VIN_TAIL :],
                Vehicle.vin.endswith(kinds.vin),
            )
        )
    return branches


def _rank(rank: Rank):
    return literal(int(rank)).label("rank")


def _branches(kinds: Kinds, stores: tuple[int, ...], dialect: str) -> list[Select]:
    """One ``(customer_id, rank)`` select per way ``kinds`` can find a customer."""
    branches = [_name_branch(kinds.name, stores, dialect)] if kinds.name else []
    return branches + _phone_branches(kinds) + _vehicle_branches(kinds, stores)


def find_customers(session: Session, text: str, scope: Scope, limit: int) -> list[int]:
    """Ids of the customers ``text`` finds in ``scope``, best matches first, at most ``limit``."""
    if not scope.store_ids or scope.customer_ids == frozenset():
        return []
    dialect = session.get_bind().dialect.name
    branches = _branches(kinds_of(text), scope.store_ids, dialect)
    if not branches:
        return []
    found = union_all(*branches).subquery()
    best = (
        select(found.c.customer_id, func.min(found.c.rank).label("rank"))
        .group_by(found.c.customer_id)
        .subquery()
    )
    query = (
        select(Customer.id)
        .join(best, best.c.customer_id == Customer.id)
        .where(Customer.store_id.in_(scope.store_ids))
        .order_by(best.c.rank, Customer.name, Customer.id)
        .limit(limit)
    )
    if scope.customer_ids is not None:
        query = query.where(Customer.id.in_(sorted(scope.customer_ids)))
    return list(session.scalars(query))


@dataclass
class Summary:
    """One row of the results table."""

    id: int
    store_id: int
    name: str
    is_company: bool
    city: str | None
    phones: list[Phone] = field(default_factory=list)
    plates: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    vins: list[str] = field(default_factory=list)
    last_visit: datetime | None = None


def summaries(session: Session, ids: list[int]) -> list[Summary]:
    """The results table's facts for ``ids``, in that order (a few queries, not one per row)."""
    if not ids:
        return []
    rows = {
        c.id: Summary(c.id, c.store_id, c.name, c.is_company, c.city)
        for c in session.scalars(select(Customer).where(Customer.id.in_(ids)))
    }
    for phone in session.scalars(
        select(Phone).where(Phone.customer_id.in_(ids)).order_by(Phone.position, Phone.id)
    ):
        rows[phone.customer_id].phones.append(phone)
    cars: dict[int, list[Vehicle]] = defaultdict(list)
    for car in session.scalars(
        select(Vehicle).where(Vehicle.customer_id.in_(ids)).order_by(Vehicle.id)
    ):
        cars[car.customer_id].append(car)
    for cid, owned in cars.items():
        rows[cid].plates = [v.plate for v in owned if v.plate]
        rows[cid].models = sorted({v.model for v in owned if v.model})
        rows[cid].vins = [v.vin for v in owned]
    last_visits = dict(
        session.execute(
            select(RepairOrder.customer_id, func.max(RepairOrder.opened_at))
            .where(RepairOrder.customer_id.in_(ids))
            .group_by(RepairOrder.customer_id)
        ).all()
    )
    for cid, row in rows.items():
        row.last_visit = last_visits.get(cid)
    return [rows[i] for i in ids if i in rows]
