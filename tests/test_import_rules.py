"""The import's rules: who is the same customer, which rows are rejected and why, what is only
a warning, and how repair orders find their car."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storage.codes import PhoneValidity
from storage.db import session_scope
from storage.models import Customer, Delivery, OwnershipChange, Phone, RepairOrder, Vehicle
from tests.import_helpers import (
    DELIVERY_HEADER,
    LI_COMPANY,
    RO_HEADER,
    RO_ZHANG,
    VIN_LI,
    VIN_ZHANG_1,
    ZHANG_CAR_1,
    ZHANG_CAR_2,
    counts,
    problems,
    run_import,
    suzhou,
    write_csv,
)


@pytest.fixture
def archive(sessions):
    suzhou(sessions)
    return sessions


def count(sessions, model) -> int:
    with session_scope(sessions) as s:
        return s.scalar(select(func.count()).select_from(model))


def test_a_person_with_two_cars_on_two_rows_is_one_customer(archive, tmp_path):
    report = run_import(archive, write_csv(tmp_path / "交车.csv", [ZHANG_CAR_1, ZHANG_CAR_2]))
    assert counts(report) == (2, 0, 0, 0)
    with session_scope(archive) as s:
        zhang = s.scalars(select(Customer)).one()
        assert (zhang.name, zhang.gender, zhang.is_company) == ("张伟", "M", False)
        assert [p.e164 for p in zhang.phones] == ["+8613800138000"]
        assert sorted(v.plate for v in zhang.vehicles) == ["苏E12345", "苏E3K8Z2"]
        assert s.scalar(select(func.count()).select_from(Delivery)) == 2


def test_a_row_with_customer_data_only_is_a_customer_without_a_car(archive, tmp_path):
    report = run_import(archive, write_csv(tmp_path / "客户.csv", [LI_COMPANY]))
    assert counts(report) == (1, 0, 0, 0)
    with session_scope(archive) as s:
        li = s.scalars(select(Customer)).one()
        assert (li.is_company, li.street, li.vehicles) == (True, "苏州工业园区星湖街8号", [])
        assert [(p.e164, p.kind) for p in li.phones] == [("+8651268258800", "landline")]


def test_the_same_name_without_phone_is_matched_by_the_vin_of_their_car(archive, tmp_path):
    run_import(archive, write_csv(tmp_path / "a.csv", [ZHANG_CAR_1]))
    no_phone = [*ZHANG_CAR_1[:2], "", *ZHANG_CAR_1[3:8], "2024/5/6", "新地址", ""]
    report = run_import(archive, write_csv(tmp_path / "b.csv", [no_phone]))
    assert counts(report) == (0, 1, 0, 0)
    assert count(archive, Customer) == 1


def test_a_vin_of_another_customer_moves_to_this_row_with_an_ownership_change(archive, tmp_path):
    run_import(archive, write_csv(tmp_path / "a.csv", [ZHANG_CAR_1]))
    sold = ["王芳", "女", "13900139000", "个人", *ZHANG_CAR_1[4:9], "", ""]
    report = run_import(archive, write_csv(tmp_path / "b.csv", [sold]))
    assert counts(report) == (1, 0, 0, 0)
    with session_scope(archive) as s:
        owner = s.scalar(select(Customer.name).join(Vehicle, Vehicle.customer_id == Customer.id))
        change = s.scalars(select(OwnershipChange)).one()
        assert owner == "王芳" and change.source == "import"


@pytest.mark.parametrize(
    "row, fragment",
    [
        (["王芳", "女", "13900139000", "个人", "", "苏E99999", "", "", "", "", ""], "no VIN"),
        (["王芳", "女", "13900139000", "个人", "", "", "瑶光", "", "2024-05-06", "", ""], "no VIN"),
        (["王芳", "女", "13900139000", "个人", "LFV2A21K8N300000I", "", "", "", "", "", ""],
         "is not a VIN"),
        (["王芳", "女", "13900139000", "个人", VIN_LI, "", "", "", "2024-13-01", "", ""],
         "'2024-13-01' is not a date"),
        (["", "女", "13900139000", "个人", VIN_LI, "", "", "", "", "", ""], "name missing"),
    ],
)  # fmt: skip
def test_rows_that_cannot_be_archived_are_rejected_with_their_reason(
    archive, tmp_path, row, fragment
):
    report = run_import(archive, write_csv(tmp_path / "交车.csv", [LI_COMPANY, row]))
    assert counts(report) == (1, 0, 0, 1)
    [problem] = report.problems
    assert (problem.line, problem.level) == (3, "error") and fragment in problem.message
    assert count(archive, Vehicle) == 0


@pytest.mark.parametrize(
    "row, fragment",
    [
        (["", VIN_ZHANG_1, "2026-11-18", "", "保养", "", "", ""], "repair order number missing"),
        (["RO-1", VIN_ZHANG_1, "", "", "保养", "", "", ""], "opened date missing"),
        (["RO-1", VIN_ZHANG_1, "18/11/2026", "", "保养", "", "", ""], "is not a date"),
        (["RO-1", VIN_ZHANG_1, "2026-11-18", "tomorrow", "保养", "", "", ""], "is not a date"),
        (["RO-1", "", "2026-11-18", "", "保养", "", "", ""], "VIN missing"),
    ],
)
def test_repair_orders_need_a_number_and_readable_dates(archive, tmp_path, row, fragment):
    report = run_import(archive, write_csv(tmp_path / "工单.csv", [row], header=RO_HEADER))
    assert counts(report) == (0, 0, 0, 1)
    assert report.problems[0].line == 2 and fragment in report.problems[0].message


def test_an_empty_closed_date_is_a_car_still_in_the_workshop(archive, tmp_path):
    open_ro = [*RO_ZHANG[:3], "", *RO_ZHANG[4:]]
    report = run_import(archive, write_csv(tmp_path / "工单.csv", [open_ro], header=RO_HEADER))
    assert (report.inserted, report.rejected) == (1, 0)
    with session_scope(archive) as s:
        assert s.scalars(select(RepairOrder.closed_at)).one() is None


def test_a_later_row_that_conflicts_on_a_vin_is_rejected_naming_the_earlier_line(archive, tmp_path):
    other_plate = [*ZHANG_CAR_1[:5], "苏E00000", *ZHANG_CAR_1[6:]]
    rows = [ZHANG_CAR_1, LI_COMPANY, ZHANG_CAR_1, other_plate]
    report = run_import(archive, write_csv(tmp_path / "交车.csv", rows))
    assert counts(report) == (2, 0, 1, 1)  # the identical repeat is simply unchanged
    assert problems(report) == [
        f"line 5: [error] 车架号: VIN {VIN_ZHANG_1} conflicts with line 2 "
        "(same VIN, different values)"
    ]


def test_a_later_row_that_conflicts_on_an_ro_number_is_rejected(archive, tmp_path):
    rows = [RO_ZHANG, [*RO_ZHANG[:7], "999.00"]]
    report = run_import(archive, write_csv(tmp_path / "工单.csv", rows, header=RO_HEADER))
    assert counts(report) == (1, 0, 0, 1)
    assert "conflicts with line 2" in report.problems[-1].message


def test_bad_optional_values_are_warnings_and_stay_empty(archive, tmp_path):
    row = ["张伟", "未知", "13800138000", "个体户", VIN_ZHANG_1, "苏E3K8Z2", "星途 L", "明年",
           "2024/5/6", "人民路1号", "1985-02-30"]  # fmt: skip
    report = run_import(archive, write_csv(tmp_path / "交车.csv", [row]))
    assert counts(report) == (1, 0, 0, 0)
    assert {(p.line, p.level, p.field) for p in report.problems} == {
        (2, "warning", "性别"), (2, "warning", "客户性质"), (2, "warning", "年款"),
        (2, "warning", "生日"),
    }  # fmt: skip
    with session_scope(archive) as s:
        zhang = s.scalars(select(Customer)).one()
        assert (zhang.gender, zhang.birthday, zhang.vehicles[0].model_year) == (None, None, None)


def test_an_invalid_phone_keeps_the_customer_and_flags_the_number(archive, tmp_path):
    row = ["王芳", "女", "139 0013", "个人", "", "", "", "", "", "", ""]
    report = run_import(archive, write_csv(tmp_path / "客户.csv", [row]))
    assert (report.inserted, report.warnings) == (1, 1)
    assert "'1390013' is not a valid phone number" in report.problems[0].message
    with session_scope(archive) as s:
        phone = s.scalars(select(Phone)).one()
        assert (phone.e164, phone.validity) == ("1390013", PhoneValidity.WRONG)


def test_unknown_headers_are_reported_once_on_the_header_line(archive, tmp_path):
    rows = [[*LI_COMPANY, "VIP"], [*ZHANG_CAR_1, "VIP"]]
    path = write_csv(tmp_path / "客户.csv", rows, header=[*DELIVERY_HEADER, "客户等级"])
    report = run_import(archive, path)
    assert problems(report) == ["line 1: [warning] 客户等级: unknown column (column 12), ignored"]
    assert report.warnings == 1


def test_a_repair_order_of_an_unknown_car_is_kept_then_linked_when_the_car_comes(archive, tmp_path):
    repairs = write_csv(tmp_path / "工单.csv", [RO_ZHANG], header=RO_HEADER)
    report = run_import(archive, repairs)
    assert (report.inserted, report.warnings) == (1, 1)
    assert f"{VIN_ZHANG_1} is not in the archive yet" in report.problems[0].message
    run_import(archive, write_csv(tmp_path / "交车.csv", [ZHANG_CAR_1]))
    with session_scope(archive) as s:
        ro = s.scalars(select(RepairOrder)).one()
        car = s.scalars(select(Vehicle)).one()
        assert (ro.vehicle_id, ro.customer_id) == (car.id, car.customer_id)
        assert (ro.ro_type, str(ro.amount), ro.odometer_km) == ("maintenance", "680.00", 9800)
    again = run_import(archive, repairs)
    assert (again.unchanged, again.warnings) == (1, 0)


def test_a_repair_order_of_a_known_car_is_linked_at_once(archive, tmp_path):
    run_import(archive, write_csv(tmp_path / "交车.csv", [ZHANG_CAR_1]))
    report = run_import(archive, write_csv(tmp_path / "工单.csv", [RO_ZHANG], header=RO_HEADER))
    assert (report.inserted, report.warnings) == (1, 0)
    with session_scope(archive) as s:
        assert s.scalars(select(RepairOrder.vehicle_id)).one() is not None
