"""Which store an import goes to."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.errors import InvalidInput
from storage.models import Store


def resolve_store(session: Session, code: str | None) -> Store:
    """The store with this code; without a code, the only store there is."""
    if code:
        store = session.scalar(select(Store).where(Store.code == code))
        if store is None:
            raise InvalidInput(f"no store with code {code!r}", code="unknown_store")
        return store
    stores = list(session.scalars(select(Store).order_by(Store.code).limit(11)))
    if not stores:
        raise InvalidInput("there is no store yet: create one first", code="no_store")
    if len(stores) > 1:
        codes = ", ".join(s.code for s in stores[:10])
        raise InvalidInput(f"several stores ({codes}): choose one by its code", code="which_store")
    return stores[0]
