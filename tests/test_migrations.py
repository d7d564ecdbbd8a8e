"""Migrations carry existing rows forward, on both databases."""

import sqlalchemy as sa

from storage.db import make_engine
from storage.migrate import current, upgrade


def test_repair_orders_of_the_skeleton_schema_get_their_vin_on_upgrade(empty_url):
    upgrade(empty_url, "0001")
    engine = make_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO store (id, code, name, timezone) "
                "VALUES (1, 'SZ', '姑苏', 'Asia/Shanghai')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO customer (id, store_id, name, is_company, source, created_at) "
                "VALUES (1, 1, '张伟', false, 'import', '2026-01-02 03:04:05')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO vehicle (id, store_id, customer_id, vin) "
                "VALUES (1, 1, 1, 'LFV2A21K8N3000001')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO repair_order (id, store_id, ro_number, vehicle_id, customer_id, "
                "opened_at, ro_type) VALUES (1, 1, 'RO-1', 1, 1, '2026-01-02 03:04:05', 'repair')"
            )
        )
    upgrade(empty_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT vin FROM repair_order")).scalar() == "LFV2A21K8N3000001"
        assert conn.execute(sa.text("SELECT updated_at FROM customer")).scalar() is not None
    engine.dispose()
    assert current(empty_url) is not None
