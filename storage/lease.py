"""Leases held in the database: one process at a time holds a named lease, such as the active
scheduler, and must renew it before it expires; once it has expired anyone may take it.

Every change is a compare-and-set (a conditional UPDATE or INSERT whose row count says whether
it happened), so it is safe between processes and machines on SQLite and PostgreSQL alike.
Each call is its own short transaction. Times are the caller's clock (``now``, aware), so the
holders' clocks should agree to well within the lease's time to live.
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import datetime, timedelta

from sqlalchemy import Engine, case, exists, insert, literal, select, update
from sqlalchemy.exc import IntegrityError

from storage.models import SchedulerLease, UTCDateTime

Lease = SchedulerLease


def new_holder() -> str:
    """This process's holder name: ``host:pid:random`` (random: a restarted pid differs)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def try_acquire(engine: Engine, name: str, holder: str, ttl: timedelta, now: datetime) -> bool:
    """Take the lease if it is free, expired or already ours; True if we hold it now."""
    with engine.begin() as conn:
        if conn.execute(_take_over(name, holder, ttl, now)).rowcount == 1:
            return True
    try:
        with engine.begin() as conn:
            return conn.execute(_insert_if_absent(name, holder, ttl, now)).rowcount == 1
    except IntegrityError:  # another process inserted it between our check and our insert
        return False


def renew(engine: Engine, name: str, holder: str, ttl: timedelta, now: datetime) -> bool:
    """Extend our lease to ``now + ttl``; False if it is not ours any more or has expired."""
    statement = (
        update(Lease)
        .where(Lease.name == name, Lease.holder == holder, Lease.expires_at > now)
        .values(renewed_at=now, expires_at=now + ttl)
    )
    with engine.begin() as conn:
        return conn.execute(statement).rowcount == 1


def release(engine: Engine, name: str, holder: str, now: datetime) -> bool:
    """Give the lease up at once (it expires ``now``); False if it was not ours."""
    statement = (
        update(Lease)
        .where(Lease.name == name, Lease.holder == holder, Lease.expires_at > now)
        .values(expires_at=now)
    )
    with engine.begin() as conn:
        return conn.execute(statement).rowcount == 1


def _take_over(name: str, holder: str, ttl: timedelta, now: datetime):
    """UPDATE the existing row if it is ours or expired (a new holder starts a new term)."""
    ours = Lease.holder == holder
    return (
        update(Lease)
        .where(Lease.name == name, ours | (Lease.expires_at <= now))
        .values(
            holder=holder,
            acquired_at=case((ours, Lease.acquired_at), else_=_at(now)),
            renewed_at=now,
            expires_at=now + ttl,
        )
    )


def _insert_if_absent(name: str, holder: str, ttl: timedelta, now: datetime):
    """INSERT the row unless one exists (a race between two inserts ends in IntegrityError)."""
    row = select(literal(name), literal(holder), _at(now), _at(now), _at(now + ttl))
    columns = ["name", "holder", "acquired_at", "renewed_at", "expires_at"]
    absent = ~exists().where(Lease.name == name)
    statement = insert(Lease).from_select(columns, row.where(absent))
    return statement.execution_options(preserve_rowcount=True)  # else -1 on psycopg


def _at(moment: datetime):
    return literal(moment, UTCDateTime())
