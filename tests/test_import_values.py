"""What DMS cells mean: phones, dates, codes and headers, read without a database."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import pytest

from storage.archive_import.dates import parse_time, parse_when
from storage.archive_import.headers import CUSTOMERS, DELIVERIES, REPAIR_ORDERS, map_headers
from storage.archive_import.normalize import (
    BadValue,
    clean_text,
    parse_amount,
    parse_gender,
    parse_is_company,
    parse_model_year,
    parse_phones,
    parse_plate,
    parse_repair_type,
    parse_vin,
)


@pytest.mark.parametrize(
    "written, e164, kind",
    [
        ("13800138000", "+8613800138000", "mobile"),
        ("１３８００１３８０００", "+8613800138000", "mobile"),  # full-width digits
        ("138 0013-8000", "+8613800138000", "mobile"),
        ("+86 138 0013 8000", "+8613800138000", "mobile"),
        ("8613800138000", "+8613800138000", "mobile"),
        ("0512-68258800", "+8651268258800", "landline"),
        ("(021) 5555 1234", "+862155551234", "landline"),
        (13800138000.0, "+8613800138000", "mobile"),  # a number cell of a workbook
    ],
)
def test_phones_become_e164_with_their_kind(written, e164, kind):
    [phone] = parse_phones(written)
    assert (phone.e164, phone.kind, phone.valid) == (e164, kind, True)


def test_an_invalid_phone_is_kept_as_written_and_flagged():
    [phone] = parse_phones("6825880")
    assert (phone.e164, phone.valid) == ("6825880", False)


def test_one_cell_may_hold_two_numbers():
    numbers = [p.e164 for p in parse_phones("13800138000 / 0512-68258800")]
    assert numbers == ["+8613800138000", "+8651268258800"]


@pytest.mark.parametrize(
    "written, expected",
    [
        ("2024-05-06", (date(2024, 5, 6), None)),
        ("2024/5/6", (date(2024, 5, 6), None)),
        ("2024.5.6", (date(2024, 5, 6), None)),
        ("2024年5月6日", (date(2024, 5, 6), None)),
        ("20240506", (date(2024, 5, 6), None)),
        ("45418", (date(2024, 5, 6), None)),  # an Excel serial written as text
        (45418, (date(2024, 5, 6), None)),
        (45418.75, (date(2024, 5, 6), time(18, 0))),
        ("2024/5/6 9:05", (date(2024, 5, 6), time(9, 5))),
        ("2024-05-06 14:30:15", (date(2024, 5, 6), time(14, 30, 15))),
        (datetime(2024, 5, 6, 0, 0), (date(2024, 5, 6), None)),
        (datetime(2024, 5, 6, 10, 30), (date(2024, 5, 6), time(10, 30))),
        (date(2024, 5, 6), (date(2024, 5, 6), None)),
    ],
)
def test_dates_are_read_in_their_usual_forms(written, expected):
    assert parse_when(written) == expected


@pytest.mark.parametrize("written", ["2024-13-01", "2024-02-30", "next week", "5/6", "0"])
def test_an_impossible_date_is_a_bad_value(written):
    with pytest.raises(BadValue):
        parse_when(written)


def test_a_delivery_time_may_be_text_a_time_cell_or_a_day_fraction():
    assert parse_time("14:30") == parse_time(time(14, 30)) == parse_time(0.6041666) == time(14, 30)
    assert parse_time("14时30分") == time(14, 30)


def test_codes_are_read_in_chinese_and_english():
    assert [parse_gender(g) for g in ("男", "女", "M", "female")] == ["M", "F", "M", "F"]
    assert [parse_is_company(t) for t in ("个人", "私", "公司", "单位", "company")] == [
        False, False, True, True, True,
    ]  # fmt: skip
    assert [parse_repair_type(t) for t in ("首保", "一般维修", "钣喷", "索赔", "保险理赔")] == [
        "maintenance", "repair", "body_paint", "warranty", "insurance",
    ]  # fmt: skip


def test_vins_plates_amounts_and_years_are_normalised():
    assert parse_vin(" lfv2a21k8n3000001 ") == "LFV2A21K8N3000001"
    assert parse_plate("苏E·3K8 Z2") == "苏E3K8Z2"
    assert parse_amount("¥1,280.5") == Decimal("1280.50")
    assert parse_model_year("2023款") == 2023
    assert clean_text("  张 伟 ") == "张伟"


@pytest.mark.parametrize("vin", ["LFV2A21K8N300001", "LFV2A21K8N300000I", "LFV2A21K8N3000O01"])
def test_a_vin_must_be_17_characters_without_i_o_q(vin):
    with pytest.raises(BadValue):
        parse_vin(vin)


def test_headers_match_in_chinese_or_english_whatever_the_spelling():
    headers = ["姓名", "Phone", "VIN", "Model_Year", "交车日期（年月日）", "销售顾问", "客户等级"]
    columns = map_headers(headers, 1, "auto", "x.csv")
    assert columns.kind == DELIVERIES
    assert columns.index == {"name": 0, "vin": 2, "model_year": 3, "delivery_date": 4,
                             "consultant": 5}  # fmt: skip
    assert columns.phones == (1,)
    assert [str(p) for p in columns.problems] == [
        "line 1: [warning] 客户等级: unknown column (column 7), ignored"
    ]


def test_the_kind_follows_the_columns_and_type_follows_the_kind():
    repair = map_headers(["RO No.", "VIN", "opened", "type"], 1, "auto", "x.csv")
    assert repair.kind == REPAIR_ORDERS and repair.index["ro_type"] == 3
    customers = map_headers(["name", "phone", "type"], 1, "auto", "x.csv")
    assert customers.kind == CUSTOMERS and customers.index["customer_type"] == 2
