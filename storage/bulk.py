"""Many rows in few statements. PostgreSQL: COPY for inserts, one statement over arrays
(unnest) for upserts and updates. SQLite: executemany, which is fast there."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    Table,
    any_,
    bindparam,
    func,
    insert,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement

Rows = list[dict[str, Any]]


def insert_rows(conn: Connection, table: Table, rows: Rows) -> None:
    """Insert rows that all have the same keys. Values must already be what the column types
    bind (aware UTC datetimes): COPY bypasses them."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        _executemany(conn, table, rows)
        return
    columns = ", ".join(f'"{name}"' for name in rows[0])
    driver: Any = conn.connection.driver_connection
    statement = f'COPY "{table.name}" ({columns}) FROM STDIN'
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(list(row.values()))


def insert_returning_ids(conn: Connection, table: Table, rows: Rows) -> list[int]:
    """Insert rows (all with the same keys, none with an ``id``) and return their new ids, in
    order. PostgreSQL: ids taken from the table's sequence, then COPY. SQLite: one INSERT ...
    RETURNING per batch of rows, ids in the rows' order."""
    if not rows:
        return []
    if conn.dialect.name != "postgresql":
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list(conn.execute(statement, rows).scalars())
    ids = list(
        conn.execute(
            text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
            {"t": table.name, "n": len(rows)},
        ).scalars()
    )
    insert_rows(conn, table, [{"id": i, **row} for i, row in zip(ids, rows, strict=True)])
    return ids


def _executemany(conn: Connection, table: Table, rows: Rows) -> None:
    """SQLite: INSERT through the driver's executemany, binding values with the column types' own
    processors: much less work per row than a Core statement's parameter handling."""
    names = list(rows[0])
    binders = [table.c[name].type.bind_processor(conn.dialect) for name in names]
    statement = (
        f'INSERT INTO "{table.name}" ({_names(names)}) VALUES ({", ".join("?" * len(names))})'
    )
    params = [
        tuple(bind(row[n]) if bind else row[n] for n, bind in zip(names, binders, strict=True))
        for row in rows
    ]
    conn.exec_driver_sql(statement, params)


def upsert_rows(
    conn: Connection, table: Table, rows: Rows, key: list[str], set_: list[str]
) -> None:
    """Insert rows that all have the same keys, or on a clash of ``key`` update ``set_``."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        upsert = sqlite.insert(table)
        excluded = {name: upsert.excluded[name] for name in set_}
        conn.execute(upsert.on_conflict_do_update(index_elements=key, set_=excluded), rows)
        return
    names = list(rows[0])
    changes = ", ".join(f'"{name}" = excluded."{name}"' for name in set_)
    statement = (
        f'INSERT INTO "{table.name}" ({_names(names)}) '
        f"SELECT * FROM {_unnest(conn, table, names)} "
        f"ON CONFLICT ({_names(key)}) DO UPDATE SET {changes}"
    )
    conn.execute(text(statement), _arrays(rows, names))


def update_rows(conn: Connection, table: Table, rows: Rows) -> None:
    """Set the columns of each row (all with the same keys) where ``id`` is the row's."""
    names = [name for name in rows[0] if name != "id"]
    if conn.dialect.name != "postgresql":
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values({name: bindparam(f"b_{name}") for name in names})
        )
        conn.execute(statement, [{f"b_{k}": v for k, v in row.items()} for row in rows])
        return
    changes = ", ".join(f'"{name}" = v."{name}"' for name in names)
    conn.execute(
        text(
            f'UPDATE "{table.name}" SET {changes} '
            f"FROM {_unnest(conn, table, ['id', *names])} AS v({_names(['id', *names])}) "
            f'WHERE "{table.name}".id = v.id'
        ),
        _arrays(rows, ["id", *names]),
    )


def where_in(
    conn: Connection, column: Any, values: Iterable[Any], type_: Any = Integer
) -> ColumnElement[bool]:
    """``column IN values`` with one parameter however many values (of SQL type ``type_``):
    an array on PostgreSQL, a JSON list on SQLite. The statement's text does not change with
    the number of values, so the driver and the server reuse its parse and plan."""
    listed = list(values)
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, listed, type_=postgresql.ARRAY(type_), unique=True))
    each = func.json_each(bindparam(None, json.dumps(listed), unique=True))
    return column.in_(select(literal_column("value")).select_from(each))


def _names(names: list[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)  # our own column names, quoted


def _unnest(conn: Connection, table: Table, names: list[str]) -> str:
    types = [table.c[name].type.compile(dialect=conn.dialect) for name in names]
    return "unnest(" + ", ".join(f"CAST(:c{i} AS {t}[])" for i, t in enumerate(types)) + ")"


def _arrays(rows: Rows, names: list[str]) -> dict[str, list[Any]]:
    return {f"c{i}": [row[name] for row in rows] for i, name in enumerate(names)}
