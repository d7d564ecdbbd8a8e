"""The scheduler process: APScheduler with a persistent job store in the database.

Several ``huifang scheduler`` processes may run (on several machines): the one holding the
``scheduler`` lease in the database leads and runs the jobs, the others stand by and take over
when the leader stops renewing it (it died, or lost the database). A job keeps its next run
time across restarts and takeovers, so a run missed while no scheduler was up happens once, at
start.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from storage import lease
from storage.config import Config
from storage.db import make_engine
from storage.models import utcnow

log = logging.getLogger("huifang.scheduler")

LEASE = "scheduler"
STANDBY_POLL_S = 5.0  # at most; a short lease polls every third of it
PLAN_JOB_ID = "plan"
DROP_FOLDER_JOB_ID = "drop_folder"

TriggerFor = Callable[[Config], BaseTrigger]


def every_plan_interval(config: Config) -> BaseTrigger:
    return IntervalTrigger(minutes=config.plan_interval_min, timezone=config.tz)


def cron(**fields: int | str) -> TriggerFor:
    """A cron schedule in the scheduler's time zone: ``cron(hour=2, minute=30)`` is nightly."""
    return lambda config: CronTrigger(timezone=config.tz, **fields)


@dataclass(frozen=True)
class JobSpec:
    id: str  # its key in the job store: renaming it makes a new job
    func: str  # "module:function", a module-level job (see schedulers/jobs.py)
    trigger: TriggerFor
    run_when_new: bool = False  # the first time it is registered: run at once, else on schedule


# Every scheduled job, one row each: a new job is one more row, for instance
#     JobSpec("churn_scan", "schedulers.jobs:churn_scan_job", cron(hour=2, minute=30)),
# fmt: off
JOBS: tuple[JobSpec, ...] = (
    #       id                  function                           schedule             run when new
    JobSpec(PLAN_JOB_ID,        "schedulers.jobs:plan_job",        every_plan_interval, True),
    JobSpec(DROP_FOLDER_JOB_ID, "schedulers.jobs:drop_folder_job", every_plan_interval, True),
    JobSpec("churn_scan",       "schedulers.jobs:churn_scan_job",  cron(hour=2, minute=30), True),
    JobSpec("report_close",     "schedulers.jobs:report_close_job", cron(hour=0, minute=20), True),
    JobSpec("sms_send",         "schedulers.sms:sms_send_job",     cron(second=0),      True),
    JobSpec("sms_daily",        "schedulers.sms:sms_daily_job",    cron(hour=7, minute=30), True),
)
# fmt: on


def build_scheduler(config: Config) -> BackgroundScheduler:
    """A scheduler on the database's job store, not started. A missed run is run late however
    late (misfire_grace_time None), and several missed runs of a job are run once (coalesce)."""
    return BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=make_engine(config.database_url))},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        timezone=config.tz,
    )


def start_scheduler(config: Config, jobs: Iterable[JobSpec] = JOBS) -> BackgroundScheduler:
    """Build the scheduler, register ``jobs`` while it is paused, then let it run."""
    scheduler = build_scheduler(config)
    scheduler.start(paused=True)
    try:
        register_jobs(scheduler, config, jobs)
    except BaseException:
        stop_scheduler(scheduler, wait=False)
        raise
    scheduler.resume()
    return scheduler


def stop_scheduler(scheduler: BackgroundScheduler, wait: bool = True) -> None:
    """Shut down, letting running jobs finish if ``wait``. The job store goes first: once
    stopped, APScheduler still takes one last look at it, fails to submit what is due and moves
    it to its next run time, which would lose a run missed during downtime."""
    scheduler.remove_jobstore("default")
    scheduler.shutdown(wait=wait)


def register_jobs(
    scheduler: BackgroundScheduler,
    config: Config,
    jobs: Iterable[JobSpec] = JOBS,
    now: datetime | None = None,
) -> None:
    """Add or update each job in a started (paused) scheduler, keeping what the job store
    remembers of when it runs next."""
    now = now or datetime.now(config.tz)
    for spec in jobs:
        trigger = spec.trigger(config)
        scheduler.add_job(
            spec.func,
            trigger,
            id=spec.id,
            replace_existing=True,
            next_run_time=next_run_time(spec, persisted(scheduler, spec.id), trigger, now),
        )


def persisted(scheduler: BackgroundScheduler, job_id: str) -> Job | None:
    try:
        return scheduler.get_job(job_id)
    except LookupError:  # its function is gone (renamed): the job is registered anew
        log.warning("scheduler: job %s refers to a function that is gone; replacing it", job_id)
        return None


def next_run_time(
    spec: JobSpec, job: Job | None, trigger: BaseTrigger, now: datetime
) -> datetime | None:
    """A new job runs now or on schedule; a persisted one keeps its next run time, even long
    past (then it runs once, at start), unless its new schedule comes sooner; a paused one
    (None) stays paused."""
    scheduled = trigger.get_next_fire_time(None, now)
    if job is None:
        return now if spec.run_when_new else scheduled
    if job.next_run_time is None or scheduled is None:
        return job.next_run_time
    return min(job.next_run_time, scheduled)


class Claim:
    """This process's hold on the scheduler lease, with the time it is safe to lead until."""

    def __init__(self, engine: Engine, ttl: timedelta) -> None:
        self.engine = engine
        self.ttl = ttl
        self.holder = lease.new_holder()
        self.expires: datetime | None = None  # None: not ours

    @property
    def deadline(self) -> datetime:
        """Stop leading a little before the lease expires: clocks may differ a little."""
        assert self.expires is not None
        return self.expires - self.ttl / 6

    def acquire(self) -> bool:
        now = utcnow()
        try:
            won = lease.try_acquire(self.engine, LEASE, self.holder, self.ttl, now)
        except SQLAlchemyError as exc:
            log.warning("scheduler: cannot take the lease: %s", first_line(exc))
            return False
        self.expires = now + self.ttl if won else None
        return won

    def renew(self) -> bool:
        """True while the lease is ours: renewed, or not renewed yet and not about to expire."""
        now = utcnow()
        try:
            if lease.renew(self.engine, LEASE, self.holder, self.ttl, now):
                self.expires = now + self.ttl
                return True
            log.warning("scheduler: the lease was lost")
        except SQLAlchemyError as exc:
            log.warning("scheduler: cannot renew the lease: %s", first_line(exc))
            if now < self.deadline:
                return True
        self.expires = None
        return False

    def release(self) -> None:
        if self.expires is None:
            return
        try:
            lease.release(self.engine, LEASE, self.holder, utcnow())
        except SQLAlchemyError as exc:  # it expires by itself
            log.warning("scheduler: cannot release the lease: %s", first_line(exc))
        self.expires = None


class Watchdog:
    """Pauses the jobs when the lease's deadline passes without a renewal (a database call that
    hangs rather than fails), so that no job starts once another process may lead."""

    def __init__(self, scheduler: BackgroundScheduler) -> None:
        self.scheduler = scheduler
        self.timer: threading.Timer | None = None

    def arm(self, deadline: datetime) -> None:
        self.cancel()
        self.timer = threading.Timer(max(0.0, (deadline - utcnow()).total_seconds()), self.fire)
        self.timer.daemon = True
        self.timer.start()
        with suppress(SchedulerNotRunningError):
            self.scheduler.resume()  # renewed after all

    def cancel(self) -> None:
        if self.timer:
            self.timer.cancel()

    def fire(self) -> None:
        log.warning("scheduler: the lease is about to expire unrenewed; jobs paused")
        with suppress(SchedulerNotRunningError):
            self.scheduler.pause()


def run_scheduler(config: Config, stop: threading.Event) -> None:
    """Stand by until this process holds the lease, lead while it renews it, stand by again
    when it is lost; on ``stop``, let running jobs finish and give the lease up."""
    engine = make_engine(config.database_url)
    claim = Claim(engine, timedelta(seconds=config.scheduler_lease_s))
    try:
        while not stop.is_set() and stand_by(claim, stop):
            try:
                lead(config, claim, stop)
            except SQLAlchemyError as exc:
                log.warning("scheduler: standby after a database error: %s", first_line(exc))
                stop.wait(poll_s(claim))
    finally:
        claim.release()
        engine.dispose()


def stand_by(claim: Claim, stop: threading.Event) -> bool:
    """Wait until this process holds the lease (True), or until ``stop`` (False)."""
    if claim.acquire():
        return True
    log.info("scheduler: standby (another scheduler holds the lease)")
    while not stop.wait(poll_s(claim)):
        if claim.acquire():
            return True
    return False


def lead(config: Config, claim: Claim, stop: threading.Event) -> None:
    """Run the jobs while the lease is ours; return at once when it is lost, or on ``stop``."""
    log.info("scheduler: leader (%s)", claim.holder)
    scheduler = start_scheduler(config)
    watchdog = Watchdog(scheduler)
    try:
        watchdog.arm(claim.deadline)
        while not stop.wait(claim.ttl.total_seconds() / 3):
            if not claim.renew():
                log.warning("scheduler: standby (no longer the leader)")
                return
            watchdog.arm(claim.deadline)
    finally:
        watchdog.cancel()
        stop_scheduler(scheduler, wait=stop.is_set())  # lost: at once, a running job goes on


def poll_s(claim: Claim) -> float:
    return min(STANDBY_POLL_S, claim.ttl.total_seconds() / 3)


def first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
