"""Twilio without a network, for unit tests: an HTTP client that answers from a script, and a
clock that only moves when told (or when the code under test sleeps)."""

from __future__ import annotations

import json
import logging

from twilio.http import HttpClient
from twilio.http.response import Response

from dialer.twilio.backend import TwilioBackend
from dialer.twilio.client import make_client
from tests.twilio_mock import settings

SID = "CA" + "1" * 32


def call_created(sid: str = SID) -> tuple[int, dict]:
    return 201, {"sid": sid, "status": "queued"}


def twilio_error(code: int, status: int = 400, message: str = "refused") -> tuple[int, dict]:
    return status, {"code": code, "message": message, "status": status}


class ScriptedHttpClient(HttpClient):
    """Answers each request with the next scripted (status, body); keeps what was sent."""

    def __init__(self, *answers: tuple[int, dict] | Exception) -> None:
        super().__init__(logging.getLogger("tests.twilio"), False, None)
        self.answers = list(answers)
        self.sent: list[dict] = []

    def request(self, method, url, params=None, data=None, headers=None, auth=None,
                timeout=None, allow_redirects=False):  # fmt: skip
        self.sent.append(dict(data or {}))
        answer = self.answers.pop(0) if self.answers else (200, {"sid": SID})
        if isinstance(answer, Exception):
            raise answer
        status, body = answer
        return Response(status, json.dumps(body))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def scripted_backend(*answers, clock: Clock | None = None, **changes) -> TwilioBackend:
    clock = clock or Clock()
    config = settings(**changes)
    client = make_client(config, ScriptedHttpClient(*answers))
    return TwilioBackend(config, client=client, clock=clock, sleep=clock.sleep)
