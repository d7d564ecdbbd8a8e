"""The DMS drop folder: new exports are imported once and moved aside."""

from __future__ import annotations

from pathlib import Path

import pytest

from schedulers.drop_folder import SETTING, import_drop_folders
from storage.db import session_scope
from storage.models import Customer, ImportBatch, StoreSetting
from tests import personas

EXPORT = (
    "客户姓名,手机号码,车架号,车牌号,车型,交车日期\n"
    "张伟,13800138000,LFV2A21K8N3000001,苏E3K8Z2,星途 L,2026-05-06\n"
)


@pytest.fixture
def drop(sessions, tmp_path) -> Path:
    folder = tmp_path / "dms"
    folder.mkdir()
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        s.add(StoreSetting(store_id=store.id, key=SETTING, value=str(folder)))
    return folder


def test_a_dropped_export_is_imported_and_moved_to_imported(sessions, drop):
    (drop / "deliveries-2026-11-22.csv").write_text(EXPORT, encoding="gb18030")
    [result] = import_drop_folders(sessions)
    assert result.report["inserted"] == 1 and result.error is None
    assert (drop / "imported" / "deliveries-2026-11-22.csv").exists()
    assert not (drop / "deliveries-2026-11-22.csv").exists()
    with session_scope(sessions) as s:
        assert [c.name for c in s.query(Customer)] == ["张伟"]
    assert import_drop_folders(sessions) == []


def test_the_same_export_dropped_again_is_not_imported_twice(sessions, drop):
    (drop / "a.csv").write_text(EXPORT, encoding="utf-8")
    import_drop_folders(sessions)
    (drop / "b.csv").write_text(EXPORT, encoding="utf-8")  # same bytes, new name
    [again] = import_drop_folders(sessions)
    assert again.report is None and (drop / "imported" / "b.csv").exists()
    with session_scope(sessions) as s:
        assert s.query(ImportBatch).count() == 1


def test_an_unreadable_drop_is_set_aside_with_its_reason(sessions, drop):
    (drop / "broken.xlsx").write_bytes(b"not a workbook")
    [result] = import_drop_folders(sessions)
    assert result.error and (drop / "imported" / "broken.xlsx").exists()
