"""The settings screen: one store's follow-up settings (``storage.settings``), grouped, each
with its default and, when changed, who changed it; saving what a centre head typed. A user
sees and changes only the stores they work for."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.services.archive import local_time, store_names
from storage.archive.scope import store_ids_of
from storage.errors import N_, DomainError, InvalidInput
from storage.models import StoreSetting, User
from storage.settings import GROUPS, REGISTRY, load_settings, save_settings


class Refused(DomainError):
    """The user does not work for that store."""

    code = "forbidden"


def page(
    session: Session,
    user_id: int,
    store_id: int | None,
    tz: ZoneInfo,
    typed: Mapping[str, str] | None = None,
    errors: Mapping[str, InvalidInput] | None = None,
) -> dict:
    """The screen for ``store_id`` (the user's first store when None). ``typed`` and ``errors``:
    a refused save's values, shown again with each error next to its field."""
    ids = list(store_ids_of(session, user_id))
    stores = store_names(session, tuple(ids))
    if not ids:
        return {"stores": {}, "store_id": None, "groups": [], "changed": 0, "has_errors": False}
    store_id = _chosen(ids, store_id)
    settings = load_settings(session, store_id)
    by = _changed_by(session, store_id, tz)
    typed, errors = typed or {}, errors or {}
    rows: list[dict[str, Any]] = [
        {
            "key": key,
            "setting": s,
            "value": typed.get(key, settings.as_text(key)),
            "default": s.default,
            "changed": not settings.is_default(key),
            "by": by.get(key),
            "error": errors.get(key),
        }
        for key, s in REGISTRY.items()
    ]
    groups = [
        {"code": code, "label": label, "rows": [r for r in rows if r["setting"].group == code]}
        for code, label in GROUPS.items()
    ]
    return {
        "stores": {sid: stores[sid] for sid in ids},
        "store_id": store_id,
        "groups": groups,
        "changed": len(settings.changed),
        "has_errors": bool(errors),
    }


def save(
    session: Session, user_id: int, store_id: int, values: Mapping[str, str], now: datetime
) -> dict[str, tuple[str, str]]:
    """Store the values that changed (``storage.settings.save_settings``: all or nothing)."""
    _chosen(list(store_ids_of(session, user_id)), store_id)
    return save_settings(session, store_id, values, user_id, now)


def _chosen(store_ids: list[int], store_id: int | None) -> int:
    if store_id is None:
        return store_ids[0]
    if store_id not in store_ids:
        raise Refused(N_("you do not work for that store"), store_id=store_id)
    return store_id


def _changed_by(session: Session, store_id: int, tz: ZoneInfo) -> dict[str, tuple[str, str]]:
    """Who last changed each stored setting, and when (local time)."""
    rows = session.execute(
        select(StoreSetting.key, User.display_name, StoreSetting.updated_at)
        .outerjoin(User, User.id == StoreSetting.updated_by_id)
        .where(StoreSetting.store_id == store_id)
    )
    return {key: (name or "", local_time(at, tz)) for key, name, at in rows}
