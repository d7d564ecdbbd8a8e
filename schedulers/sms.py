"""The SMS jobs: every minute, start the campaigns whose time came and send inside each store's
allowed hours (``sms.send_window``) at the sender's rate (``sms.rate_per_s``, the lowest of the
stores sharing the sender); settle what a crash left ``sending`` first. Each run stops after
``RUN_FOR`` so that a scheduler that lost its lease stops sending within a minute."""

from __future__ import annotations

import logging
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dialer.sms.gateway import SmsGateway
from dialer.sms.rate import Buckets
from dialer.sms.sender import MIN_SETTLE_S, OutboxSender, SendPolicy
from dialer.sms.wiring import gateway_for
from storage.config import Config, load_config
from storage.db import make_engine, make_session_factory, session_scope
from storage.models import Store
from storage.settings import StoreSettings, load_all
from storage.sms import campaigns

log = logging.getLogger("huifang.scheduler")
RUN_FOR = timedelta(seconds=50)
DEFAULT_POLICY = SendPolicy()
BUCKETS = Buckets()  # one per sender, kept across runs so that the pace holds between them


def in_window(settings: StoreSettings, tz: str, now: datetime) -> bool:
    local = now.astimezone(ZoneInfo(tz)).time()
    return any(start <= local < end for start, end in settings.windows("sms.send_window"))


def open_stores(session: Session, now: datetime) -> tuple[list[int], int]:
    """The stores inside their SMS hours now, and the sending rate they allow together."""
    stores = {s.id: s.timezone for s in session.scalars(select(Store))}
    settings = load_all(session, stores)
    rate = min((settings[i].number("sms.rate_per_s") for i in stores), default=1)
    return [i for i, tz in stores.items() if in_window(settings[i], tz, now)], rate


def send_due(
    sessions: sessionmaker[Session],
    gateway: SmsGateway,
    now: datetime | None = None,
    run_for: timedelta = RUN_FOR,
    policy: SendPolicy = DEFAULT_POLICY,
    redis_url: str | None = None,
) -> Counter[str]:
    """Start the due campaigns and send for ``run_for``. With ``redis_url`` the sender's rate is
    shared by every process sending through it (dialer/sms/rate.py)."""
    now = now or datetime.now(UTC)
    with session_scope(sessions) as s:
        started = campaigns.start_due(s, now)
        _, rate = open_stores(s, now)
    if started:
        log.info("SMS: campaigns %s start sending", started)

    def stores_open() -> list[int]:
        with session_scope(sessions) as s:
            return open_stores(s, datetime.now(UTC))[0]

    bucket = BUCKETS.for_sender(gateway.sender, rate, redis_url)
    sender = OutboxSender(sessions, gateway, bucket, policy)
    try:
        done = sender.run(stores_open, until=now + run_for)
    finally:
        sender.close()
    with session_scope(sessions) as s:
        finished = campaigns.finish_done(s, datetime.now(UTC))
    if finished:
        log.info("SMS: campaigns %s are done", finished)
    return done


def sms_send_job() -> dict[str, int]:
    """The APScheduler job (every minute)."""
    config: Config = load_config()
    gateway = gateway_for(config)
    if gateway is None:
        return {}
    engine = make_engine(config.database_url)
    try:
        done = send_due(make_session_factory(engine), gateway, redis_url=config.redis_url)
    finally:
        gateway.close()
        engine.dispose()
    if done:
        log.info("SMS: %s", dict(done))
    return dict(done)


def sms_daily_job() -> dict[str, int]:
    """Daily: today's birthday and holiday greetings and reminders (schedulers/sms_daily.py)."""
    from schedulers.sms_daily import sms_daily_job as job

    return job()


def pending(sessions: sessionmaker[Session]) -> int:
    """Messages of sending campaigns still queued or in flight."""
    from sqlalchemy import func

    from storage.models import SmsCampaign, SmsOutbox
    from storage.sms.codes import CampaignState, State

    with session_scope(sessions) as s:
        return (
            s.scalar(
                select(func.count())
                .select_from(SmsOutbox)
                .join(SmsCampaign, SmsCampaign.id == SmsOutbox.campaign_id)
                .where(
                    SmsCampaign.state.in_((CampaignState.APPROVED, CampaignState.SENDING)),
                    SmsOutbox.state.in_((State.QUEUED, State.SENDING)),
                )
            )
            or 0
        )


def main(argv: list[str] | None = None) -> int:
    """``python -m schedulers.sms [--until-done] [--settle-s S]``: what the job does, from a
    shell (an operator draining a campaign now; the benchmark and the crash tests). Several
    may run at once: with ``HUIFANG_REDIS_URL`` they share the sender's rate; ``--settle-s``
    is then at least MIN_SETTLE_S (0 only when no other sender runs: dialer/sms/sender.py)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m schedulers.sms")
    parser.add_argument("--until-done", action="store_true", help="run until nothing is left")
    parser.add_argument("--settle-s", type=float, default=DEFAULT_POLICY.settle_s)
    parser.add_argument("--workers", type=int, default=DEFAULT_POLICY.workers)
    args = parser.parse_args(argv)
    if 0 < args.settle_s < MIN_SETTLE_S:
        parser.error(f"--settle-s is 0 (no other sender runs) or at least {MIN_SETTLE_S:g}: a "
                     "live sender's row must never look left by a gone one")  # fmt: skip
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)  # every request's headers
    config = load_config()
    gateway = gateway_for(config)
    if gateway is None:
        print("HUIFANG_SMS is off: nothing to send with", flush=True)
        return 2
    policy = SendPolicy(workers=args.workers, settle_s=args.settle_s)
    engine = make_engine(config.database_url)
    sessions = make_session_factory(engine)
    try:
        while True:
            done = send_due(sessions, gateway, policy=policy, redis_url=config.redis_url)
            print(f"sms: {dict(done)}", flush=True)
            if not args.until_done or not pending(sessions):
                return 0
            if not done:  # what is left waits for its time or its window
                time.sleep(1.0)
    finally:
        gateway.close()
        engine.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
