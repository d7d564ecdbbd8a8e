"""storage/bulk.py on each backend: rows written by COPY (binary when every column allows it,
text otherwise) read back exactly as given, and ``where_in`` picking exactly the keys asked
for, integers (sent as one array literal on PostgreSQL) and strings alike."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from storage.bulk import insert_returning_ids, insert_rows, where_in
from storage.db import make_engine

META = sa.MetaData()
PLAIN = sa.Table(
    "bulk_plain",
    META,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("big", sa.BigInteger),
    sa.Column("label", sa.String(120)),
    sa.Column("note", sa.Text),
    sa.Column("at", sa.DateTime(timezone=True)),
    sa.Column("day", sa.Date),
    sa.Column("flag", sa.Boolean),
)
MONEY = sa.Table(  # numeric has no binary form here: written as text
    "bulk_money",
    META,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("amount", sa.Numeric(10, 2)),
    sa.Column("note", sa.Text),
)
AWKWARD = 'tab\there, new\nline, back\\slash, quote" and {braces}, 中文'


@pytest.fixture
def conn(db_url):
    engine = make_engine(db_url)
    META.create_all(engine)
    with engine.begin() as connection:
        yield connection
    engine.dispose()


def test_rows_written_in_bulk_read_back_exactly(conn):
    rows = [
        {"big": 2**40 + i, "label": f"L{i}", "note": AWKWARD if i % 2 else None,
         "at": datetime(2026, 11, 19, 2, 0, i, 123456, tzinfo=UTC) if i % 3 else None,
         "day": date(2026, 1, 1) + timedelta(days=i), "flag": i % 2 == 0}
        for i in range(50)
    ]  # fmt: skip

    ids = insert_returning_ids(conn, PLAIN, rows)

    assert len(set(ids)) == 50
    stored = {r.id: r for r in conn.execute(sa.select(PLAIN))}
    for row_id, row in zip(ids, rows, strict=True):
        got = stored[row_id]
        assert (got.big, got.label, got.note, got.day, got.flag) == (
            row["big"], row["label"], row["note"], row["day"], row["flag"]
        )  # fmt: skip
        if row["at"] is None:
            assert got.at is None
        else:  # aware UTC given (the function's contract); SQLite gives it back naive
            at = got.at if got.at.tzinfo else got.at.replace(tzinfo=UTC)
            assert at == row["at"]


def test_a_table_with_a_column_of_another_type_is_written_too(conn):
    insert_rows(conn, MONEY, [{"id": 1, "amount": Decimal("1234.50"), "note": AWKWARD}])

    (row,) = conn.execute(sa.select(MONEY)).all()
    assert row.amount == Decimal("1234.50") and row.note == AWKWARD


def test_where_in_picks_exactly_the_keys_asked_for(conn):
    rows = [{"id": i, "big": 2**40 + i, "label": f"L{i}", "note": None, "at": None,
             "day": None, "flag": None} for i in range(1, 21)]  # fmt: skip
    rows[3]["label"] = AWKWARD
    insert_rows(conn, PLAIN, rows)

    def ids(column, values, type_=sa.Integer):
        return sorted(
            conn.execute(
                sa.select(PLAIN.c.id).where(where_in(conn, column, values, type_))
            ).scalars()
        )

    assert ids(PLAIN.c.id, [2, 5, 99]) == [2, 5]
    assert ids(PLAIN.c.id, []) == []
    assert ids(PLAIN.c.big, [2**40 + 7, 2**40 + 8], sa.BigInteger) == [7, 8]
    assert ids(PLAIN.c.label, [AWKWARD, "L9", "nobody"], sa.String) == [4, 9]
