"""The scheduler process plans on start and keeps its job in the database."""

from __future__ import annotations

import time

import sqlalchemy as sa

from storage.db import make_engine, make_session_factory, session_scope
from storage.models import CallTask
from tests import stack
from tests.callcentre import seed_zhang_repair


def wait_until(check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.3)
    raise AssertionError("condition not met in time")


def test_the_scheduler_plans_at_start_and_persists_its_job(tmp_path, sqlite_url):
    seed_zhang_repair(sqlite_url, plan=False)
    env = stack.stack_env(tmp_path, sqlite_url, sipp_port=5999)
    scheduler = stack.start(env, "scheduler", log=tmp_path / "scheduler.log")
    engine = make_engine(sqlite_url)
    sessions = make_session_factory(engine)

    def planned():
        with session_scope(sessions) as s:
            return s.query(CallTask).count()

    try:
        assert wait_until(planned) == 1
        with engine.connect() as conn:
            jobs = conn.execute(sa.text("SELECT id FROM apscheduler_jobs")).scalars().all()
        assert sorted(jobs) == [
            "churn_scan", "drop_folder", "plan", "report_close", "sms_daily", "sms_send"
        ]  # fmt: skip
    finally:
        stack.stop(scheduler)
        engine.dispose()
    assert scheduler.returncode == 0
