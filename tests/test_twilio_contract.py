"""The Calls API as Twilio describes it: what TwilioBackend sends, checked by a mock served from
Twilio's own OpenAPI description (Prism rejects a malformed request with 422)."""

from __future__ import annotations

import time

import pytest

from dialer.backend import DialError
from dialer.twilio.backend import TwilioBackend
from dialer.twilio.client import make_client
from tests.twilio_mock import (
    ACCOUNT_SID,
    CALLER_ID,
    MOCK_CALL_SID,
    RecordingHttpClient,
    settings,
    twilio_mock,  # noqa: F401  (fixture)
)

CALLS = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls"
ZHANG = "+8613800138000"


@pytest.fixture
def http(twilio_mock) -> RecordingHttpClient:  # noqa: F811
    return RecordingHttpClient(twilio_mock.url)


def backend(http: RecordingHttpClient, **changes) -> TwilioBackend:
    config = settings(**changes)
    return TwilioBackend(config, client=make_client(config, http))


def test_dialling_an_attempt_creates_a_call_with_our_twiml_status_callbacks_and_amd(http):
    call_ref = backend(http).dial_attempt(42, ZHANG, 20)
    assert call_ref == MOCK_CALL_SID
    [sent] = http.sent
    assert (sent.method, sent.url.split("twilio.com")[1]) == ("POST", f"{CALLS}.json")
    assert sent.data == {
        "To": ZHANG,
        "From": CALLER_ID,
        "Url": "https://huifang.example.com/twilio/voice/answer?attempt=42",
        "Method": "POST",
        "StatusCallback": "https://huifang.example.com/twilio/voice/status?attempt=42",
        "StatusCallbackMethod": "POST",
        "StatusCallbackEvent": ["initiated", "ringing", "answered", "completed"],
        "MachineDetection": "Enable",
        "Timeout": 20,
    }


def test_the_call_is_recorded_only_when_the_setting_asks_for_it(http):
    backend(http, record=True).dial(ZHANG, 20)
    assert http.sent[0].data["Record"] == "true"


def test_hanging_up_asks_twilio_to_complete_the_call(http):
    phone = backend(http)
    call_ref = phone.dial(ZHANG, 20)
    phone.hangup(call_ref)
    hangup = http.sent[-1]
    assert hangup.url.split("twilio.com")[1] == f"{CALLS}/{MOCK_CALL_SID}.json"
    assert hangup.data == {"Status": "completed"}


def test_a_request_twilio_cannot_read_fails_with_what_was_wrong(http):
    with pytest.raises(DialError) as refused:
        backend(http, public_base_url="not a url").dial(ZHANG, 20)  # config would refuse it
    assert "HTTP 422" in refused.value.message
    assert "Url must match format" in refused.value.message


def test_a_second_call_within_the_same_second_waits_its_turn(http):
    phone = backend(http, cps=1)
    started = time.monotonic()
    phone.dial(ZHANG, 20)
    phone.dial("+8613900139000", 20)
    assert time.monotonic() - started >= 0.9
    assert len(http.sent) == 2
