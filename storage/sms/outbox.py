"""The outbox's transitions, each a compare-and-set update (a row moves only from the state the
caller saw), so two senders, a sender and a delivery report, or a crash and a restart never
move one message twice.

    queued --claim--> sending --sent--> sent --report--> delivered | failed
                         |  \\--refused--> failed       (21610: the customer is opted out)
                         |   \\--not taken (429, no connection)--> queued (later)
                         \\--crash: looked up--> sent (found) | queued (surely not there)
                                               | unknown (cannot tell: a supervisor decides)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import cast

from sqlalchemy import CursorResult, Table, Update, and_, bindparam, or_, select, update
from sqlalchemy.orm import Session

from storage import consent
from storage.models import Customer, Phone, SmsCampaign, SmsOutbox
from storage.sms.codes import CampaignState, Reason, State

MAX_ATTEMPTS = 5
MAX_LOOKUPS = 3
OPTED_OUT_SOURCE = "sms_reply"
CARRIER_SOURCE = "carrier"


@dataclass(frozen=True)
class Claimed:
    """A row marked ``sending`` by this run: what the gateway needs to send it."""

    id: int
    store_id: int
    customer_id: int
    phone: str
    body: str
    key: str
    sending_at: datetime | None = None
    claim: str | None = None  # the run's token


CLAIMED = (
    SmsOutbox.id, SmsOutbox.store_id, SmsOutbox.customer_id, SmsOutbox.phone, SmsOutbox.body,
    SmsOutbox.idempotency_key, SmsOutbox.sending_at, SmsOutbox.claim,
)  # fmt: skip


def claim(
    session: Session, token: str, limit: int, now: datetime, store_ids: list[int]
) -> list[Claimed]:
    """Mark up to ``limit`` due rows of sending campaigns ``sending`` for this run (``token``)
    before any request is made, in one statement: senders running side by side each take
    other rows (PostgreSQL skips the rows another claim holds; SQLite runs one writer at a
    time). A customer who withdrew consent since the campaign was built is excluded instead."""
    due = (
        select(SmsOutbox.id)
        .join(SmsCampaign, SmsCampaign.id == SmsOutbox.campaign_id)
        .where(
            SmsOutbox.state == State.QUEUED,
            or_(SmsOutbox.next_at.is_(None), SmsOutbox.next_at <= now),
            SmsCampaign.state == CampaignState.SENDING,
            SmsOutbox.store_id.in_(store_ids),
        )
        .order_by(SmsOutbox.id)
        .limit(limit)
        .with_for_update(of=SmsOutbox, skip_locked=True)
        .cte("due")
        .prefix_with("MATERIALIZED")  # run once: as a subquery rescanned, SKIP LOCKED took more
    )
    rows = session.execute(
        update(SmsOutbox)
        .where(SmsOutbox.id.in_(select(due.c.id)), SmsOutbox.state == State.QUEUED)
        .values(state=State.SENDING, claim=token, sending_at=now, attempts=SmsOutbox.attempts + 1)
        .returning(*CLAIMED, SmsOutbox.campaign_id)
        .execution_options(synchronize_session=False)
    ).all()
    if not rows:
        return []
    refused = _withdrawn(session, rows)
    if refused:
        session.execute(
            update(SmsOutbox)
            .where(SmsOutbox.id.in_(refused), SmsOutbox.state == State.SENDING)
            .values(state=State.EXCLUDED, reason=Reason.OPTED_OUT, claim=None,
                    attempts=SmsOutbox.attempts - 1)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
    kept = sorted((r for r in rows if r.id not in refused), key=lambda r: r.id)
    return [Claimed(r.id, r.store_id, r.customer_id, r.phone, r.body, r.idempotency_key,
                    r.sending_at, r.claim) for r in kept]  # fmt: skip


def _withdrawn(session: Session, claimed) -> set[int]:
    """The claimed rows whose customer said no to their campaign's purpose since."""
    purposes = dict(
        session.execute(
            select(SmsCampaign.id, SmsCampaign.purpose).where(
                SmsCampaign.id.in_({r.campaign_id for r in claimed})
            )
        ).all()
    )
    refused: set[int] = set()
    for purpose in set(purposes.values()):
        rows = [r for r in claimed if purposes[r.campaign_id] == purpose]
        ids = [r.customer_id for r in rows]
        said = consent.answers(session, ids, consent.Channel.SMS, consent.Purpose(purpose))
        refused |= {r.id for r in rows if said.get(r.customer_id) is False}
    return refused


class Outcome(StrEnum):
    SENT = "sent"  # the provider took it: its id
    NOT_TAKEN = "not_taken"  # surely not sent (429, no connection, queue full): again later
    REFUSED = "refused"  # never to be sent (invalid number...)
    OPTED_OUT = "opted_out"  # the provider says the recipient opted out (Twilio 21610)
    AMBIGUOUS = "ambiguous"  # the request may have reached the provider: left to reconcile


@dataclass(frozen=True)
class Result:
    outbox_id: int
    outcome: Outcome
    provider_id: str | None = None
    provider_status: str | None = None
    error_code: int | None = None
    reason: str | None = None
    retry_in_s: float = 0.0
    counts_as_attempt: bool = True  # a 429 is the provider's pacing, not the message's fault


def apply(session: Session, provider: str, results: list[Result], now: datetime) -> None:
    """Record what the gateway said for each row this run marked ``sending``: the messages the
    provider took in one statement for them all (executed for many rows), the rest one by one."""
    sent = [r for r in results if r.outcome is Outcome.SENT]
    if sent:
        _all_sent(session, provider, sent, now)
    for r in results:
        if r.outcome is not Outcome.SENT:
            _APPLY[r.outcome](session, provider, r, now)


def _changed(session: Session, statement: Update) -> int:
    """Rows an UPDATE changed (the compare-and-set's answer)."""
    result = session.execute(statement.execution_options(preserve_rowcount=True))
    return cast(CursorResult, result).rowcount


def _sending(outbox_id: int):
    return and_(SmsOutbox.id == outbox_id, SmsOutbox.state == State.SENDING)


OUTBOX = cast(Table, SmsOutbox.__table__)
SENT_ROW = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("o"), OUTBOX.c.state == State.SENDING)
    .values(state=State.SENT, provider=bindparam("provider"), provider_id=bindparam("pid"),
            provider_status=bindparam("pstatus"), sent_at=bindparam("at"), claim=None)
)  # fmt: skip
# a delivery report got there first: keep its state, add the id
SENT_ID_ONLY = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("o"), OUTBOX.c.provider_id.is_(None))
    .values(provider=bindparam("provider"), provider_id=bindparam("pid"), sent_at=bindparam("at"))
)


def _all_sent(session: Session, provider: str, sent: list[Result], now: datetime) -> None:
    params = [
        {"o": r.outbox_id, "provider": provider, "pid": r.provider_id,
         "pstatus": r.provider_status, "at": now}
        for r in sent
    ]  # fmt: skip
    conn = session.connection()
    changed = conn.execute(SENT_ROW, params)
    if conn.dialect.supports_sane_multi_rowcount and changed.rowcount == len(sent):
        return
    conn.execute(SENT_ID_ONLY, params)


def _sent(session: Session, provider: str, r: Result, now: datetime) -> None:
    _all_sent(session, provider, [r], now)


def _not_taken(session: Session, provider: str, r: Result, now: datetime) -> None:
    row = session.execute(
        select(SmsOutbox.state, SmsOutbox.attempts).where(SmsOutbox.id == r.outbox_id)
    ).one()
    if row.state != State.SENDING:
        return
    attempts = row.attempts if r.counts_as_attempt else max(row.attempts - 1, 0)
    if attempts >= MAX_ATTEMPTS:
        _fail(session, r.outbox_id, Reason.TOO_MANY_TRIES, r.error_code, now)
        return
    session.execute(
        update(SmsOutbox)
        .where(_sending(r.outbox_id))
        .values(state=State.QUEUED, attempts=attempts, claim=None, error_code=r.error_code,
                next_at=now + timedelta(seconds=r.retry_in_s))
    )  # fmt: skip


def _fail(session: Session, outbox_id: int, reason: str, code: int | None, now: datetime) -> None:
    session.execute(
        update(SmsOutbox)
        .where(_sending(outbox_id))
        .values(state=State.FAILED, reason=reason, error_code=code, done_at=now, claim=None)
    )


def _refused(session: Session, provider: str, r: Result, now: datetime) -> None:
    _fail(session, r.outbox_id, r.reason or Reason.REFUSED, r.error_code, now)


def _opted_out(session: Session, provider: str, r: Result, now: datetime) -> None:
    _fail(session, r.outbox_id, Reason.OPTED_OUT, r.error_code, now)
    row = session.get(SmsOutbox, r.outbox_id)
    if row is not None:
        opt_out_number(session, row, CARRIER_SOURCE, f"provider error {r.error_code}", now)


def _ambiguous(session: Session, provider: str, r: Result, now: datetime) -> None:
    """Left ``sending``: only a lookup at the provider may say whether it went out."""
    session.execute(update(SmsOutbox).where(_sending(r.outbox_id)).values(error_code=r.error_code))


_APPLY = {
    Outcome.SENT: _sent,
    Outcome.NOT_TAKEN: _not_taken,
    Outcome.REFUSED: _refused,
    Outcome.OPTED_OUT: _opted_out,
    Outcome.AMBIGUOUS: _ambiguous,
}


def opt_out(session: Session, customer_id: int, source: str, reason: str, now: datetime) -> None:
    """No more marketing SMS for this customer (their queued ones are excluded at claim)."""
    consent.record(
        session, customer_id, consent.Channel.SMS, consent.Purpose.MARKETING, False,
        source=source, at=now, reason=reason[:200],
    )  # fmt: skip


def customers_with(
    session: Session, phone: str, store_id: int | None = None
) -> list[tuple[int, int]]:
    """(customer id, store id) of everyone on file with that number (of ``store_id`` if given)."""
    query = select(Customer.id, Customer.store_id).join(Phone, Phone.customer_id == Customer.id)
    if store_id is not None:
        query = query.where(Customer.store_id == store_id)
    rows = session.execute(query.where(Phone.e164 == phone).distinct())
    return [(c, s) for c, s in rows]


def opt_out_number(
    session: Session, row: SmsOutbox, source: str, reason: str, now: datetime
) -> None:
    """The provider says the number of ``row`` opted out (Twilio's 21610): every customer of the
    store on file with that number is opted out, as a STOP reply from it would."""
    ids = {row.customer_id} | {c for c, _ in customers_with(session, row.phone, row.store_id)}
    for customer_id in sorted(ids):
        opt_out(session, customer_id, source, reason, now)


# ---------- after a crash ----------


def stale(session: Session, older_than: datetime, limit: int) -> list[Claimed]:
    """Rows left ``sending`` by a run that is gone (marked before ``older_than``)."""
    rows = session.execute(
        select(*CLAIMED)
        .where(SmsOutbox.state == State.SENDING, SmsOutbox.sending_at < older_than)
        .order_by(SmsOutbox.id)
        .limit(limit)
    )
    return [Claimed(*r) for r in rows]


class Finding(StrEnum):
    FOUND = "found"  # the provider has it: sent, with its id
    ABSENT = "absent"  # the provider surely has no such message: it may be sent now
    UNREACHABLE = "unreachable"  # the lookup failed: look again later
    CANNOT_TELL = "cannot_tell"  # the provider cannot say (no lookup, several candidates)


def reconciled(
    session: Session,
    outbox_id: int,
    finding: Finding,
    now: datetime,
    provider: str,
    provider_id: str | None = None,
    provider_status: str | None = None,
    seen_claim: str | None = None,
) -> State:
    """Apply what a lookup found for a stale ``sending`` row; returns its new state. Only to the
    row as it was looked up (compare-and-set on its state, its claim and its lookups): a row
    another sender settled meanwhile, and maybe claimed and sent again, is left alone."""
    row = session.execute(
        select(SmsOutbox.state, SmsOutbox.claim, SmsOutbox.lookups, SmsOutbox.sending_at)
        .where(SmsOutbox.id == outbox_id)
    ).one()  # fmt: skip
    if row.state != State.SENDING or seen_claim not in (None, row.claim):
        return State(row.state)
    state, values = _settled(finding, row.lookups)
    if finding is Finding.FOUND:
        values |= {"provider": provider, "provider_id": provider_id,
                   "provider_status": provider_status,
                   "sent_at": row.sending_at or now}  # fmt: skip
    elif finding is Finding.ABSENT:
        values["next_at"] = now
    same_claim = SmsOutbox.claim.is_(None) if row.claim is None else SmsOutbox.claim == row.claim
    statement = (
        update(SmsOutbox)
        .where(_sending(outbox_id), same_claim, SmsOutbox.lookups == row.lookups)
        .values(state=state, claim=None, **values)
        .execution_options(synchronize_session=False)
    )
    if _changed(session, statement) != 1:
        return State(
            session.scalars(select(SmsOutbox.state).where(SmsOutbox.id == outbox_id)).one()
        )
    return state


def _settled(finding: Finding, lookups: int) -> tuple[State, dict[str, object]]:
    """The state a lookup's finding puts a stale row in, and what else changes."""
    if finding is Finding.FOUND:
        return State.SENT, {}
    if finding is Finding.ABSENT:
        return State.QUEUED, {}
    if finding is Finding.CANNOT_TELL or lookups + 1 >= MAX_LOOKUPS:
        return State.UNKNOWN, {"lookups": lookups + 1}
    return State.SENDING, {"lookups": lookups + 1}


def resolve_unknown(
    session: Session, outbox_id: int, resend: bool, user_id: int, now: datetime
) -> bool:
    """A supervisor's decision on an ``unknown`` row: send it again, or close it as sent
    (they checked with the customer or the provider's console). False if it was not unknown."""
    target = (
        {"state": State.QUEUED, "next_at": now} if resend else {"state": State.SENT, "sent_at": now}
    )
    statement = (
        update(SmsOutbox)
        .where(SmsOutbox.id == outbox_id, SmsOutbox.state == State.UNKNOWN)
        .values(resolved_by_id=user_id, **target)
    )
    if _changed(session, statement) != 1:
        return False
    if resend:
        reopen(session, outbox_id)
    return True


def reopen(session: Session, outbox_id: int) -> None:
    """A row queued again (a supervisor's resend, a transient delivery failure) sends only while
    its campaign is ``sending``: a campaign already done goes back to sending. A cancelled one
    stays cancelled."""
    campaign_id = select(SmsOutbox.campaign_id).where(SmsOutbox.id == outbox_id)
    session.execute(
        update(SmsCampaign)
        .where(SmsCampaign.id == campaign_id.scalar_subquery())
        .where(SmsCampaign.state == CampaignState.DONE)
        .values(state=CampaignState.SENDING, finished_at=None)
    )
