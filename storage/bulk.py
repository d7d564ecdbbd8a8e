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
from sqlalchemy.sql.type_api import to_instance
from sqlalchemy.types import UserDefinedType

Rows = list[dict[str, Any]]


def insert_rows(conn: Connection, table: Table, rows: Rows) -> None:
    """Insert rows that all have the same keys. Values must already be what the column types
    bind (aware UTC datetimes): COPY bypasses them."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        _executemany(conn, table, rows)
        return
    names = list(rows[0])
    types = _binary_types(conn, table, names)
    binary = " (FORMAT BINARY)" if types else ""
    driver: Any = conn.connection.driver_connection
    statement = f'COPY "{table.name}" ({_names(names)}) FROM STDIN{binary}'
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        if types:
            copy.set_types(types)
        for row in rows:
            copy.write_row(tuple(row.values()))


# Types whose binary form psycopg writes from plain Python values (ints, str, aware datetimes,
# dates, bools, floats): COPY's binary format, about a tenth of the text format's work on
# the client and no parsing of timestamps on the server.
_BINARY_COPY = {"int2", "int4", "int8", "text", "varchar", "bpchar", "timestamptz", "date", "bool",
                "float8"}  # fmt: skip


def _binary_types(conn: Connection, table: Table, names: list[str]) -> list[str] | None:
    """The PostgreSQL type of each column, if all are in ``_BINARY_COPY``, else None (text)."""
    registry = conn.connection.driver_connection.adapters.types  # type: ignore[union-attr]
    types = []
    for name in names:
        declared = table.c[name].type.compile(dialect=conn.dialect).split("(")[0].strip()
        info = registry.get(declared.lower())
        if info is None or info.name not in _BINARY_COPY:
            return None
        types.append(info.name)
    return types


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
        if _integer(type_):  # the array's text form: a fraction of the driver's work per value
            literal = "{" + ",".join(map(str, map(int, listed))) + "}"
            array = _IntegerArray(to_instance(type_).compile(conn.dialect))
            return column == any_(bindparam(None, literal, type_=array, unique=True))
        return column == any_(bindparam(None, listed, type_=postgresql.ARRAY(type_), unique=True))
    each = func.json_each(bindparam(None, json.dumps(listed), unique=True))
    return column.in_(select(literal_column("value")).select_from(each))


class _IntegerArray(UserDefinedType):
    """A PostgreSQL ``INTEGER[]`` bound as its text form (``'{1,2,3}'``), cast in the
    statement: the server reads it as a constant, so the plan knows the keys."""

    cache_ok = True
    render_bind_cast = True

    def __init__(self, element: str) -> None:
        self.element = element  # INTEGER, BIGINT, SMALLINT

    def get_col_spec(self, **kw: Any) -> str:
        return f"{self.element}[]"


def _integer(type_: Any) -> bool:
    return isinstance(to_instance(type_), Integer)


def _names(names: list[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)  # our own column names, quoted


def _unnest(conn: Connection, table: Table, names: list[str]) -> str:
    types = [table.c[name].type.compile(dialect=conn.dialect) for name in names]
    return "unnest(" + ", ".join(f"CAST(:c{i} AS {t}[])" for i, t in enumerate(types)) + ")"


def _arrays(rows: Rows, names: list[str]) -> dict[str, list[Any]]:
    return {f"c{i}": [row[name] for row in rows] for i, name in enumerate(names)}
