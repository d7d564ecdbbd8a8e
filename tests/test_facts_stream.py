"""schedulers/facts.py reads the facts in batches (``_stream``); on PostgreSQL through the
driver's server-side cursor after SQLAlchemy's first batch. Every row arrives once, in order,
whatever the number of rows against the batch size."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select

from schedulers import facts

NUMBERS = Table("stream_numbers", MetaData(), Column("n", Integer, primary_key=True))


@pytest.mark.parametrize("count", [0, 1, 2, 3, 4, 6, 7, 10])
def test_every_row_is_read_once_in_order_whatever_the_batches(sessions, monkeypatch, count):
    monkeypatch.setattr(facts, "STREAM", 3)
    with sessions.begin() as s:
        NUMBERS.create(s.connection())
        s.execute(insert(NUMBERS), [{"n": i} for i in range(10)])
    query = select(NUMBERS.c.n).where(NUMBERS.c.n < count).order_by(NUMBERS.c.n)

    with sessions() as s:
        read = [row[0] for row in facts._stream(s, query)]

    assert read == list(range(count))
