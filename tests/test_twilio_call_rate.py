"""The account's calls per second across processes: with Redis every process placing Twilio
calls (seat workers, the stores' pools, call tests) takes its turn from one shared bucket, so
their calls together stay within HUIFANG_TWILIO_CPS; without it each process only paces
itself. Real Redis at 127.0.0.1:6379, real processes, calls created at the Prism mock."""

from __future__ import annotations

import secrets
import time

import pytest

from dialer.twilio.pacing import SharedCallRate, TokenBucket, call_rate
from tests.rate_processes import REDIS_URL, local_redis, moments_of, most_in_one_second
from tests.twilio_mock import twilio_mock  # noqa: F401  (fixture)

RATE = 4.0  # calls per second for the whole account
PROCESSES, CALLS_EACH = 3, 4

# One dialling process: its calls go to the mock through our client, each creation's moment
# (wall clock, comparable between processes) printed as JSON.
PLACER = """
import json, sys, time
from dialer.twilio.client import HuifangHttpClient, make_client
from dialer.twilio.pacing import call_rate
from dialer.twilio.placing import create_call
from tests.twilio_mock import settings

account, api_url, redis_url, rate, calls, start_at = sys.argv[1:7]
moments = []

class Stamped(HuifangHttpClient):
    def request(self, method, url, *args, **kwargs):
        moments.append(time.time())
        return super().request(method, url, *args, **kwargs)

config = settings(account_sid=account, api_url=api_url)
client = make_client(config, Stamped(api_url))
limiter = call_rate(account, float(rate), redis_url or None)
time.sleep(max(0.0, float(start_at) - time.time()))  # all processes start together
for n in range(int(calls)):
    params = {"to": f"+861380013{n:04d}", "from_": config.from_number,
              "url": "https://huifang.example.com/twilio/voice/answer"}
    create_call(client, limiter, params)
print(json.dumps(moments))
"""


@pytest.fixture
def redis_server():
    client = local_redis("the shared call rate is not tested")
    yield client
    client.close()


def calls_from_processes(api_url: str, redis_url: str | None) -> list[float]:
    """Every call creation of PROCESSES dialling processes started at the same moment."""
    account = "AC" + secrets.token_hex(16)  # a key of its own in Redis
    start_at = f"{time.time() + 2.0:.3f}"
    args = [account, api_url, redis_url or "", str(RATE), str(CALLS_EACH), start_at]
    return moments_of(PLACER, args, PROCESSES)


def test_processes_sharing_redis_create_calls_within_the_accounts_rate_together(
    redis_server,
    twilio_mock,  # noqa: F811
):
    moments = calls_from_processes(twilio_mock.url, REDIS_URL)
    assert len(moments) == PROCESSES * CALLS_EACH
    # the slots are 1/RATE apart; a request leaves a little after its slot (at most RATE + 1
    # in any second); together the processes took as long as one process alone would
    assert most_in_one_second(moments) <= RATE + 1
    assert moments[-1] - moments[0] >= (len(moments) - 1) / RATE - 0.25  # a late first one


def test_without_redis_each_process_only_paces_itself(twilio_mock):  # noqa: F811
    """Why Redis is needed with several processes: their own buckets add up."""
    moments = calls_from_processes(twilio_mock.url, None)
    assert most_in_one_second(moments) > RATE + 1


def test_the_shared_rate_reserves_slots_one_interval_apart(redis_server):
    account = "AC" + secrets.token_hex(16)
    waits: list[float] = []
    limiter = SharedCallRate(redis_server, account, 10, sleep=waits.append)
    for _ in range(4):
        limiter.acquire()
    assert len(waits) == 3  # the first call goes at once, the others wait their slot
    assert waits == sorted(waits) and waits[-1] == pytest.approx(0.3, abs=0.05)


def test_the_rate_is_redis_s_when_a_redis_url_is_configured_else_the_processs_own():
    assert isinstance(call_rate("AC1", 1, None), TokenBucket)
    assert isinstance(call_rate("AC1", 1, REDIS_URL), SharedCallRate)


def test_an_unreachable_redis_fails_the_dial_after_a_few_tries():
    from dialer.backend import DialError

    slept: list[float] = []
    limiter = call_rate("AC1", 1, "redis://127.0.0.1:1/0", sleep=slept.append)
    with pytest.raises(DialError, match="shared call rate"):
        limiter.acquire()
    assert slept == [0.5, 1.0, 2.0]
