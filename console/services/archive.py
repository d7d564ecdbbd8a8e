"""The customer archive as the console shows it: who may see which customers, and search.

Whole-archive users (``VIEW_ARCHIVE``) see every customer of their stores with whole numbers.
Agents (``TAKE_CALLS`` alone) see only the customers of their current and recent calls (their
attempts of the last 7 days), numbers masked to the last four digits, and edit nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.access import Permission
from storage.archive import scope
from storage.archive.normalise import readable_phone
from storage.archive.search import Scope, Summary, find_customers, summaries
from storage.errors import N_, DomainError, NotFound
from storage.models import Customer, Phone, Store

PAGE = 50


class Refused(DomainError):
    """The user may not see or change this part of the archive."""

    code = "forbidden"


@dataclass(frozen=True)
class Access:
    """What one user may see of the archive, resolved once per request."""

    user_id: int
    store_ids: tuple[int, ...]
    whole_archive: bool
    called: tuple[int, ...] = ()  # an agent's recent customers, latest call first
    may_edit: bool = False

    @property
    def scope(self) -> Scope:
        return Scope(self.store_ids, None if self.whole_archive else frozenset(self.called))

    def number(self, phone: Phone) -> str:
        """A number as this user may read it: whole (``138 0013 8000``) or masked."""
        return readable_phone(phone.e164) if self.whole_archive else phone.masked


def access_for(
    session: Session, user_id: int, permissions: frozenset[Permission], now: datetime
) -> Access:
    whole = Permission.VIEW_ARCHIVE in permissions
    stores = scope.store_ids_of(session, user_id)
    if whole:
        return Access(user_id, stores, True, may_edit=Permission.EDIT_ARCHIVE in permissions)
    if Permission.TAKE_CALLS in permissions:
        return Access(user_id, stores, False, tuple(scope.called_customers(session, user_id, now)))
    return Access(user_id, (), False)


def open_customer(session: Session, access: Access, customer_id: int) -> Customer:
    """The customer, if this user may see them; NotFound or Refused otherwise."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(N_("there is no customer with that number"), customer_id=customer_id)
    if customer.store_id not in access.store_ids:
        raise Refused(N_("this customer belongs to a store you do not work for"))
    if not access.whole_archive and customer.id not in access.called:
        raise Refused(N_("agents may open only the customers of their calls of the last 7 days"))
    return customer


def search(session: Session, access: Access, text: str, tz: ZoneInfo) -> dict:
    """The results table for ``text``; an agent's empty search lists their recent customers."""
    text = text.strip()[:100]
    if text:
        ids = find_customers(session, text, access.scope, PAGE + 1)
    elif not access.whole_archive:
        ids = list(access.called[: PAGE + 1])
    else:
        ids = []
    stores = store_names(session, access.store_ids)
    rows = search_rows(summaries(session, ids[:PAGE]), access, stores, tz)
    return {
        "query": text,
        "rows": rows,
        "more": len(ids) > PAGE,
        "recent": not text,
        "several_stores": len(access.store_ids) > 1,
    }


def store_names(session: Session, store_ids: tuple[int, ...]) -> dict[int, str]:
    return dict(session.execute(select(Store.id, Store.name).where(Store.id.in_(store_ids))).all())


def search_rows(
    found: list[Summary], access: Access, stores: dict[int, str], tz: ZoneInfo
) -> list[dict]:
    """Rows of a results table (search, segment previews)."""
    return [_row(s, access, stores, tz) for s in found]


def _row(summary: Summary, access: Access, stores: dict[int, str], tz: ZoneInfo) -> dict:
    return {
        "id": summary.id,
        "name": summary.name,
        "is_company": summary.is_company,
        "city": summary.city or "",
        "store": stores.get(summary.store_id, ""),
        "phones": [{"number": access.number(p), "validity": p.validity} for p in summary.phones],
        "plates": summary.plates,
        "models": summary.models,
        "last_visit": local_date(summary.last_visit, tz),
    }


def local_date(at: datetime | None, tz: ZoneInfo) -> str:
    return f"{at.astimezone(tz):%Y-%m-%d}" if at else ""


def local_time(at: datetime | None, tz: ZoneInfo) -> str:
    return f"{at.astimezone(tz):%Y-%m-%d %H:%M}" if at else ""
