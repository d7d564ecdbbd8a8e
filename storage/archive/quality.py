"""Data quality of the archive (DOMAIN.md): wrong, empty and missing numbers (错号/空号/无号),
and the information retention rate (信息留存率): customers with at least one phone not marked
wrong or empty, divided by customers."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session

from storage.codes import PhoneValidity
from storage.models import Customer, Phone

UNUSABLE = (PhoneValidity.WRONG, PhoneValidity.EMPTY)


class Problem(StrEnum):
    WRONG = "wrong"  # at least one number marked wrong
    EMPTY = "empty"  # at least one number marked empty (unassigned)
    NO_NUMBER = "no_number"  # no number at all
    UNREACHABLE = "unreachable"  # no number left that is neither wrong nor empty


@dataclass(frozen=True)
class StoreQuality:
    store_id: int
    customers: int
    wrong: int
    empty: int
    no_number: int
    retained: int  # customers with a number that is neither wrong nor empty

    @property
    def retention_rate(self) -> float | None:
        return self.retained / self.customers if self.customers else None


def _flags():
    """Per customer with phones: has a wrong one, has an empty one, has a usable one."""
    return (
        select(
            Phone.customer_id,
            func.max(case((Phone.validity == PhoneValidity.WRONG, 1), else_=0)).label("wrong"),
            func.max(case((Phone.validity == PhoneValidity.EMPTY, 1), else_=0)).label("empty"),
            func.max(case((Phone.validity.in_(UNUSABLE), 0), else_=1)).label("usable"),
        )
        .group_by(Phone.customer_id)
        .subquery()
    )


def by_store(session: Session, store_ids: tuple[int, ...]) -> list[StoreQuality]:
    f = _flags()
    rows = session.execute(
        select(
            Customer.store_id,
            func.count(),
            func.coalesce(func.sum(f.c.wrong), 0),
            func.coalesce(func.sum(f.c.empty), 0),
            func.sum(case((f.c.customer_id.is_(None), 1), else_=0)),
            func.coalesce(func.sum(f.c.usable), 0),
        )
        .outerjoin(f, f.c.customer_id == Customer.id)
        .where(Customer.store_id.in_(store_ids))
        .group_by(Customer.store_id)
    )
    found = {row[0]: StoreQuality(*(int(v) for v in row)) for row in rows}
    return [found.get(s, StoreQuality(s, 0, 0, 0, 0, 0)) for s in store_ids]


def affected(
    session: Session, store_ids: tuple[int, ...], problem: Problem | None, offset: int, limit: int
) -> list[tuple[int, str, int, bool, bool, bool]]:
    """Customers with ``problem`` (any of them when None), by name:
    ``(id, name, store_id, has wrong, has empty, has no number)``."""
    f = _flags()
    no_number = f.c.customer_id.is_(None)
    wanted = {
        Problem.WRONG: f.c.wrong == 1,
        Problem.EMPTY: f.c.empty == 1,
        Problem.NO_NUMBER: no_number,
        Problem.UNREACHABLE: func.coalesce(f.c.usable, 0) == 0,
    }
    condition = wanted[problem] if problem else or_(f.c.wrong == 1, f.c.empty == 1, no_number)
    query: Select = (
        select(Customer.id, Customer.name, Customer.store_id, f.c.wrong, f.c.empty, f.c.customer_id)
        .outerjoin(f, f.c.customer_id == Customer.id)
        .where(Customer.store_id.in_(store_ids), condition)
        .order_by(Customer.name, Customer.id)
        .offset(offset)
        .limit(limit)
    )
    return [
        (cid, name, store, bool(wrong), bool(empty), phoned is None)
        for cid, name, store, wrong, empty, phoned in session.execute(query)
    ]
