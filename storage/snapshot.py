"""Read-only sessions on other connections that see exactly what a transaction sees, so that
large reads can run side by side (PostgreSQL's exported snapshots).

Only possible on PostgreSQL, and only while the transaction has written nothing: its own
uncommitted rows are invisible to any other connection. Otherwise ``snapshot_sessions``
yields None and the caller reads on its own session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager

from sqlalchemy import text
from sqlalchemy.orm import Session


@contextmanager
def snapshot_sessions(
    session: Session, settings: Sequence[str] = ()
) -> Iterator[Callable[[], Session] | None]:
    """A factory of sessions sharing ``session``'s snapshot (each on its own connection, each
    with ``settings`` applied as ``SET LOCAL``), or None where that cannot be done. They are
    rolled back and closed on exit."""
    bind = session.get_bind()
    if bind.dialect.name != "postgresql" or _has_written(session):
        yield None
        return
    snapshot = session.execute(text("SELECT pg_export_snapshot()")).scalar_one()
    engine = bind.engine
    with ExitStack() as stack:

        def open_session() -> Session:
            conn = stack.enter_context(
                engine.connect().execution_options(isolation_level="REPEATABLE READ")
            )
            conn.begin()
            conn.execute(text(f"SET TRANSACTION SNAPSHOT '{snapshot}'"))
            for setting in settings:
                conn.execute(text(f"SET LOCAL {setting}"))
            return stack.enter_context(Session(bind=conn))

        yield open_session


def _has_written(session: Session) -> bool:
    """Whether the transaction holds a transaction id, which it gets at its first write."""
    return session.execute(text("SELECT pg_current_xact_id_if_assigned()")).scalar() is not None
