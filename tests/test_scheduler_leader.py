"""One active scheduler at a time, through a lease in the database; a run missed while no
scheduler was up happens once when one starts."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler

from schedulers.runner import (
    JOBS,
    PLAN_JOB_ID,
    JobSpec,
    build_scheduler,
    cron,
    register_jobs,
    stop_scheduler,
)
from storage import lease
from storage.config import Config, load_config
from storage.db import make_engine, make_session_factory, session_scope
from storage.models import SchedulerLease
from tests import stack

TTL = timedelta(seconds=30)
T0 = datetime(2026, 11, 19, 2, 0, tzinfo=UTC)
LEASE_S = 3  # the processes' lease: a takeover within 2 * LEASE_S


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


# The lease: compare-and-set on both databases


def test_a_free_lease_goes_to_the_first_scheduler_and_not_to_the_second(engine):
    assert lease.try_acquire(engine, "scheduler", "alpha", TTL, T0)
    assert not lease.try_acquire(engine, "scheduler", "beta", TTL, T0 + timedelta(seconds=1))
    assert lease.try_acquire(engine, "reports", "beta", TTL, T0)  # another name, another lease


def test_the_holder_takes_its_own_lease_again_and_keeps_its_term(engine):
    lease.try_acquire(engine, "scheduler", "alpha", TTL, T0)
    assert lease.try_acquire(engine, "scheduler", "alpha", TTL, T0 + timedelta(seconds=10))
    row = held(engine)
    assert (row.acquired_at, row.expires_at) == (T0, T0 + timedelta(seconds=40))


def test_an_expired_lease_is_taken_over_and_its_old_holder_cannot_renew_it(engine):
    lease.try_acquire(engine, "scheduler", "alpha", TTL, T0)
    assert not lease.try_acquire(engine, "scheduler", "beta", TTL, T0 + timedelta(seconds=29))
    assert lease.try_acquire(engine, "scheduler", "beta", TTL, T0 + timedelta(seconds=30))
    assert not lease.renew(engine, "scheduler", "alpha", TTL, T0 + timedelta(seconds=31))
    row = held(engine)
    assert (row.holder, row.acquired_at) == ("beta", T0 + timedelta(seconds=30))


def test_renewing_in_time_keeps_the_lease_from_others_and_renewing_late_fails(engine):
    lease.try_acquire(engine, "scheduler", "alpha", TTL, T0)
    assert lease.renew(engine, "scheduler", "alpha", TTL, T0 + timedelta(seconds=20))
    assert not lease.try_acquire(engine, "scheduler", "beta", TTL, T0 + timedelta(seconds=45))
    assert held(engine).renewed_at == T0 + timedelta(seconds=20)
    assert not lease.renew(engine, "scheduler", "alpha", TTL, T0 + timedelta(seconds=50))


def test_a_released_lease_is_free_at_once_and_only_its_holder_releases_it(engine):
    lease.try_acquire(engine, "scheduler", "alpha", TTL, T0)
    assert not lease.release(engine, "scheduler", "beta", T0 + timedelta(seconds=1))
    assert lease.release(engine, "scheduler", "alpha", T0 + timedelta(seconds=2))
    assert lease.try_acquire(engine, "scheduler", "beta", TTL, T0 + timedelta(seconds=2))


def test_of_eight_schedulers_racing_for_a_new_lease_one_wins(engine):
    start = threading.Barrier(8)
    won: list[str] = []

    def race(holder: str) -> None:
        start.wait()
        if lease.try_acquire(engine, "scheduler", holder, TTL, T0):
            won.append(holder)

    threads = [threading.Thread(target=race, args=(f"s{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1
    assert held(engine).holder == won[0]


def test_a_holder_names_its_host_and_process():
    host, pid, tag = lease.new_holder().rsplit(":", 2)
    assert host and int(pid) > 0 and len(tag) == 8


# Registering jobs: the job store's next run times survive restarts


def nightly_job() -> None:
    """A stand-in for a nightly job (never run: the scheduler stays paused)."""


@pytest.fixture
def paused(tmp_path, sqlite_url):
    """A scheduler on a migrated SQLite job store, started paused, and its config."""
    config = Config(tmp_path, sqlite_url, "secret", "token", plan_interval_min=5)
    scheduler = build_scheduler(config)
    scheduler.start(paused=True)
    yield scheduler, config
    stop_scheduler(scheduler)


NIGHTLY = JobSpec("nightly", f"{__name__}:nightly_job", cron(hour=2, minute=30))


def next_run(scheduler: BackgroundScheduler, job_id: str) -> datetime | None:
    job = scheduler.get_job(job_id)
    return job.next_run_time


def test_a_new_plan_job_runs_at_once_and_a_new_cron_job_on_its_schedule(paused):
    scheduler, config = paused
    register_jobs(scheduler, config, (*JOBS, NIGHTLY), now=T0)  # 10:00 in Shanghai
    assert next_run(scheduler, PLAN_JOB_ID) == T0
    assert next_run(scheduler, "nightly") == datetime(2026, 11, 19, 18, 30, tzinfo=UTC)


def test_a_restart_keeps_the_next_run_time_instead_of_running_again(paused):
    scheduler, config = paused
    register_jobs(scheduler, config, now=T0)
    scheduler.modify_job(PLAN_JOB_ID, next_run_time=T0 + timedelta(minutes=5))  # it ran at T0
    register_jobs(scheduler, config, now=T0 + timedelta(minutes=2))
    assert next_run(scheduler, PLAN_JOB_ID) == T0 + timedelta(minutes=5)


def test_a_run_missed_during_downtime_stays_due_so_it_is_caught_up(paused):
    scheduler, config = paused
    register_jobs(scheduler, config, (*JOBS, NIGHTLY), now=T0)
    scheduler.modify_job("nightly", next_run_time=T0 - timedelta(days=3))
    register_jobs(scheduler, config, (*JOBS, NIGHTLY), now=T0)
    assert next_run(scheduler, "nightly") == T0 - timedelta(days=3)
    assert scheduler.get_job("nightly").coalesce  # three missed nights: one run
    assert scheduler.get_job("nightly").misfire_grace_time is None  # however late


def test_a_shorter_plan_interval_brings_the_next_run_forward(paused):
    scheduler, config = paused
    now = datetime.now(UTC)  # an interval's first run counts from the clock, not from `now`
    register_jobs(scheduler, config.with_(plan_interval_min=60), now=now)
    scheduler.modify_job(PLAN_JOB_ID, next_run_time=now + timedelta(minutes=55))
    register_jobs(scheduler, config.with_(plan_interval_min=5), now=now)
    assert next_run(scheduler, PLAN_JOB_ID) - now < timedelta(minutes=6)


def test_a_job_paused_by_an_operator_stays_paused(paused):
    scheduler, config = paused
    register_jobs(scheduler, config, now=T0)
    scheduler.pause_job(PLAN_JOB_ID)
    register_jobs(scheduler, config, now=T0 + timedelta(minutes=10))
    assert next_run(scheduler, PLAN_JOB_ID) is None


# Real `huifang scheduler` processes on one database


def scheduler_env(tmp_path: Path, url: str) -> dict[str, str]:
    return stack.stack_env(
        tmp_path,
        url,
        sipp_port=5999,
        HUIFANG_SCHEDULER_LEASE_S=str(LEASE_S),
        HUIFANG_PLAN_INTERVAL_MIN="1",
    )


def wait_until(check, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def held(engine: sa.Engine) -> SchedulerLease:
    with session_scope(make_session_factory(engine)) as s:
        row = s.get(SchedulerLease, "scheduler")
        assert row is not None
        return row


def holder_pid(engine: sa.Engine) -> int | None:
    with session_scope(make_session_factory(engine)) as s:
        row = s.get(SchedulerLease, "scheduler")
        return int(row.holder.split(":")[-2]) if row else None


def plan_runs(*logs: Path) -> int:
    return sum(log.read_text().count('Running job "plan_job') for log in logs if log.exists())


def test_two_schedulers_elect_one_leader_and_the_other_takes_over_when_it_is_killed(
    tmp_path, db_url
):
    env = scheduler_env(tmp_path, db_url)
    logs = {}
    procs = {}
    for name in ("first", "second"):
        logs[name] = tmp_path / f"{name}.log"
        proc = stack.start(env, "scheduler", log=logs[name])
        procs[proc.pid] = name, proc
    engine = make_engine(db_url)
    try:
        leader_name, leader = procs[wait_until(lambda: holder_pid(engine))]
        other_name, other = next(p for p in procs.values() if p[1] is not leader)
        wait_until(lambda: "scheduler: standby" in logs[other_name].read_text())
        time.sleep(LEASE_S)  # a whole lease term: the leader renews, the other waits
        assert holder_pid(engine) == leader.pid
        assert "scheduler: leader" not in logs[other_name].read_text()
        assert plan_runs(*logs.values()) == 1

        leader.kill()  # kill -9: no release, the lease must expire
        leader.wait()
        killed = time.monotonic()
        wait_until(lambda: holder_pid(engine) == other.pid, timeout=2 * LEASE_S + 1)
        assert time.monotonic() - killed < 2 * LEASE_S
        wait_until(lambda: "Resumed scheduler job processing" in logs[other_name].read_text())
        time.sleep(0.5)  # a plan reset to "now" would have started by then
        assert plan_runs(*logs.values()) == 1  # the plan keeps its schedule across a takeover
    finally:
        stack.stop(*(proc for _, proc in procs.values()))
    assert other.returncode == 0
    assert held(engine).expires_at <= datetime.now(UTC)  # released on a clean stop
    engine.dispose()


def test_a_leader_whose_lease_is_taken_stops_its_jobs_and_stands_by(tmp_path, sqlite_url):
    log = tmp_path / "scheduler.log"
    proc = stack.start(scheduler_env(tmp_path, sqlite_url), "scheduler", log=log)
    engine = make_engine(sqlite_url)
    try:
        wait_until(lambda: holder_pid(engine) == proc.pid)
        with engine.begin() as conn:  # as if its renewals had stalled and another had taken it
            conn.execute(
                sa.update(SchedulerLease).values(
                    holder="elsewhere:1:cafe0000", expires_at=datetime.now(UTC) + TTL
                )
            )
        wait_until(lambda: "Scheduler has been shut down" in log.read_text(), timeout=LEASE_S)
        assert "scheduler: standby (no longer the leader)" in log.read_text()
    finally:
        stack.stop(proc)
    assert proc.returncode == 0
    assert held(engine).holder == "elsewhere:1:cafe0000"  # not released: it is not ours
    engine.dispose()


def test_a_plan_missed_during_downtime_runs_once_when_the_scheduler_starts(tmp_path, sqlite_url):
    env = scheduler_env(tmp_path, sqlite_url)
    before, after = tmp_path / "before.log", tmp_path / "after.log"
    proc = stack.start(env, "scheduler", log=before)
    try:
        wait_until(lambda: plan_runs(before) == 1)
    finally:
        stack.stop(proc)
    move_plan_back(load_config(env), timedelta(minutes=10))  # ten runs missed

    proc = stack.start(env, "scheduler", log=after)
    try:
        wait_until(lambda: plan_runs(after) >= 1)
        time.sleep(1.5)  # time for more runs, were they not coalesced
    finally:
        stack.stop(proc)
    assert plan_runs(after) == 1
    assert "was missed by" not in after.read_text()
    assert plan_next_run(load_config(env)) > datetime.now(UTC)  # back on its schedule


def move_plan_back(config: Config, by: timedelta) -> None:
    scheduler = build_scheduler(config)
    scheduler.start(paused=True)
    try:
        job = scheduler.get_job(PLAN_JOB_ID)
        scheduler.modify_job(PLAN_JOB_ID, next_run_time=job.next_run_time - by)
    finally:
        stop_scheduler(scheduler)  # a plain shutdown would move the due job on


def plan_next_run(config: Config) -> datetime:
    scheduler = build_scheduler(config)
    scheduler.start(paused=True)
    try:
        return scheduler.get_job(PLAN_JOB_ID).next_run_time
    finally:
        stop_scheduler(scheduler)
