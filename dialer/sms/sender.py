"""The sending loop. Never twice, and nothing lost:

1. reconcile first: rows a gone run left ``sending`` are looked up at the provider; found ->
   ``sent``, surely absent -> queued again, otherwise ``unknown`` for a supervisor (never
   resent blindly);
2. claim a batch: the rows are marked ``sending`` and committed before any request;
3. send each through the sender's token bucket (a 429 backs every thread off, and with Redis
   every process of the sender);
4. record what the provider said, in one transaction.

A crash anywhere leaves rows ``queued`` (not sent) or ``sending`` (step 1 settles them).

Several sending processes may run side by side (each claims other rows). A row ``sending``
for longer than ``settle_s`` is taken for one whose run is gone; so that this never happens to
a live run's row, a run sends a claimed row only within ``settle_s / 2`` of its claim (later,
after long 429 pauses, it goes back to the queue unsent), and a request takes at most the
gateway's timeout (10 s) on top. Each run looks for rows to settle again every ``settle_s / 2``,
so a killed process's rows are settled by the ones still running. ``settle_s = 0`` says no
other run is alive (a restart after every sender stopped): everything ``sending`` is settled.
Hence ``settle_s`` is 0 or at least ``MIN_SETTLE_S`` (``python -m schedulers.sms`` refuses
anything between).
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy.orm import Session, sessionmaker

from dialer.shared_rate import RateUnavailable
from dialer.sms.gateway import (
    Ambiguous,
    Lookup,
    NotTaken,
    OptedOut,
    OutboundSms,
    Refused,
    SmsGateway,
)
from dialer.sms.rate import SendRate
from dialer.sms.workers import Batch, Workers
from storage.db import session_scope
from storage.models import utcnow
from storage.sms import outbox
from storage.sms.outbox import Claimed, Finding, Outcome, Result

log = logging.getLogger("huifang.sms")
# half of it covers a request's timeout (dialer/sms/twilio.py: 10 s) and recording its batch
MIN_SETTLE_S = 30.0


@dataclass(frozen=True)
class SendPolicy:
    batch: int = 200  # rows claimed at once, at most
    workers: int = 16  # requests in flight
    settle_s: float = 60.0  # a row ``sending`` longer than this was left by a run that is gone
    reconcile_batch: int = 200
    rate_retry_s: float = 5.0  # the shared rate (Redis) unavailable: the row waits this long

    @property
    def send_within_s(self) -> float:
        """A claimed row is sent within this of its claim, or not at all (put back)."""
        return self.settle_s / 2 if self.settle_s > 0 else math.inf


def outbound(row: Claimed) -> OutboundSms:
    return OutboundSms(outbox_id=row.id, to=row.phone, body=row.body, key=row.key)


class OutboxSender:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        gateway: SmsGateway,
        bucket: SendRate,
        policy: SendPolicy | None = None,
        clock: Callable[[], datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sessions, self.gateway, self.bucket = sessions, gateway, bucket
        self.policy, self.clock, self.monotonic = policy or SendPolicy(), clock, monotonic
        self._workers = Workers(self.policy.workers, "sms-send")

    def close(self) -> None:
        self._workers.close()

    # ---------- after a crash ----------

    def reconcile(self) -> Counter[str]:
        """Settle every row left ``sending`` by a run that is gone; returns new states."""
        settled: Counter[str] = Counter()
        while True:
            now = self.clock()
            with session_scope(self.sessions) as s:
                rows = outbox.stale(
                    s, now - timedelta(seconds=self.policy.settle_s), self.policy.reconcile_batch
                )
            if not rows:
                return settled
            # looked up by the sending threads, paced by the bucket: one after another, the
            # rows a fast sender leaves in flight kept it from resuming for seconds
            lookups = self._workers.map(partial(self._look_up, now=now), rows)
            for row, found in zip(rows, lookups.results(), strict=True):
                with session_scope(self.sessions) as s:
                    state = outbox.reconciled(
                        s, row.id, found.finding, self.clock(), self.gateway.name,
                        found.provider_id, found.status, row.claim,
                    )  # fmt: skip
                settled[state] += 1
            log.info("SMS: reconciled %d rows left sending: %s", len(rows), dict(settled))

    def _look_up(self, row: Claimed, now: datetime) -> Lookup:
        try:
            self.bucket.acquire()
        except RateUnavailable as exc:
            log.warning("SMS: no lookup of outbox %s: %s", row.id, exc)
            return Lookup(Finding.UNREACHABLE)
        return self.gateway.look_up(outbound(row), row.sending_at or now)

    # ---------- sending ----------

    def send_batch(self, store_ids: list[int]) -> Counter[str]:
        """Claim, send and record one batch; an empty Counter when nothing is due."""
        batch = self._submit(store_ids)
        return self._record(batch) if batch else Counter()

    def _submit(self, store_ids: list[int]) -> Batch[Result]:
        """Claim a batch (marked ``sending``, committed) and hand it to the sending threads."""
        token = uuid.uuid4().hex
        size = max(10, min(self.policy.batch, int(self.bucket.rate)))
        with session_scope(self.sessions) as s:
            claimed = outbox.claim(s, token, size, self.clock(), store_ids)
        deadline = self.monotonic() + self.policy.send_within_s
        return self._workers.map(partial(self._send_one, deadline=deadline), claimed)

    def _record(self, batch: Batch[Result]) -> Counter[str]:
        results = batch.results()
        with session_scope(self.sessions) as s:
            outbox.apply(s, self.gateway.name, results, self.clock())
        return Counter(r.outcome.value for r in results)

    def _send_one(self, row: Claimed, deadline: float = math.inf) -> Result:
        try:
            self.bucket.acquire()
        except RateUnavailable as exc:
            log.warning("SMS to outbox %s waits: the shared rate is unavailable: %s", row.id, exc)
            return self._put_back(row, self.policy.rate_retry_s)
        if self.monotonic() > deadline:  # it could be settled as left by a gone run soon
            return self._put_back(row, 0.0)
        try:
            sent = self.gateway.send(outbound(row))
        except NotTaken as exc:
            if exc.rate_limited:
                pause = self.bucket.back_off()
                log.warning("SMS: the provider answered 429; every sender waits %.1f s", pause)
            return Result(
                row.id, Outcome.NOT_TAKEN, error_code=exc.error_code,
                retry_in_s=0.0 if exc.rate_limited else exc.retry_in_s,
                counts_as_attempt=not exc.rate_limited,
            )  # fmt: skip
        except OptedOut as exc:
            return Result(row.id, Outcome.OPTED_OUT, error_code=exc.error_code)
        except Refused as exc:
            log.info("SMS to outbox %s refused: %s", row.id, exc.detail)
            return Result(row.id, Outcome.REFUSED, error_code=exc.error_code, reason=exc.reason)
        except Ambiguous as exc:
            log.warning("SMS to outbox %s may or may not have gone: %s", row.id, exc.detail)
            return Result(row.id, Outcome.AMBIGUOUS, error_code=exc.error_code)
        except Exception:  # an adapter's bug: the request may have gone, so never resend
            log.exception("SMS to outbox %s: unexpected error", row.id)
            return Result(row.id, Outcome.AMBIGUOUS)
        self.bucket.succeeded()
        return Result(
            row.id, Outcome.SENT, provider_id=sent.provider_id, provider_status=sent.status
        )

    def _reconciled(self) -> Counter[str]:
        return Counter({f"reconciled_{k}": v for k, v in self.reconcile().items()})

    def _put_back(self, row: Claimed, retry_in_s: float) -> Result:
        """Not sent, and surely not: queued again, without counting an attempt."""
        return Result(row.id, Outcome.NOT_TAKEN, retry_in_s=retry_in_s, counts_as_attempt=False)

    def run(
        self,
        store_ids: Callable[[], list[int]],
        until: datetime,
        stop: Callable[[], bool] = lambda: False,
    ) -> Counter[str]:
        """Reconcile, then send batches until nothing is due, ``until`` or ``stop()``. The next
        batch is claimed while the last one is still on its way, so the pace never waits for a
        commit; each batch is recorded once all its answers are in."""
        done = self._reconciled()
        settled_at = self.monotonic()
        in_flight: Batch[Result] = Batch(0)
        while self.clock() < until and not stop():
            if 0 < self.policy.settle_s / 2 <= self.monotonic() - settled_at:
                done.update(self._reconciled())
                settled_at = self.monotonic()
            stores = store_ids()
            following = self._submit(stores) if stores else Batch[Result](0)
            if in_flight:  # recorded: what it put back in the queue is claimed next time round
                done.update(self._record(in_flight))
            elif not following:
                break
            in_flight = following
        if in_flight:
            done.update(self._record(in_flight))
        return done
