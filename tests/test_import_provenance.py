"""Imports and the values they meet: a rerun changes nothing, a newer export updates, an
older one never overwrites what is known as of later (a correction made in the console)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storage.archive_import import WHOLE_RECORD, record_edit
from storage.db import session_scope
from storage.models import (
    AuditEntry,
    Customer,
    Delivery,
    FieldSource,
    ImportBatch,
    Phone,
    Vehicle,
)
from tests.import_helpers import (
    EARLY,
    LATER,
    LATEST,
    LI_COMPANY,
    ZHANG_CAR_1,
    ZHANG_CAR_2,
    counts,
    problems,
    run_import,
    suzhou,
    write_csv,
)

MOVED = [*ZHANG_CAR_1[:9], "苏州市吴中区东吴北路9号", ZHANG_CAR_1[10]]


@pytest.fixture
def archive(sessions):
    suzhou(sessions)
    return sessions


def street(sessions) -> str:
    with session_scope(sessions) as s:
        return s.scalars(select(Customer.street)).one()


def correct_street_in_console(sessions, value: str) -> None:
    with session_scope(sessions) as s:
        zhang = s.scalars(select(Customer)).one()
        zhang.street = value
        record_edit(s, "customer", zhang.id, "street", source="console", as_of=LATER)


def snapshot(sessions) -> list:
    """Every archive row, as stored."""
    tables = (Customer, Phone, Vehicle, Delivery, FieldSource)
    with session_scope(sessions) as s:
        return [s.execute(select(m.__table__).order_by(m.id)).all() for m in tables]


def test_importing_the_same_file_again_changes_nothing(archive, tmp_path):
    path = write_csv(tmp_path / "交车.csv", [ZHANG_CAR_1, ZHANG_CAR_2, LI_COMPANY])
    first = run_import(archive, path)
    before = snapshot(archive)
    again = run_import(archive, path)
    assert counts(first) == (3, 0, 0, 0) and counts(again) == (0, 0, 3, 0)
    assert snapshot(archive) == before


def test_each_imported_record_knows_as_of_when(archive, tmp_path):
    run_import(archive, write_csv(tmp_path / "交车.csv", [ZHANG_CAR_1]), as_of=EARLY)
    with session_scope(archive) as s:
        rows = s.execute(select(FieldSource.entity, FieldSource.field, FieldSource.source)).all()
        stamps = set(s.scalars(select(FieldSource.as_of)))
    assert sorted(rows) == [
        (e, WHOLE_RECORD, "import") for e in ("customer", "delivery", "vehicle")
    ]
    assert stamps == {EARLY}


def test_a_newer_export_updates_and_an_older_one_does_not(archive, tmp_path):
    run_import(archive, write_csv(tmp_path / "old.csv", [ZHANG_CAR_1]), as_of=EARLY)
    newer = run_import(archive, write_csv(tmp_path / "new.csv", [MOVED]), as_of=LATER)
    assert counts(newer) == (0, 1, 0, 0) and street(archive) == "东吴北路9号"
    older = run_import(archive, tmp_path / "old.csv", as_of=EARLY)
    assert counts(older) == (0, 0, 1, 0) and street(archive) == "东吴北路9号"


def test_a_console_correction_survives_an_older_export(archive, tmp_path):
    path = write_csv(tmp_path / "交车.csv", [ZHANG_CAR_1])
    run_import(archive, path, as_of=EARLY)
    correct_street_in_console(archive, "苏州市姑苏区人民路100号")
    report = run_import(archive, path, as_of=EARLY)
    assert counts(report) == (0, 0, 1, 0)
    assert street(archive) == "苏州市姑苏区人民路100号"


def test_a_console_correction_gives_way_to_a_newer_export(archive, tmp_path):
    run_import(archive, write_csv(tmp_path / "交车.csv", [ZHANG_CAR_1]), as_of=EARLY)
    correct_street_in_console(archive, "苏州市姑苏区人民路100号")
    report = run_import(archive, write_csv(tmp_path / "new.csv", [MOVED]), as_of=LATEST)
    assert counts(report) == (0, 1, 0, 0) and street(archive) == "东吴北路9号"
    with session_scope(archive) as s:
        source = s.scalars(select(FieldSource).where(FieldSource.field == "street")).one()
        assert (source.source, source.as_of) == ("import", LATEST)


def test_a_console_correction_recorded_by_hand_is_respected_too(archive, tmp_path):
    path = write_csv(tmp_path / "交车.csv", [ZHANG_CAR_1])
    run_import(archive, path, as_of=EARLY)
    with session_scope(archive) as s:
        zhang = s.scalars(select(Customer)).one()
        zhang.gender = "F"
        s.add(
            FieldSource(
                entity="customer", entity_id=zhang.id, field="gender", source="console",
                as_of=LATER,
            )
        )  # fmt: skip
    assert counts(run_import(archive, path, as_of=EARLY)) == (0, 0, 1, 0)


def test_an_empty_cell_never_clears_a_stored_value(archive, tmp_path):
    run_import(archive, write_csv(tmp_path / "a.csv", [ZHANG_CAR_1]), as_of=EARLY)
    blank = [*ZHANG_CAR_1[:9], "", ""]
    report = run_import(archive, write_csv(tmp_path / "b.csv", [blank]), as_of=LATER)
    assert counts(report) == (0, 0, 1, 0) and street(archive) == "人民路1号"


def test_later_rows_of_a_customer_only_fill_what_the_first_left_empty(archive, tmp_path):
    second = [*ZHANG_CAR_2[:9], "另一个地址", ZHANG_CAR_2[10]]
    path = write_csv(tmp_path / "交车.csv", [ZHANG_CAR_1, second])
    report = run_import(archive, path)
    assert problems(report) == [
        "line 3: [warning] 地址: differs from line 2 for the same customer; line 2's kept"
    ]
    assert street(archive) == "人民路1号"
    assert counts(run_import(archive, path)) == (0, 0, 2, 0)


def test_a_dry_run_counts_everything_and_saves_nothing(archive, tmp_path):
    bad = ["王芳", "女", "13900139000", "个人", "", "苏E99999", "", "", "", "", ""]
    path = write_csv(tmp_path / "交车.csv", [ZHANG_CAR_1, bad])
    report = run_import(archive, path, dry_run=True)
    assert counts(report) == (1, 0, 0, 1) and report.rejects_file is None
    assert not (tmp_path / "交车.rejects.csv").exists()
    with session_scope(archive) as s:
        for model in (Customer, Vehicle, FieldSource, ImportBatch, AuditEntry):
            assert s.scalar(select(func.count()).select_from(model)) == 0


def test_each_import_is_recorded_and_audited(archive, tmp_path):
    report = run_import(archive, write_csv(tmp_path / "交车.csv", [ZHANG_CAR_1]))
    with session_scope(archive) as s:
        batch = s.scalars(select(ImportBatch)).one()
        audit = s.scalars(select(AuditEntry)).one()
    assert (batch.file_name, batch.kind, batch.counts) == (
        "交车.csv",
        "deliveries",
        report.counts(),
    )
    assert len(batch.sha256) == 64 and batch.finished_at is not None
    assert (audit.action, audit.entity, audit.entity_id) == ("import", "import_batch", batch.id)


def test_a_name_corrected_in_the_console_still_finds_its_customer(archive, tmp_path):
    path = write_csv(tmp_path / "交车.csv", [ZHANG_CAR_1])
    run_import(archive, path, as_of=EARLY)
    with session_scope(archive) as s:
        zhang = s.scalars(select(Customer)).one()
        zhang.name = "张伟（公司）"
        record_edit(s, "customer", zhang.id, "name", source="console", as_of=LATER)
    report = run_import(archive, path, as_of=EARLY)
    assert counts(report) == (0, 0, 1, 0)
    with session_scope(archive) as s:
        assert s.scalars(select(Customer.name)).all() == ["张伟（公司）"]
