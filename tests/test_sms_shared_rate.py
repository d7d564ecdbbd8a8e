"""Several SMS sending processes share one sender's rate through Redis (HUIFANG_REDIS_URL):
together they keep to it, a 429 holds them all back, and a sender killed among them loses and
doubles nothing. Real Redis at 127.0.0.1:6379 (skipped with a message when absent), real
processes, messages counted at the recording proxy in front of the Prism mock."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from dialer.shared_rate import SharedSlots, redis_client
from dialer.sms.rate import REDIS_KEY, UNDER_THE_LIMIT, Buckets, SharedBucket, TokenBucket
from dialer.sms.sender import MIN_SETTLE_S, OutboxSender, SendPolicy
from storage.db import session_scope
from storage.models import SmsOutbox
from storage.sms.codes import State
from tests import sms_seed, stack
from tests.rate_processes import REDIS_URL, local_redis, moments_of, most_in_one_second
from tests.sms_fake import ScriptedGateway
from tests.sms_mock import sms_env

pytestmark = pytest.mark.timeout(180)
RATE = 20  # the sender's messages per second
PROCESSES, SENDS_EACH = 3, 15

# One sending process's pace: it takes SENDS_EACH turns of the sender's rate and prints when
# (wall clock, comparable between processes) as JSON.
TAKER = """
import json, sys, time
from dialer.sms.rate import Buckets

sender, rate, redis_url, sends, start_at = sys.argv[1:6]
bucket = Buckets().for_sender(sender, float(rate), redis_url or None)
time.sleep(max(0.0, float(start_at) - time.time()))  # all processes start together
moments = []
for _ in range(int(sends)):
    bucket.acquire()
    moments.append(time.time())
print(json.dumps(moments))
"""


@pytest.fixture
def redis_server():
    client = local_redis("the SMS senders' shared rate is untested")
    yield client
    client.close()


def a_sender() -> str:
    """A sender number of the test's own (its own key in Redis)."""
    return f"+86512{secrets.randbelow(10**8):08d}"


def turns_of_processes(redis_url: str | None) -> list[float]:
    args = [a_sender(), str(RATE), redis_url or "", str(SENDS_EACH), f"{time.time() + 2:.3f}"]
    return moments_of(TAKER, args, PROCESSES)


def test_sending_processes_sharing_redis_keep_to_one_senders_rate_together(redis_server):
    moments = turns_of_processes(REDIS_URL)
    assert len(moments) == PROCESSES * SENDS_EACH
    # evenly spaced at 97% of the rate: about the rate in any second (one more when a process
    # wakes late), however many processes; together as long as one process alone would take
    assert most_in_one_second(moments) <= RATE + 1
    assert moments[-1] - moments[0] >= (len(moments) - 1) / (RATE * UNDER_THE_LIMIT) - 0.25


def test_without_redis_each_sending_process_keeps_only_its_own_pace():
    """Why Redis is needed with several processes: their own buckets add up."""
    assert most_in_one_second(turns_of_processes(None)) > RATE * 2


def test_a_429_in_one_process_holds_the_others_back_for_the_pause(redis_server):
    key = REDIS_KEY.format(sender=a_sender())
    anna = SharedBucket(SharedSlots(redis_client(REDIS_URL), key, 100))
    bert = SharedBucket(SharedSlots(redis_client(REDIS_URL), key, 100))  # another process
    bert.acquire()
    pause = anna.back_off()
    started = time.monotonic()
    bert.acquire()  # its reserved slots are past or next; the one after waits for the pause
    for _ in range(bert.ahead):
        bert.acquire()
    assert pause == 1.0 and time.monotonic() - started >= 0.9


def test_slots_reserved_and_left_unused_never_go_out_in_a_burst(redis_server):
    bucket = SharedBucket(
        SharedSlots(redis_client(REDIS_URL), REDIS_KEY.format(sender=a_sender()), 1000)
    )
    assert bucket.ahead == 10
    bucket.acquire()  # reserves 10 ms of slots, uses one
    time.sleep(0.2)  # the other nine have gone by
    started = time.monotonic()
    for _ in range(10):
        bucket.acquire()
    assert time.monotonic() - started >= 0.008  # 1 ms apart, not nine at once


def test_the_buckets_are_shared_with_a_redis_url_and_the_processs_own_without():
    assert isinstance(Buckets().for_sender("+8651268008001", 10), TokenBucket)
    assert isinstance(Buckets().for_sender("+8651268008001", 10, REDIS_URL), SharedBucket)


def test_an_unreachable_redis_puts_the_message_back_unsent_and_uncounted(sessions):
    with session_scope(sessions) as s:
        shop = sms_seed.store(s)
        sms_seed.campaign(s, shop, sms_seed.customers(s, shop, 2))
    slept: list[float] = []
    unreachable = SharedSlots(redis_client("redis://127.0.0.1:1/0"), "k", 10, sleep=slept.append)
    gateway = ScriptedGateway()
    sender = OutboxSender(sessions, gateway, SharedBucket(unreachable), SendPolicy(workers=1))
    assert sender.send_batch([shop.id]) == {"not_taken": 2}
    sender.close()
    assert gateway.sent == [] and slept == [0.5, 1.0, 2.0] * 2
    with session_scope(sessions) as s:
        rows = s.scalars(select(SmsOutbox)).all()
        assert {(r.state, r.attempts) for r in rows} == {(State.QUEUED, 0)}


# ---------- real sending processes ----------


def _sender_process(sqlite_url, proxy_url, tmp_path, name, sms_from) -> subprocess.Popen:
    env = os.environ | sms_env(proxy_url) | {
        "HUIFANG_DATABASE_URL": sqlite_url, "HUIFANG_INSTANCE": str(tmp_path / "instance"),
        "HUIFANG_SECRET_KEY": "k", "HUIFANG_INTERNAL_TOKEN": "t", "HUIFANG_REDIS_URL": REDIS_URL,
        "TWILIO_SMS_FROM": sms_from,
    }  # fmt: skip
    with (tmp_path / f"{name}.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "schedulers.sms", "--until-done",
             "--settle-s", str(MIN_SETTLE_S), "--workers", "4"],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=stack.ROOT,
        )  # fmt: skip


def test_two_senders_one_killed_mid_campaign_send_everyone_once_within_the_rate(
    redis_server, sqlite_url, sms_mock, tmp_path
):
    """Two sending processes share the rate (the proxy answers 429 to anything over it); one is
    killed with kill -9 in the middle and not restarted: the other settles what it left once
    stale (MIN_SETTLE_S) and nobody gets two messages or none."""
    from storage.db import make_engine, make_session_factory

    n, rate = 240, 30
    engine = make_engine(sqlite_url)
    sessions = make_session_factory(engine)
    with session_scope(sessions) as s:
        shop = sms_seed.store(s, rate_per_s=rate)
        campaign_id = sms_seed.campaign(s, shop, sms_seed.customers(s, shop, n)).id
    sms_mock.record.configure(max_rate=rate * 1.1 + 1)
    sms_from = a_sender()
    anna, bert = (_sender_process(sqlite_url, sms_mock.url, tmp_path, p, sms_from) for p in "ab")
    deadline = time.monotonic() + 60
    while sms_mock.record.stats()["messages"] < n // 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    anna.send_signal(signal.SIGKILL)
    anna.wait(10)
    assert 0 < sms_mock.record.stats()["messages"] < n
    assert bert.wait(150) == 0, (tmp_path / "b.log").read_text()
    stats = sms_mock.record.stats()
    assert (stats["messages"], stats["recipients"], stats["duplicates"]) == (n, n, 0)
    assert stats["rate_429"] == 0  # together they never went over the sender's rate
    with session_scope(sessions) as s:
        rows = s.scalars(select(SmsOutbox).where(SmsOutbox.campaign_id == campaign_id)).all()
        assert {r.state for r in rows} == {State.SENT}
        assert {r.provider_id for r in rows} == {m.sid for m in sms_mock.record.messages}
    engine.dispose()
