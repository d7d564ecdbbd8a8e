"""SMS template versions: every saved number is kept with its text, who saved it and when, and
the history lists them with the campaigns approved on each; older numbers that were overwritten
before versions were stored show the text their campaigns kept."""

from __future__ import annotations

import sqlalchemy as sa

from storage.db import make_engine
from storage.migrate import upgrade


def test_a_template_saved_before_versions_were_stored_keeps_its_current_text(empty_url):
    upgrade(empty_url, "0009")
    engine = make_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO store (id, code, name, timezone) VALUES (1, 'SZ', '姑苏', 'Asia/Shanghai')"
        ))  # fmt: skip
        conn.execute(sa.text(
            "INSERT INTO sms_template (id, store_id, name, kind, occasion, purpose, body_zh, "
            "version, active, created_at, updated_at) VALUES (1, 1, '冬至', 'holiday', "
            "'new_year', 'marketing', '{customer}，冬至快乐！', 3, true, "
            "'2026-11-01 08:00:00', '2026-11-20 09:30:00')"
        ))  # fmt: skip
    upgrade(empty_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT template_id, number, body_zh, created_at FROM sms_template_version")
        ).all()
    engine.dispose()
    assert [(r[0], r[1], r[2]) for r in rows] == [(1, 3, "{customer}，冬至快乐！")]
    assert str(rows[0][3]).startswith("2026-11-20 09:30")
