"""What the agent's screen shows when a customer answers: the record and the script."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload

from console.call_scripts import render_call
from console.labels import CASE_STATUSES, COMPLAINT_CATEGORIES, REPAIR_TYPES, pick
from console.reasons import reason_text
from console.services.script_fields import Known, script_fields
from console.services.scripts import parts_for_attempt
from storage.codes import CaseStatus
from storage.consent import DEFAULTS, Channel, Purpose
from storage.models import (
    CallAttempt,
    CallTask,
    Case,
    CaseEvent,
    Consent,
    Customer,
    Outcome,
    RepairOrder,
    ScriptVersion,
    Store,
    StoreSetting,
    TaskItem,
    User,
)
from storage.settings import load_settings

RECENT_VISITS = 5
DEFAULT_LOCALE = "zh_Hans"


def ringing_payload(session: Session, attempt_id: int) -> dict:
    attempt = session.get_one(CallAttempt, attempt_id)
    customer = attempt.task.customer
    number = attempt.phone.masked if attempt.phone else ""
    return {"attempt_id": attempt.id, "customer_name": customer.name, "number": number}


@dataclass(frozen=True)
class PopSources:
    """What a pop was read from, for deciding later whether it is still what a fresh lookup
    would show: the rows it depends on, by id, and the store's time zone and the deadline
    (the ``overdue`` flag and the dates the script words depend on the clock)."""

    customer_id: int
    task_id: int
    store_id: int
    agent_id: int | None
    attempt_ids: frozenset[int]  # this call and the earlier calls shown in its history
    timezone: str
    deadline: datetime


def screen_pop(session: Session, attempt_id: int, locale: str | None, now: datetime) -> dict:
    """The whole pop in a fixed number of queries (about a dozen, whatever the customer's
    size): the call with its task, customer, store and agent in one, their collections
    eagerly, then one query each for visits, cases, history, script and fields. Nothing is
    lazy-loaded per row: this runs for every answered call (issue 6's 50 ms p99), and each
    query is a wait for the GIL in a busy web process. ``locale``: None for the agent's own."""
    return screen_pop_with_sources(session, attempt_id, locale, now)[0]


def screen_pop_with_sources(
    session: Session, attempt_id: int, locale: str | None, now: datetime
) -> tuple[dict, PopSources]:
    """``screen_pop``, and what it was read from (``PopSources``)."""
    attempt, store, agent, agent_locale = _call(session, attempt_id)
    locale = locale or agent_locale or DEFAULT_LOCALE
    task, customer = attempt.task, attempt.task.customer
    tz = ZoneInfo(store.timezone)
    visits = _recent_visits(session, customer.id)
    cases = _cases_of(session, customer.id, visits)
    open_cases = [
        c for c in cases if c.customer_id == customer.id and c.status != CaseStatus.CLOSED
    ]
    known = Known(agent or "", visits, open_cases[0] if open_cases else None)
    history, earlier = _history(session, attempt, tz)
    data = {
        "attempt_id": attempt.id,
        "task": {
            "id": task.id,
            "types": task.types,
            "due": task.due_at.astimezone(tz).isoformat(),
            "deadline": task.deadline_at.astimezone(tz).isoformat(),
            "overdue": now > task.deadline_at,
            "reasons": [reason_text(i.reason, locale) for i in task.items],
        },
        "customer": _customer(customer, attempt)
        | {"visits": _visits(visits, tz, locale, _six_qs(visits, cases))},
        "script": _script(session, attempt, store, locale, now, known),
        "draft": _draft(attempt.outcome),
    } | _record(attempt, tz, locale, open_cases, history)
    sources = PopSources(
        customer_id=customer.id,
        task_id=task.id,
        store_id=store.id,
        agent_id=attempt.agent_id,
        attempt_ids=frozenset({attempt.id, *earlier}),
        timezone=store.timezone,
        deadline=task.deadline_at,
    )
    return data, sources


def pop_watermark(session: Session, sources: PopSources) -> tuple:
    """One statement, read when a pop prepared at ringing is about to be pushed: marks that
    move when another process (an import, another web process, a seat worker) wrote what the
    pop shows: the customer row (``updated_at``), a repair order, case, case event or consent
    added, a call placed to the customer, any draft or outcome of their calls saved, the
    store's settings saved, a script version added. Equal marks at ringing and at answer:
    nothing of that kind was written in between."""
    cid = sources.customer_id
    customer_tasks = select(CallTask.id).where(CallTask.customer_id == cid)
    customer_attempts = select(CallAttempt.id).where(CallAttempt.task_id.in_(customer_tasks))
    customer_cases = select(Case.id).where(Case.customer_id == cid)
    marks = [
        select(Customer.updated_at).where(Customer.id == cid),
        select(func.max(RepairOrder.id)).where(RepairOrder.customer_id == cid),
        select(func.max(Case.id)).where(Case.customer_id == cid),
        select(func.max(CaseEvent.id)).where(CaseEvent.case_id.in_(customer_cases)),
        select(func.count(Consent.id)).where(Consent.customer_id == cid),
        select(func.max(Consent.at)).where(Consent.customer_id == cid),
        select(func.max(CallAttempt.id)).where(CallAttempt.task_id.in_(customer_tasks)),
        select(func.max(Outcome.updated_at)).where(Outcome.attempt_id.in_(customer_attempts)),
        select(func.count(TaskItem.id)).where(TaskItem.task_id == sources.task_id),
        select(func.max(StoreSetting.updated_at)).where(StoreSetting.store_id == sources.store_id),
        select(func.max(ScriptVersion.id)),
    ]
    return tuple(session.execute(select(*(m.scalar_subquery() for m in marks))).one())


def _call(session: Session, attempt_id: int) -> tuple[CallAttempt, Store, str | None, str | None]:
    """The attempt with its draft, its task with the items and their cars, its customer with
    phones, cars and consents, the store, and the agent's name and language: four queries."""
    row = (
        session.execute(
            select(CallAttempt, Store, User.display_name, User.locale)
            .join(CallAttempt.task)
            .join(Store, Store.id == CallTask.store_id)
            .outerjoin(User, User.id == CallAttempt.agent_id)
            .where(CallAttempt.id == attempt_id)
            .options(
                joinedload(CallAttempt.outcome),
                contains_eager(CallAttempt.task).options(
                    joinedload(CallTask.items).joinedload(TaskItem.vehicle),
                    joinedload(CallTask.customer).options(
                        selectinload(Customer.phones),
                        selectinload(Customer.vehicles),
                        selectinload(Customer.consents),
                    ),
                ),
            )
        )
        .unique()
        .one()
    )
    return row[0], row[1], row[2], row[3]


def _customer(customer: Customer, attempt: CallAttempt) -> dict:
    return {
        "id": customer.id,
        "name": customer.name,
        "gender": customer.gender,
        "is_company": customer.is_company,
        "city": customer.city,
        "phones": [
            {
                "number": p.masked,
                "kind": p.kind,
                "validity": p.validity,
                "dialled": p.id == attempt.phone_id,
            }
            for p in customer.phones
        ],
        "vehicles": [
            {
                "vin": v.vin,
                "plate": v.plate,
                "model": v.model,
                "model_year": v.model_year,
                "delivered_on": v.delivered_on.isoformat() if v.delivered_on else None,
            }
            for v in customer.vehicles
        ],
    }


def _recent_visits(session: Session, customer_id: int) -> list[RepairOrder]:
    return list(
        session.scalars(
            select(RepairOrder)
            .where(RepairOrder.customer_id == customer_id)
            .order_by(RepairOrder.opened_at.desc())
            .limit(RECENT_VISITS)
        )
    )


def _visits(
    visits: list[RepairOrder], tz: ZoneInfo, locale: str, six_qs: dict[int, list[str]]
) -> list[dict]:
    labels, categories = pick(REPAIR_TYPES, locale), pick(COMPLAINT_CATEGORIES, locale)
    return [
        {
            "ro_number": ro.ro_number,
            "closed_at": ro.closed_at.astimezone(tz).isoformat() if ro.closed_at else None,
            "ro_type": ro.ro_type,
            "ro_type_label": labels.get(ro.ro_type, ro.ro_type),
            "advisor": ro.advisor,
            "amount": f"{ro.amount:.2f}" if ro.amount is not None else None,
            "odometer_km": ro.odometer_km,
            "six_qs": six_qs.get(ro.id, []),
            "six_qs_labels": [categories.get(c, c) for c in six_qs.get(ro.id, [])],
        }
        for ro in visits
    ]


def _script(session: Session, attempt, store, locale: str, now: datetime, known) -> dict:
    """The call's script in steps, from the versions recorded on the attempt (the store's
    current ones the first time: see ``console.services.scripts.parts_for_attempt``)."""
    settings = load_settings(session, store.id)
    kind, parts = parts_for_attempt(session, attempt, settings=settings)
    fields = script_fields(session, attempt, store, locale, now, settings, known)
    return render_call(parts, fields, locale, kind)


def _draft(outcome: Outcome | None) -> dict:
    if outcome is None:
        return {"code": None, "satisfaction": None, "complaint_text": "", "notes": "",
                "answers": {}, "complaint_category": None, "suggestion": "",
                "appointment_on": None, "churn_direction": None, "churn_reason": None}  # fmt: skip
    return {
        "code": outcome.code,
        "satisfaction": outcome.satisfaction,
        "complaint_text": outcome.complaint_text or "",
        "notes": outcome.notes or "",
        "answers": outcome.answers or {},
        "complaint_category": outcome.complaint_category,
        "suggestion": outcome.suggestion or "",
        "appointment_on": outcome.appointment_on.isoformat() if outcome.appointment_on else None,
        "churn_direction": outcome.churn_direction,
        "churn_reason": outcome.churn_reason,
    }


# ---------- what the agent should know before speaking (issue 6, item 1) ----------

PREVIOUS_CALLS = 5


def _record(
    attempt: CallAttempt, tz: ZoneInfo, locale: str, open_cases: list[Case], history: list[dict]
) -> dict:
    task, customer = attempt.task, attempt.task.customer
    return {
        "covers": [
            {
                "type": item.task_type,
                "reason": reason_text(item.reason, locale),
                "due": item.due_at.astimezone(tz).isoformat(),
                "deadline": item.deadline_at.astimezone(tz).isoformat(),
                "plate": item.vehicle.plate if item.vehicle else None,
            }
            for item in task.items
        ],
        "consent": _consent(customer),
        "history": history,
        "cases": _cases(open_cases, tz, locale),
    }


def _consent(customer: Customer) -> dict:
    given = {(c.channel, c.purpose): c.granted for c in customer.consents}
    return {
        channel.value: {p.value: given.get((channel, p), DEFAULTS[p]) for p in Purpose}
        for channel in Channel
    }


def _history(session: Session, attempt: CallAttempt, tz: ZoneInfo) -> tuple[list[dict], list[int]]:
    """The customer's earlier calls, newest first, with what they covered and what the agent
    recorded: plain columns in one query (no ORM objects, no lazy loads); and their ids."""
    rows = session.execute(
        select(
            CallAttempt.id,
            CallAttempt.started_at,
            CallAttempt.network_outcome,
            CallTask.id,
            Outcome.code,
            Outcome.satisfaction,
            User.display_name,
        )
        .join(CallTask, CallTask.id == CallAttempt.task_id)
        .outerjoin(Outcome, (Outcome.attempt_id == CallAttempt.id) & Outcome.final)
        .outerjoin(User, User.id == CallAttempt.agent_id)
        .where(CallTask.customer_id == attempt.task.customer_id, CallAttempt.id != attempt.id)
        .order_by(CallAttempt.started_at.desc())
        .limit(PREVIOUS_CALLS)
    ).all()
    types = _task_types(session, {row[3] for row in rows})
    shown = [
        {
            "at": at.astimezone(tz).isoformat(),
            "network_outcome": network,
            "types": types.get(task_id, []),
            "code": code,
            "satisfaction": satisfaction,
            "agent": agent or "",
        }
        for _, at, network, task_id, code, satisfaction, agent in rows
    ]
    return shown, [row[0] for row in rows]


def _task_types(session: Session, task_ids: set[int]) -> dict[int, list[str]]:
    """The follow-up types of each task, one query for them all."""
    found: dict[int, set[str]] = {}
    if task_ids:
        rows = session.execute(
            select(TaskItem.task_id, TaskItem.task_type).where(TaskItem.task_id.in_(task_ids))
        )
        for task_id, task_type in rows:
            found.setdefault(task_id, set()).add(task_type)
    return {task_id: sorted(kinds) for task_id, kinds in found.items()}


def _cases_of(session: Session, customer_id: int, visits: list[RepairOrder]) -> list[Case]:
    """In one query: the customer's open cases, and the cases about the visits shown (their
    6QS flags, open or closed). Newest first."""
    about = Case.repair_order_id.in_([ro.id for ro in visits]) if visits else false()
    return list(
        session.scalars(
            select(Case)
            .where(
                or_(
                    (Case.customer_id == customer_id) & (Case.status != CaseStatus.CLOSED),
                    about,
                )
            )
            .order_by(Case.opened_at.desc(), Case.id.desc())
        )
    )


def _cases(open_cases: list[Case], tz: ZoneInfo, locale: str) -> list[dict]:
    categories, statuses = pick(COMPLAINT_CATEGORIES, locale), pick(CASE_STATUSES, locale)
    return [
        {
            "id": case.id,
            "category": case.category,
            "category_label": categories.get(case.category, case.category),
            "status": case.status,
            "status_label": statuses.get(case.status, case.status),
            "opened_at": case.opened_at.astimezone(tz).isoformat(),
            "verbatim": case.verbatim,
        }
        for case in open_cases
    ]


def _six_qs(visits: list[RepairOrder], cases: list[Case]) -> dict[int, list[str]]:
    """Each visit's 6QS issues: the categories of the cases opened about it, oldest first."""
    shown = {ro.id for ro in visits}
    flags: dict[int, list[str]] = {}
    for case in sorted(cases, key=lambda c: c.id):
        if case.repair_order_id in shown:
            flags.setdefault(case.repair_order_id, []).append(case.category)
    return flags
