"""SMS through the Twilio mock: Prism serving Twilio's OpenAPI description with dynamic
responses (``-d``: every message gets its own SID), behind the recording proxy of
``scripts/bench/sms_proxy.py``, which counts what really reached the provider, can answer 429s
and drop answers, and answers lookups of the message log from its record.

The Prism install and Twilio's description are the voice tests' (tests/twilio_mock.py)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import requests

from dialer.sms.twilio import TwilioSms
from scripts.bench import sms_proxy
from storage.config import SmsSettings
from tests import stack
from tests.twilio_mock import ACCOUNT_SID, AUTH_TOKEN, PRISM, SPEC, _missing, _stop

SMS_FROM = "+8651268008001"
PUBLIC_BASE = "https://huifang.example.com"
START_TIMEOUT_S = 30.0


def sms_settings(api_url: str | None, public_base: str = PUBLIC_BASE) -> SmsSettings:
    return SmsSettings(ACCOUNT_SID, AUTH_TOKEN, SMS_FROM, None, public_base, api_url)


def sms_env(api_url: str, public_base: str = PUBLIC_BASE) -> dict[str, str]:
    return {
        "HUIFANG_SMS": "twilio",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_SMS_FROM": SMS_FROM,
        "HUIFANG_PUBLIC_BASE_URL": public_base,
        "HUIFANG_TWILIO_API_URL": api_url,
    }


def start_prism(log_path, dynamic: bool = True) -> tuple[subprocess.Popen, str]:
    port = stack.free_port()
    args = [str(PRISM), "mock", *(["-d"] if dynamic else []), "-h", "127.0.0.1", "-p", str(port)]
    with open(log_path, "wb") as out:
        proc = subprocess.Popen(
            [*args, str(SPEC)], stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"Prism exited with {proc.returncode}")
        try:
            requests.get(f"{url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json", timeout=1)
            return proc, url
        except requests.RequestException:
            time.sleep(0.2)
    _stop(proc)
    raise RuntimeError(f"Prism did not answer within {START_TIMEOUT_S:g} s")


@pytest.fixture(scope="session")
def sms_prism(tmp_path_factory) -> Iterator[str]:
    """Prism with dynamic responses; its URL."""
    if not PRISM.exists():
        _missing(f"Prism is not installed at {PRISM}: run scripts/bootstrap.sh --test")
    proc, url = start_prism(tmp_path_factory.mktemp("sms-prism") / "prism.log")
    try:
        yield url
    finally:
        _stop(proc)


@dataclass
class SmsMock:
    proxy: sms_proxy.ProxyServer
    gateways: list[TwilioSms] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.proxy.url

    @property
    def record(self) -> sms_proxy.Record:
        return self.proxy.record

    def gateway(self, public_base: str = PUBLIC_BASE) -> TwilioSms:
        """Our Twilio adapter pointed at the proxy (closed when the test ends)."""
        gateway = TwilioSms(sms_settings(self.url, public_base))
        self.gateways.append(gateway)
        return gateway


@pytest.fixture
def sms_mock(sms_prism) -> Iterator[SmsMock]:
    """A fresh recording proxy in front of the session's Prism."""
    proxy = sms_proxy.start(sms_prism)
    mock = SmsMock(proxy)
    try:
        yield mock
    finally:
        for gateway in mock.gateways:
            gateway.close()
        proxy.shutdown()
        proxy.server_close()
