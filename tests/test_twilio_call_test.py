"""``huifang call-test`` in Twilio mode: the call is queued at (a mock of) Twilio, its outcome
arrives as a signed status callback at the web tier, which forwards it to the command; without
a callback in time the outcome is ``unknown``, never a guess."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading

import pytest
import requests

from tests import stack
from tests.test_bad_input import assert_one_clear_line, huifang
from tests.twilio_mock import (
    MOCK_CALL_SID,
    signature,
    twilio_mock,  # noqa: F401  (fixture)
)
from tests.twilio_mock import env as twilio_env

ZHANG = "+8613800138000"


class Web:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.url = stack.web_url(env)

    def callback(self, path: str, params: dict[str, str]) -> int:
        sig = signature(self.url + path, params)  # the public base URL is the web tier's own
        reply = requests.post(
            self.url + path, data=params, headers={"X-Twilio-Signature": sig}, timeout=5
        )
        return reply.status_code


@pytest.fixture
def web(tmp_path, sqlite_url, twilio_mock):  # noqa: F811
    """The web tier on its own database: every call the mock creates has the same SID, and a
    callback already kept is (rightly) not forwarded again."""
    tmp = tmp_path
    env = stack.stack_env(tmp, sqlite_url, 5070)
    env |= twilio_env(public_base=stack.web_url(env), api_url=twilio_mock.url)
    proc = stack.start(env, "web", log=tmp / "web.log")
    stack.wait_for_web(env, proc)
    yield Web(env)
    stack.stop(proc)


class CallTest:
    """`huifang call-test --json` running in the background; its stderr read line by line."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "console.cli", "call-test", ZHANG, "--json", *args],
            env=env,
            cwd=stack.ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.stderr: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)
            self.lines.put(line)

    def queued_sid(self, timeout: float = 20) -> str:
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                self.proc.kill()
                raise AssertionError(f"no 'queued' line; stderr: {''.join(self.stderr)}") from None
            if line.startswith("queued "):
                return line.split()[1]

    def report(self, timeout: float = 30) -> dict:
        out, _ = self.proc.communicate(timeout=timeout)
        assert self.proc.returncode == 0, "".join(self.stderr)
        return json.loads(out)  # one JSON object, nothing else on stdout


def test_the_outcome_is_the_one_twilios_status_callback_reports(web):
    call = CallTest(web.env, "--ring-timeout", "2", "--wait", "20")
    sid = call.queued_sid()
    assert sid == MOCK_CALL_SID
    assert web.callback("/twilio/voice/status", {"CallSid": sid, "CallStatus": "ringing"}) == 204
    busy = {"CallSid": sid, "CallStatus": "busy", "SipResponseCode": "486"}
    assert web.callback("/twilio/voice/status", busy) == 204
    report = call.report()
    setup_ms = report.pop("setup_ms")  # our request -> the ringing callback reaching us
    assert isinstance(setup_ms, int) and setup_ms >= 0
    assert report == {
        "outcome": "busy",
        "sip_status": 486,
        "call_sid": sid,
        "carrier_status": "busy",
    }


def test_an_answered_test_call_is_hung_up_and_reported_answered(web):
    call = CallTest(web.env, "--ring-timeout", "2", "--wait", "20")
    sid = call.queued_sid()
    answer = {"CallSid": sid, "CallStatus": "in-progress", "AnsweredBy": "human"}
    assert web.callback("/twilio/voice/answer", answer) == 200
    assert web.callback("/twilio/voice/status", {"CallSid": sid, "CallStatus": "completed"}) == 204
    report = call.report()
    assert (report["outcome"], report["carrier_status"]) == ("answered", "completed")


def test_an_answering_machine_is_reported_as_voicemail(web):
    call = CallTest(web.env, "--ring-timeout", "2", "--wait", "20")
    sid = call.queued_sid()
    done = {"CallSid": sid, "CallStatus": "completed", "AnsweredBy": "machine_start"}
    web.callback("/twilio/voice/status", done)
    assert call.report()["outcome"] == "voicemail"


def test_without_a_callback_in_time_the_outcome_is_unknown(web):
    call = CallTest(web.env, "--ring-timeout", "1", "--wait", "1.5")
    sid = call.queued_sid()
    assert call.report() == {
        "outcome": "unknown",
        "sip_status": None,
        "setup_ms": None,
        "call_sid": sid,
        "carrier_status": None,
    }


def test_without_the_web_tier_the_call_is_not_placed(tmp_path, sqlite_url, twilio_mock):  # noqa: F811
    env = stack.stack_env(tmp_path, sqlite_url, 5070)  # nothing listens on its web port
    env |= twilio_env(public_base=stack.web_url(env), api_url=twilio_mock.url)
    result = huifang(env, "call-test", ZHANG, "--json", timeout=60)
    assert_one_clear_line(result, "web tier", "not reachable")
    assert result.stdout == ""


def test_twilio_mode_without_its_settings_stops_with_one_line(tmp_path, sqlite_url):
    env = stack.stack_env(tmp_path, sqlite_url, 5070, HUIFANG_TELEPHONY="twilio")
    result = huifang(env, "call-test", ZHANG)
    assert_one_clear_line(result, "TWILIO_ACCOUNT_SID", "HUIFANG_PUBLIC_BASE_URL")
