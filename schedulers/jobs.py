"""Scheduler jobs: module-level, idempotent functions that return what they did, so tests
call them without the scheduler loop."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from dialer.events import ROLE_SCHEDULER, ToWeb
from dialer.link import InternalLink
from schedulers.drop_folder import DropResult, import_drop_folders
from schedulers.planner import RuleSet, plan_store, task_summary
from schedulers.report_close import close_missed_days
from storage.config import Config, load_config
from storage.db import make_engine, make_session_factory, session_scope
from storage.models import Store

log = logging.getLogger("huifang.scheduler")


def plan_all_stores(
    config: Config, now: datetime | None = None, sets: frozenset[RuleSet] = frozenset(RuleSet)
) -> dict[str, int]:
    """Plan every store (one transaction each); returns the number of follow-ups (task items)
    created per store."""
    now = now or datetime.now(UTC)
    engine = make_engine(config.database_url)
    created: dict[str, int] = {}
    try:
        sessions = make_session_factory(engine)
        with sessions() as s:
            stores = s.scalars(select(Store.id).order_by(Store.code)).all()
        for store_id in stores:
            with session_scope(sessions) as s:
                store = s.get_one(Store, store_id)
                created[store.code] = plan_store(s, store, now, sets).items
    finally:
        engine.dispose()
    return created


def plan_job() -> dict[str, int]:
    """Every few minutes: follow-ups owed by new events (deliveries, closed repair orders),
    then tell idle seat workers that new tasks are due."""
    return _plan_and_announce(frozenset({RuleSet.EVENTS}), "planner")


def churn_scan_job() -> dict[str, int]:
    """Nightly: the rules that move with the calendar (churn survey, maintenance and first
    service reminders, periodic sales calls, insurance renewals)."""
    return _plan_and_announce(frozenset({RuleSet.CALENDAR}), "churn scan")


def _plan_and_announce(sets: frozenset[RuleSet], what: str) -> dict[str, int]:
    config = load_config()
    created = plan_all_stores(config, sets=sets)
    total = sum(created.values())
    log.info("%s created %d follow-ups %s", what, total, created)
    if total:
        announce_new_tasks(config, total)
    return created


def drop_folder_job() -> list[DropResult]:
    """The APScheduler job: import what the DMS dropped, then plan at once if anything came."""
    config = load_config()
    engine = make_engine(config.database_url)
    try:
        results = import_drop_folders(make_session_factory(engine))
    finally:
        engine.dispose()
    if any(r.report for r in results):
        plan_job()
    return results


def announce_new_tasks(config: Config, count: int) -> None:
    stop = threading.Event()
    link = InternalLink(config.web_url, config.internal_token, ROLE_SCHEDULER)
    timer = threading.Timer(5.0, stop.set)  # give up if the web tier is down: seats re-check
    timer.start()
    try:
        if link.connect(stop):
            link.emit(ToWeb.TASKS_PLANNED, {"count": count})
    finally:
        timer.cancel()
        link.close()


def parse_at(at: str | None, tz: ZoneInfo) -> datetime:
    """``--at``: an ISO date-time; a naive one is read in the store's time zone."""
    if at is None:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(at)
    except ValueError:
        raise ValueError(f"--at {at!r} is not an ISO date-time (e.g. 2026-11-19T09:30)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def plan_for_cli(engine: Engine, at: str | None, store_code: str | None, dry_run: bool):
    """``huifang plan``: plan each store (or one), committing unless ``dry_run``; returns the
    tasks created (or that would be) in the shape ``task_summary`` gives."""
    parse_at(at, ZoneInfo("UTC"))  # refuse a malformed --at even when there is no store
    factory = make_session_factory(engine)
    with factory() as s:
        query = select(Store).order_by(Store.code)
        if store_code:
            query = query.where(Store.code == store_code)
        stores = s.scalars(query).all()
        if store_code and not stores:
            raise ValueError(f"no store with code {store_code!r}")
        tasks = []
        for store in stores:
            tz = ZoneInfo(store.timezone)
            now = parse_at(at, tz)
            result = plan_store(s, store, now)
            tasks += [task_summary(t, tz, now) for t in result.tasks]
        if dry_run:
            s.rollback()
        else:
            s.commit()
    return tasks


def report_close_job(now: datetime | None = None) -> dict[str, list[str]]:
    """Daily, after midnight: close each store's previous day (and any missed while down)."""
    config = load_config()
    now = now or datetime.now(UTC)
    engine = make_engine(config.database_url)
    closed: dict[str, list[str]] = {}
    try:
        with session_scope(make_session_factory(engine)) as s:
            for store in s.scalars(select(Store).order_by(Store.code)):
                days = close_missed_days(s, store, now)
                closed[store.code] = [d.isoformat() for d in days]
    finally:
        engine.dispose()
    log.info("closed days %s", closed)
    return closed
