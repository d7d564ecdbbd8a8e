"""The scheduler process: APScheduler with a persistent job store in the database."""

from __future__ import annotations

import threading
from datetime import datetime

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from storage.config import Config
from storage.db import make_engine

PLAN_JOB_ID = "plan"
DROP_FOLDER_JOB_ID = "drop_folder"


def build_scheduler(config: Config) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=make_engine(config.database_url))},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        timezone=config.tz,
    )
    scheduler.add_job(
        "schedulers.jobs:plan_job",
        "interval",
        minutes=config.plan_interval_min,
        id=PLAN_JOB_ID,
        replace_existing=True,
        next_run_time=datetime.now(config.tz),
    )
    scheduler.add_job(
        "schedulers.jobs:drop_folder_job",
        "interval",
        minutes=config.plan_interval_min,
        id=DROP_FOLDER_JOB_ID,
        replace_existing=True,
        next_run_time=datetime.now(config.tz),
    )
    return scheduler


def run_scheduler(config: Config, stop: threading.Event) -> None:
    scheduler = build_scheduler(config)
    scheduler.start()
    try:
        stop.wait()
    finally:
        scheduler.shutdown(wait=True)
