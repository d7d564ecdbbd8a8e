"""Call scripts in the store: the current version of each (store, task type, customer kind),
new versions when a centre head edits one, and the versions each call was read from.

Seeded on first use, not by the migration: the first time a store needs a script (a call, or
a centre head saving an edit), our default wording (``console.script_wording``) is stored as
its version 1. Stores created after the migration get them the same way, and the wording
stays in code, where it is reviewed with the product; a later release's new defaults do not
change scripts a store already has, nor what past calls recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager, joinedload

from console.call_scripts import ScriptPart, call_order
from console.script_content import check_content
from console.script_wording import default_content
from storage.codes import CustomerKind, TaskType
from storage.errors import N_, DomainError
from storage.models import CallAttempt, CallScript, Customer, RepairOrder, ScriptVersion
from storage.settings import StoreSettings, load_settings

MAJOR_REPAIR_SETTING = "repair.major_amount_yuan"
VIP_GRADES = frozenset({"VIP"})


def customer_kind(customer: Customer, ro_amounts: Iterable[Decimal | None], major_yuan: int):
    """Which script template a call reads: major repair when a repair order the call follows
    up cost more than the store's threshold, else VIP (grade), else company, else standard."""
    if any(amount is not None and amount > major_yuan for amount in ro_amounts):
        return CustomerKind.MAJOR_REPAIR
    if (customer.grade or "").strip().upper() in VIP_GRADES:
        return CustomerKind.VIP
    if customer.is_company:
        return CustomerKind.COMPANY
    return CustomerKind.STANDARD


def call_kind(
    session: Session, attempt: CallAttempt, settings: StoreSettings | None = None
) -> CustomerKind:
    task = attempt.task
    numbers = [i.source_ref.removeprefix("ro:") for i in task.items if i.source_ref[:3] == "ro:"]
    amounts = session.scalars(
        select(RepairOrder.amount).where(
            RepairOrder.store_id == task.store_id, RepairOrder.ro_number.in_(numbers)
        )
    ) if numbers else []  # fmt: skip
    settings = settings or load_settings(session, task.store_id)
    return customer_kind(task.customer, list(amounts), settings.number(MAJOR_REPAIR_SETTING))


def parts_for_attempt(
    session: Session,
    attempt: CallAttempt,
    *,
    record: bool = False,
    settings: StoreSettings | None = None,
) -> tuple[str, list[ScriptPart]]:
    """The customer kind and the script of each follow-up the call covers: the versions
    recorded on the attempt, else each script's newest version created by the time the
    customer answered (so a reload mid-call, or the wrap-up, reads what the agent was shown
    even if a centre head has saved a new version since). ``record``: write them on the
    attempt (the first draft does; a screen pop stays a read, off the answer's hot path)."""
    if attempt.script_version_ids:
        versions = _by_ids(session, attempt.script_version_ids)
        if versions:
            return versions[0].script.customer_kind, [_part(v) for v in versions]
    kind = call_kind(session, attempt, settings)
    types = call_order(attempt.task.types) or [TaskType.CALLBACK]
    versions = versions_at(session, attempt.task.store_id, types, kind,
                           attempt.answered_at or attempt.started_at)  # fmt: skip
    if record:
        attempt.script_version_ids = [v.id for v in versions]
    return kind, [_part(v) for v in versions]


def versions_at(
    session: Session, store_id: int, task_types: list[str], kind: str, at: datetime
) -> list[ScriptVersion]:
    """The version of each script a call answered at ``at`` reads: the newest created by
    then, else version 1 (our default, stored when first needed, possibly just now). One
    query for them all: this is on the screen pop's path."""
    rows = session.execute(
        select(ScriptVersion, CallScript)
        .join(CallScript, CallScript.id == ScriptVersion.script_id)
        .options(contains_eager(ScriptVersion.script))  # version.script without a lazy load
        .where(
            CallScript.store_id == store_id,
            CallScript.customer_kind == kind,
            CallScript.task_type.in_(task_types),
        )
        .order_by(ScriptVersion.number)
    )
    chosen: dict[str, ScriptVersion] = {}
    for version, script in rows:
        if version.number == 1 or version.created_at <= at:
            chosen[script.task_type] = version  # ascending: the newest in time wins
    return [chosen.get(t) or current_version(session, store_id, t, kind) for t in task_types]


def _by_ids(session: Session, ids: list[int]) -> list[ScriptVersion]:
    query = (  # with their scripts: no lazy load per version on the screen pop's path
        select(ScriptVersion)
        .where(ScriptVersion.id.in_(ids))
        .options(joinedload(ScriptVersion.script))
    )
    found = {v.id: v for v in session.scalars(query)}
    return [found[i] for i in ids if i in found]


def _part(version: ScriptVersion) -> ScriptPart:
    return ScriptPart(version.script.task_type, version.id, version.content)


def latest(session: Session, store_id: int, task_type: str, kind: str) -> ScriptVersion | None:
    return session.scalar(
        select(ScriptVersion)
        .join(CallScript)
        .where(
            CallScript.store_id == store_id,
            CallScript.task_type == task_type,
            CallScript.customer_kind == kind,
        )
        .order_by(ScriptVersion.number.desc())
        .limit(1)
    )


def current_version(session: Session, store_id: int, task_type: str, kind: str) -> ScriptVersion:
    """The script's newest version, our default stored as version 1 if it has none yet."""
    return latest(session, store_id, task_type, kind) or _seed(session, store_id, task_type, kind)


def _seed(session: Session, store_id: int, task_type: str, kind: str) -> ScriptVersion:
    content = default_content(TaskType(task_type), CustomerKind(kind))
    try:
        with session.begin_nested():
            script = CallScript(store_id=store_id, task_type=task_type, customer_kind=kind)
            session.add(script)
            session.flush()
            version = ScriptVersion(script=script, number=1, content=content)
            session.add(version)
            session.flush()
        return version
    except IntegrityError:  # another call seeded it at the same moment: theirs is the same
        seeded = latest(session, store_id, task_type, kind)
        assert seeded is not None
        return seeded


class NothingChanged(DomainError):
    code = "nothing_changed"


def add_version(
    session: Session,
    store_id: int,
    task_type: str,
    kind: str,
    raw: dict,
    user_id: int | None,
    now: datetime,
    note: str = "",
) -> ScriptVersion:
    """Store an edited script as its next version (never changing an earlier one). Raises
    InvalidInput for a malformed script, NothingChanged when it equals the current one."""
    content = check_content(raw)
    current = current_version(session, store_id, task_type, kind)
    if content == current.content:
        raise NothingChanged(N_("Nothing was changed."))
    number = session.scalar(
        select(func.max(ScriptVersion.number)).where(ScriptVersion.script_id == current.script_id)
    )
    version = ScriptVersion(
        script_id=current.script_id,
        number=(number or 0) + 1,
        content=content,
        note=note.strip()[:200] or None,
        created_by_id=user_id,
        created_at=now,
    )
    session.add(version)
    session.flush()
    return version
