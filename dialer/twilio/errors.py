"""Twilio's refusals (its error codes) and what each means for the call we asked for.

- 20429 (too many requests, also any HTTP 429): back off and ask again; the library does not
  retry. If Twilio still refuses after the pauses, the attempt fails and is retried later.
- 21211 (invalid To): the number is not callable: ``invalid_number``, the next phone is tried.
- 21610 (the recipient opted out, STOP): the attempt fails with that reason. The customer's
  call consent is not changed: only the customer, through an agent, changes it.
- 21611, 30001 (the sender's queue overflows): the attempt fails; the task is retried later.
Any other refusal is a DialError with Twilio's words (a request Twilio cannot read, a wrong
account...): the seat worker records it as a failed attempt and logs it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import requests
from twilio.base.exceptions import TwilioException

from dialer.backend import DialError
from storage.codes import NetworkOutcome as N

log = logging.getLogger(__name__)
T = TypeVar("T")
TOO_MANY_REQUESTS = 20429
BACKOFF_S = (1.0, 2.0, 4.0)  # pauses before asking again after a 20429


@dataclass(frozen=True)
class Refusal:
    outcome: N
    reason: str
    back_off: bool = False  # ask again after a pause

    def carrier_status(self, code: int) -> str:
        return f"error {code} {self.reason}"  # kept on the attempt (CallAttempt.carrier_status)


TWILIO_ERRORS: dict[int, Refusal] = {
    TOO_MANY_REQUESTS: Refusal(N.FAILED, "too_many_requests", back_off=True),
    21211: Refusal(N.INVALID_NUMBER, "invalid_number"),
    21610: Refusal(N.FAILED, "opted_out"),
    21611: Refusal(N.FAILED, "queue_overflow"),
    30001: Refusal(N.FAILED, "queue_overflow"),
}


class CallRefused(Exception):
    """Twilio would not place the call: it is over before it began, with this outcome."""

    def __init__(self, outcome: N, carrier_status: str) -> None:
        super().__init__(carrier_status)
        self.outcome = outcome
        self.carrier_status = carrier_status


def refusal_of(exc: TwilioException) -> tuple[int, Refusal] | None:
    code = getattr(exc, "code", None)
    if isinstance(code, int) and code in TWILIO_ERRORS:
        return code, TWILIO_ERRORS[code]
    if getattr(exc, "status", None) == 429:
        return TOO_MANY_REQUESTS, TWILIO_ERRORS[TOO_MANY_REQUESTS]
    return None


def describe(exc: TwilioException) -> str:
    status, code = getattr(exc, "status", "?"), getattr(exc, "code", None)
    message = getattr(exc, "msg", None) or getattr(exc, "detail", None) or type(exc).__name__
    error = f", error {code}" if code and code != status else ""
    return f"Twilio refused the request (HTTP {status}{error}): {message}"


def placed(request: Callable[[], T], sleep: Callable[[float], None]) -> T:
    """Run a Calls API request, backing off on 20429. Raises CallRefused for the refusals in
    TWILIO_ERRORS, DialError for the others and when Twilio cannot be reached."""
    for pause in (*BACKOFF_S, None):
        try:
            return request()
        except requests.RequestException as exc:
            raise DialError(f"cannot reach Twilio: {exc}") from None
        except TwilioException as exc:
            known = refusal_of(exc)
            if known is None:
                raise DialError(describe(exc)) from None
            code, refusal = known
            if refusal.back_off and pause is not None:
                log.warning("Twilio: %s; asking again in %g s", describe(exc), pause)
                sleep(pause)
                continue
            raise CallRefused(refusal.outcome, refusal.carrier_status(code)) from None
    raise AssertionError("unreachable")  # the loop returns or raises
