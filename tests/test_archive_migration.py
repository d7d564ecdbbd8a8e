"""Migration 0003 on both databases: rows written before it get their search keys."""

from __future__ import annotations

import sqlalchemy as sa

from storage.db import make_engine
from storage.migrate import upgrade


def test_plates_and_numbers_already_on_file_are_searchable_after_the_upgrade(empty_url):
    """Migration 0003 computes the search keys of rows written before it."""
    upgrade(empty_url, "0002")
    engine = make_engine(empty_url)
    with engine.begin() as conn:
        for statement in OLD_ROWS:
            conn.execute(sa.text(statement))
    upgrade(empty_url)
    with engine.connect() as conn:
        keys = conn.execute(sa.text("SELECT plate_key, plate_tail, vin_tail FROM vehicle")).one()
        tail = conn.execute(sa.text("SELECT tail FROM phone")).scalar()
    engine.dispose()
    assert tuple(keys) == ("苏E3K8Z2", "E3K8Z2", "000001") and tail == "8000"


OLD_ROWS = (
    "INSERT INTO store (id, code, name, timezone) VALUES (1, 'SZ', '姑苏', 'Asia/Shanghai')",
    "INSERT INTO customer (id, store_id, name, is_company, source, created_at, updated_at)"
    " VALUES (1, 1, '张伟', false, 'import', '2026-01-02 03:04:05', '2026-01-02 03:04:05')",
    "INSERT INTO phone (id, customer_id, e164, kind, position, validity)"
    " VALUES (1, 1, '+8613800138000', 'mobile', 0, 'valid')",
    "INSERT INTO vehicle (id, store_id, customer_id, vin, plate)"
    " VALUES (1, 1, 1, 'LFV2A21K8N3000001', '苏e·3K8 Z2')",
)
