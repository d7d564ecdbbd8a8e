"""The scripts screen: every script of a store (task type by customer kind) with its current
version; one script's editor with its version history; an old version as it was. Saving adds
a version (``console.services.scripts.add_version``). A user sees only the stores they work for.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.call_scripts import SCRIPT_ORDER
from console.script_wording import default_content
from console.services.archive import local_time, store_names
from console.services.scripts import add_version, latest
from storage.archive.scope import store_ids_of
from storage.codes import CustomerKind, TaskType
from storage.errors import N_, DomainError, NotFound
from storage.models import CallScript, ScriptVersion, User

KINDS = tuple(CustomerKind)


class Refused(DomainError):
    """The user does not work for that store."""

    code = "forbidden"


def overview(session: Session, user_id: int, store_id: int | None, tz: ZoneInfo) -> dict:
    stores = _stores(session, user_id)
    if not stores:
        return {"stores": {}, "store_id": None, "rows": []}
    store_id = _chosen(stores, store_id)
    newest = _newest(session, store_id)
    rows = [
        {"task_type": t, "cells": [_cell(newest.get((t, k)), k, tz) for k in KINDS]}
        for t in SCRIPT_ORDER
    ]
    return {"stores": stores, "store_id": store_id, "rows": rows}


def _newest(session: Session, store_id: int) -> dict[tuple[str, str], tuple]:
    rows = session.execute(
        select(CallScript.task_type, CallScript.customer_kind, ScriptVersion, User.display_name)
        .join(ScriptVersion, ScriptVersion.script_id == CallScript.id)
        .outerjoin(User, User.id == ScriptVersion.created_by_id)
        .where(CallScript.store_id == store_id)
        .order_by(ScriptVersion.number)
    )
    return {(t, k): (v, name) for t, k, v, name in rows}  # the last row per script is newest


def _cell(found: tuple | None, kind: str, tz: ZoneInfo) -> dict:
    if found is None:  # never used nor edited: our default, stored on first use
        return {"kind": kind, "number": 1, "stored": False, "at": "", "by": ""}
    version, by = found
    return {"kind": kind, "number": version.number, "stored": True,
            "at": local_time(version.created_at, tz), "by": by or ""}  # fmt: skip


def editor(
    session: Session,
    user_id: int,
    store_id: int | None,
    task_type: str,
    kind: str,
    tz: ZoneInfo,
    from_version: int | None = None,
) -> dict:
    """One script: its content to edit (the current version's, or an older one's to start
    from) and every version, newest first."""
    stores = _stores(session, user_id)
    store_id = _chosen(stores, store_id)
    task_type, kind = _script_key(task_type, kind)
    current = latest(session, store_id, task_type, kind)
    history = _history(session, current.script_id, tz) if current else []
    content = current.content if current else default_content(TaskType(task_type), kind)
    if from_version is not None:
        start = session.get(ScriptVersion, from_version)
        if start is None or current is None or start.script_id != current.script_id:
            raise NotFound(N_("there is no such version of this script"), version=from_version)
        content = start.content
    return {
        "stores": stores,
        "store_id": store_id,
        "task_type": task_type,
        "kind": kind,
        "content": content,
        "current": current.number if current else 1,
        "from_version": from_version,
        "history": history,
    }


def _history(session: Session, script_id: int, tz: ZoneInfo) -> list[dict]:
    rows = session.execute(
        select(ScriptVersion, User.display_name)
        .outerjoin(User, User.id == ScriptVersion.created_by_id)
        .where(ScriptVersion.script_id == script_id)
        .order_by(ScriptVersion.number.desc())
    )
    return [
        {
            "id": v.id,
            "number": v.number,
            "at": local_time(v.created_at, tz),
            "by": by or "",
            "note": v.note or "",
            "default": v.created_by_id is None,
        }  # fmt: skip
        for v, by in rows
    ]


def version_page(session: Session, user_id: int, version_id: int, tz: ZoneInfo) -> dict:
    """An old version as it was, read-only."""
    version = session.get(ScriptVersion, version_id)
    if version is None or version.script.store_id not in _stores(session, user_id):
        raise NotFound(N_("there is no such version of this script"), version=version_id)
    script = version.script
    return {
        "version": version,
        "content": version.content,
        "store_id": script.store_id,
        "task_type": script.task_type,
        "kind": script.customer_kind,
        "history": _history(session, script.id, tz),
    }


def save(
    session: Session,
    user_id: int,
    store_id: int | None,
    task_type: str,
    kind: str,
    raw: dict,
    note: str,
    now: datetime,
) -> ScriptVersion:
    store_id = _chosen(_stores(session, user_id), store_id)
    task_type, kind = _script_key(task_type, kind)
    return add_version(session, store_id, task_type, kind, raw, user_id, now, note)


def _stores(session: Session, user_id: int) -> dict[int, str]:
    ids = store_ids_of(session, user_id)
    names = store_names(session, ids)
    return {sid: names[sid] for sid in ids}


def _chosen(stores: dict[int, str], store_id: int | None) -> int:
    if not stores:
        raise Refused(N_("You work for no store yet."))
    if store_id is None:
        return next(iter(stores))
    if store_id not in stores:
        raise Refused(N_("you do not work for that store"), store_id=store_id)
    return store_id


def _script_key(task_type: str, kind: str) -> tuple[TaskType, CustomerKind]:
    try:
        return TaskType(task_type), CustomerKind(kind)
    except ValueError:
        raise NotFound(N_("there is no such script"), task_type=task_type, kind=kind) from None
