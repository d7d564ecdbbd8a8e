"""Twilio for tests: a local mock of its REST API (Stoplight Prism serving Twilio's own OpenAPI
description, tests/twilio_api/), a client that records what it sent, settings, and webhook
signatures computed here by hand (HMAC-SHA1, base64), not by the library under test.

Prism validates every request (422 for a malformed one) and answers with canned examples, so
tests check what was sent, never what came back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import requests

from dialer.twilio.client import HuifangHttpClient
from storage.config import TwilioSettings
from tests import stack

SPEC = Path(__file__).parent / "twilio_api" / "twilio_api_v2010_calls_messages.json"
PRISM = stack.ROOT / ".tools" / "prism" / "node_modules" / ".bin" / "prism"
START_TIMEOUT_S = 30.0

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "f" * 32
API_KEY = "SK" + "fedcba9876543210" * 2
API_SECRET = "s3cret-of-at-least-thirty-two-bytes!"
TWIML_APP_SID = "AP" + "00112233445566778899aabbccddeeff"
CALLER_ID = "+8651268008000"  # the store's number, as customers see it
PUBLIC_BASE = "https://huifang.example.com"
MOCK_CALL_SID = "CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"  # the SID of Prism's canned Call


def settings(**changes: object) -> TwilioSettings:
    base = TwilioSettings(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        from_number=CALLER_ID,
        public_base_url=PUBLIC_BASE,
        api_key=API_KEY,
        api_secret=API_SECRET,
        twiml_app_sid=TWIML_APP_SID,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def env(public_base: str = PUBLIC_BASE, api_url: str | None = None, **extra: str) -> dict:
    """The environment of a Huifang process in Twilio mode."""
    values = {
        "HUIFANG_TELEPHONY": "twilio",
        "HUIFANG_PUBLIC_BASE_URL": public_base,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM": CALLER_ID,
        "TWILIO_API_KEY": API_KEY,
        "TWILIO_API_SECRET": API_SECRET,
        "TWILIO_TWIML_APP_SID": TWIML_APP_SID,
    }
    if api_url:
        values["HUIFANG_TWILIO_API_URL"] = api_url
    return values | extra


def signature(url: str, params: Mapping[str, str], token: str = AUTH_TOKEN) -> str:
    """X-Twilio-Signature as Twilio computes it: the full URL, then each POST parameter's
    name and value sorted by name, HMAC-SHA1 with the auth token, base64."""
    data = url + "".join(f"{k}{params[k]}" for k in sorted(params))
    digest = hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


@dataclass
class Sent:
    method: str
    url: str
    data: dict


class RecordingHttpClient(HuifangHttpClient):
    """Our HTTP client, pointed at the mock, keeping every request it sent."""

    def __init__(self, api_url: str) -> None:
        super().__init__(api_url)
        self.sent: list[Sent] = []

    def request(self, method, url, *args, **kwargs):
        self.sent.append(Sent(method, url, dict(kwargs.get("data") or {})))
        return super().request(method, url, *args, **kwargs)


@dataclass(frozen=True)
class TwilioMock:
    url: str
    log: Path


def _missing(reason: str) -> None:
    """In CI a missing mock fails the run; elsewhere the Twilio contract tests are skipped."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def twilio_mock(tmp_path_factory) -> Iterator[TwilioMock]:
    """Prism serving Twilio's Calls and Messages API on a free loopback port."""
    if not PRISM.exists():
        _missing(f"Prism is not installed at {PRISM}: run scripts/bootstrap.sh --test")
    port = stack.free_port()
    log = tmp_path_factory.mktemp("prism") / "prism.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(PRISM), "mock", "-h", "127.0.0.1", "-p", str(port), str(SPEC)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: node and anything it starts
        )
    mock = TwilioMock(f"http://127.0.0.1:{port}", log)
    try:
        _wait_until_it_answers(mock, proc)
        yield mock
    finally:
        _stop(proc)


def _wait_until_it_answers(mock: TwilioMock, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            _missing(f"Prism exited with {proc.returncode}: {mock.log.read_text()[-2000:]}")
        try:
            requests.get(f"{mock.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json", timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    _stop(proc)
    pytest.fail(f"Prism did not answer within {START_TIMEOUT_S:g} s: {mock.log.read_text()}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
