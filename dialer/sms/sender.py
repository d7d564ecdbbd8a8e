"""The sending loop. Never twice, and nothing lost:

1. reconcile first: rows a gone run left ``sending`` are looked up at the provider; found ->
   ``sent``, surely absent -> queued again, otherwise ``unknown`` for a supervisor (never
   resent blindly);
2. claim a batch: the rows are marked ``sending`` and committed before any request;
3. send each through the sender's token bucket (a 429 backs every thread off);
4. record what the provider said, in one transaction.

A crash anywhere leaves rows ``queued`` (not sent) or ``sending`` (step 1 settles them).
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from dialer.sms.gateway import (
    Ambiguous,
    Lookup,
    NotTaken,
    OptedOut,
    OutboundSms,
    Refused,
    SmsGateway,
)
from dialer.sms.rate import TokenBucket
from storage.db import session_scope
from storage.models import utcnow
from storage.sms import outbox
from storage.sms.outbox import Claimed, Outcome, Result

log = logging.getLogger("huifang.sms")


@dataclass(frozen=True)
class SendPolicy:
    batch: int = 200  # rows claimed at once, at most
    workers: int = 16  # requests in flight
    settle_s: float = 60.0  # a row ``sending`` longer than this was left by a run that is gone
    reconcile_batch: int = 200


def outbound(row: Claimed) -> OutboundSms:
    return OutboundSms(outbox_id=row.id, to=row.phone, body=row.body, key=row.key)


class OutboxSender:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        gateway: SmsGateway,
        bucket: TokenBucket,
        policy: SendPolicy | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions, self.gateway, self.bucket = sessions, gateway, bucket
        self.policy, self.clock = policy or SendPolicy(), clock
        self._pool = ThreadPoolExecutor(self.policy.workers, thread_name_prefix="sms-send")

    def close(self) -> None:
        self._pool.shutdown(wait=True)

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
            lookups = [self._pool.submit(self._look_up, row, now) for row in rows]
            for row, lookup in zip(rows, lookups, strict=True):
                found = lookup.result()
                with session_scope(self.sessions) as s:
                    state = outbox.reconciled(
                        s, row.id, found.finding, self.clock(), self.gateway.name,
                        found.provider_id, found.status,
                    )  # fmt: skip
                settled[state] += 1
            log.info("SMS: reconciled %d rows left sending: %s", len(rows), dict(settled))

    def _look_up(self, row: Claimed, now: datetime) -> Lookup:
        self.bucket.acquire()
        return self.gateway.look_up(outbound(row), row.sending_at or now)

    # ---------- sending ----------

    def send_batch(self, store_ids: list[int]) -> Counter[str]:
        """Claim, send and record one batch; an empty Counter when nothing is due."""
        futures = self._submit(store_ids)
        return self._record(futures) if futures else Counter()

    def _submit(self, store_ids: list[int]) -> list[Future[Result]]:
        """Claim a batch (marked ``sending``, committed) and hand it to the sending threads."""
        token = uuid.uuid4().hex
        size = max(10, min(self.policy.batch, int(self.bucket.rate)))
        with session_scope(self.sessions) as s:
            claimed = outbox.claim(s, token, size, self.clock(), store_ids)
        return [self._pool.submit(self._send_one, row) for row in claimed]

    def _record(self, futures: list[Future[Result]]) -> Counter[str]:
        results = [f.result() for f in futures]
        with session_scope(self.sessions) as s:
            outbox.apply(s, self.gateway.name, results, self.clock())
        return Counter(r.outcome.value for r in results)

    def _send_one(self, row: Claimed) -> Result:
        self.bucket.acquire()
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

    def run(
        self,
        store_ids: Callable[[], list[int]],
        until: datetime,
        stop: Callable[[], bool] = lambda: False,
    ) -> Counter[str]:
        """Reconcile, then send batches until nothing is due, ``until`` or ``stop()``. The next
        batch is claimed while the last one is still on its way, so the pace never waits for a
        commit; each batch is recorded once all its answers are in."""
        done: Counter[str] = Counter()
        done.update({f"reconciled_{k}": v for k, v in self.reconcile().items()})
        in_flight: list[Future[Result]] = []
        while self.clock() < until and not stop():
            stores = store_ids()
            following = self._submit(stores) if stores else []
            if in_flight:  # recorded: what it put back in the queue is claimed next time round
                done.update(self._record(in_flight))
            elif not following:
                break
            in_flight = following
        if in_flight:
            done.update(self._record(in_flight))
        return done
