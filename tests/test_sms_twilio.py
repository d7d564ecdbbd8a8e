"""Sending through the Twilio mock (Prism with dynamic responses, checking every request
against Twilio's own description) behind the recording proxy, which counts what really reached
the provider: once per recipient, at the configured rate, with backoff on 429s, and never twice
after a crash (kill -9 of the sending process, then a restart)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from dialer.sms.gateway import OutboundSms
from dialer.sms.rate import TokenBucket
from dialer.sms.sender import OutboxSender, SendPolicy
from storage.db import session_scope
from storage.models import SmsOutbox
from storage.sms.codes import State
from storage.sms.outbox import Finding
from tests import sms_seed, stack
from tests.sms_mock import SMS_FROM, sms_env

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def sqlite_sessions(sqlite_url):
    from storage.db import make_engine, make_session_factory

    engine = make_engine(sqlite_url)
    yield make_session_factory(engine)
    engine.dispose()


def _campaign(sessions, n: int, rate: int = 1000) -> tuple[int, int]:
    with session_scope(sessions) as s:
        shop = sms_seed.store(s, rate_per_s=rate)
        c = sms_seed.campaign(s, shop, sms_seed.customers(s, shop, n))
        return shop.id, c.id


def _rows(sessions, campaign_id: int) -> list[SmsOutbox]:
    with session_scope(sessions) as s:
        return list(s.scalars(select(SmsOutbox).where(SmsOutbox.campaign_id == campaign_id)))


def _drain(sessions, gateway, store_id: int, rate: float = 1000.0, **policy) -> OutboxSender:
    sender = OutboxSender(sessions, gateway, TokenBucket(rate), SendPolicy(settle_s=0, **policy))
    sender.run(lambda: [store_id], until=datetime.now(UTC) + timedelta(seconds=120))
    sender.close()
    return sender


def test_each_recipient_gets_one_message_with_its_own_sid_and_body(sqlite_sessions, sms_mock):
    store_id, campaign_id = _campaign(sqlite_sessions, 40)
    _drain(sqlite_sessions, sms_mock.gateway(), store_id)
    stats = sms_mock.record.stats()
    assert (stats["messages"], stats["recipients"], stats["duplicates"]) == (40, 40, 0)
    rows = _rows(sqlite_sessions, campaign_id)
    assert {r.state for r in rows} == {State.SENT}
    sent = {m.to: m for m in sms_mock.record.messages}
    for row in rows:  # what reached Twilio is what the outbox holds, with Twilio's SID
        assert sent[row.phone].body == row.body and sent[row.phone].sid == row.provider_id
        assert sent[row.phone].sender == SMS_FROM
        assert sent[row.phone].status_callback.endswith(f"/sms/hooks/status?o={row.id}")
    assert len({r.provider_id for r in rows}) == 40


def test_the_send_rate_holds_at_the_senders_limit_so_the_provider_never_answers_429(
    sqlite_sessions, sms_mock
):
    store_id, _ = _campaign(sqlite_sessions, 60)
    sms_mock.record.configure(max_rate=21)  # the proxy refuses anything faster than 20/s + 1
    started = time.monotonic()
    _drain(sqlite_sessions, sms_mock.gateway(), store_id, rate=20)
    took = time.monotonic() - started
    stats = sms_mock.record.stats()
    assert stats["rate_429"] == 0 and stats["messages"] == 60
    assert took >= 59 / 20 * 0.95 and stats["rate_per_s"] <= 21


def test_injected_429s_are_backed_off_and_every_message_still_goes_exactly_once(
    sqlite_sessions, sms_mock
):
    store_id, campaign_id = _campaign(sqlite_sessions, 30)
    sms_mock.record.configure(inject_429_every=7)
    sender = _drain(sqlite_sessions, sms_mock.gateway(), store_id, rate=200)
    stats = sms_mock.record.stats()
    assert stats["injected_429"] >= 4 and sender.bucket.backoffs == stats["injected_429"]
    assert (stats["messages"], stats["duplicates"]) == (30, 0)
    rows = _rows(sqlite_sessions, campaign_id)
    assert {r.state for r in rows} == {State.SENT} and max(r.attempts for r in rows) == 1


def test_an_answer_lost_after_twilio_took_the_message_is_found_by_lookup_not_resent(
    sqlite_sessions, sms_mock
):
    store_id, campaign_id = _campaign(sqlite_sessions, 9)
    sms_mock.record.configure(drop_every=3)
    sender = OutboxSender(
        sqlite_sessions, sms_mock.gateway(), TokenBucket(100), SendPolicy(settle_s=0)
    )
    sender.send_batch([store_id])
    assert sum(r.state == State.SENDING for r in _rows(sqlite_sessions, campaign_id)) == 3
    sms_mock.record.configure(drop_every=0)
    assert sender.reconcile() == {"sent": 3}
    sender.close()
    stats = sms_mock.record.stats()
    assert (stats["messages"], stats["duplicates"], stats["lookups"]) == (9, 0, 3)
    rows = _rows(sqlite_sessions, campaign_id)
    assert {r.provider_id for r in rows} == {m.sid for m in sms_mock.record.messages}


def test_the_lookup_tells_a_message_twilio_has_from_one_it_never_got(sms_mock):
    gateway = sms_mock.gateway()
    since = datetime.now(UTC) - timedelta(seconds=1)
    msg = OutboundSms(1, sms_seed.mobile(1), "【姑苏汽车】您好", "1:1:x")
    assert gateway.look_up(msg, since).finding is Finding.ABSENT
    sent = gateway.send(msg)
    found = gateway.look_up(msg, since)
    assert (found.finding, found.provider_id) == (Finding.FOUND, sent.provider_id)
    other = OutboundSms(2, sms_seed.mobile(1), "【姑苏汽车】另一条", "2:1:x")
    assert gateway.look_up(other, since).finding is Finding.ABSENT


def test_the_lookup_that_cannot_reach_twilio_decides_nothing():
    from dialer.sms.twilio import TwilioSms
    from tests.sms_mock import sms_settings

    gateway = TwilioSms(sms_settings(f"http://127.0.0.1:{stack.free_port()}"))
    msg = OutboundSms(1, sms_seed.mobile(1), "x", "k")
    assert gateway.look_up(msg, datetime.now(UTC)).finding is Finding.UNREACHABLE
    gateway.close()


def _sender_process(sqlite_url, proxy_url, tmp_path, name) -> subprocess.Popen:
    env = os.environ | sms_env(proxy_url) | {
        "HUIFANG_DATABASE_URL": sqlite_url, "HUIFANG_INSTANCE": str(tmp_path / "instance"),
        "HUIFANG_SECRET_KEY": "k", "HUIFANG_INTERNAL_TOKEN": "t",
    }  # fmt: skip
    with (tmp_path / f"{name}.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "schedulers.sms", "--until-done", "--settle-s", "0"],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=stack.ROOT,
        )  # fmt: skip


def test_a_sender_killed_mid_campaign_and_restarted_sends_nobody_two_and_loses_nobody(
    sqlite_url, sqlite_sessions, sms_mock, tmp_path
):
    store_id, campaign_id = _campaign(sqlite_sessions, 300, rate=100)
    first = _sender_process(sqlite_url, sms_mock.url, tmp_path, "first")
    deadline = time.monotonic() + 60
    while sms_mock.record.stats()["messages"] < 120 and time.monotonic() < deadline:
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    before = sms_mock.record.stats()["messages"]
    assert 0 < before < 300
    left = {r.state for r in _rows(sqlite_sessions, campaign_id)}
    assert State.SENDING in left or State.QUEUED in left
    second = _sender_process(sqlite_url, sms_mock.url, tmp_path, "second")
    assert second.wait(120) == 0, (tmp_path / "second.log").read_text()
    stats = sms_mock.record.stats()
    assert (stats["messages"], stats["recipients"], stats["duplicates"]) == (300, 300, 0)
    rows = _rows(sqlite_sessions, campaign_id)
    assert {r.state for r in rows} == {State.SENT}
    assert {r.provider_id for r in rows} == {m.sid for m in sms_mock.record.messages}
