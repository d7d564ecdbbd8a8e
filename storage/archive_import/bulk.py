"""Many rows in few statements. PostgreSQL: COPY for inserts, one statement over arrays
(unnest) for upserts and updates. SQLite: executemany, which is fast there."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    Table,
    any_,
    bindparam,
    func,
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


def where_in(conn: Connection, column: Any, values: Sequence[int]) -> ColumnElement[bool]:
    """``column IN values`` with one parameter however many values: an array on PostgreSQL,
    a JSON list on SQLite."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam("values", list(values), type_=postgresql.ARRAY(Integer)))
    listed = func.json_each(bindparam("values", json.dumps(list(values))))
    return column.in_(select(literal_column("value")).select_from(listed))


def _names(names: list[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)  # our own column names, quoted


def _unnest(conn: Connection, table: Table, names: list[str]) -> str:
    types = [table.c[name].type.compile(dialect=conn.dialect) for name in names]
    return "unnest(" + ", ".join(f"CAST(:c{i} AS {t}[])" for i, t in enumerate(types)) + ")"


def _arrays(rows: Rows, names: list[str]) -> dict[str, list[Any]]:
    return {f"c{i}": [row[name] for row in rows] for i, name in enumerate(names)}
