"""How people type archive values, and the one form they are stored and compared in."""

from datetime import time

import pytest

from storage.archive import normalise as norm
from storage.archive.search import kinds_of


@pytest.mark.parametrize(
    "typed",
    [
        "13800138000",
        "138 0013 8000",
        "138-0013-8000",
        "+86 138 0013 8000",
        "+86-13800138000",
        "008613800138000",
        "8613800138000",
        "１３８００１３８０００",  # full-width digits, as Chinese input methods type them
        " (138) 0013 8000 ",
    ],
)
def test_a_mobile_number_in_any_form_reads_as_one_e164_number(typed):
    assert norm.to_e164(typed) == "+8613800138000"


@pytest.mark.parametrize("typed", ["0512-68258800", "(0512) 6825 8800", "+86 512 6825 8800"])
def test_a_landline_with_its_area_code_reads_as_one_e164_number(typed):
    assert norm.to_e164(typed) == "+8651268258800"


@pytest.mark.parametrize("typed", ["", "8000", "68258800", "张伟", "1380013800"])
def test_what_is_not_a_whole_number_is_not_taken_for_one(typed):
    assert norm.to_e164(typed) is None


def test_plates_lose_case_spaces_dots_and_dashes():
    for typed in ("苏E3K8Z2", "苏e·3k8z2", "苏E 3K8Z2", "苏E.3K8Z2", "苏E-3K8Z2", "苏Ｅ３Ｋ８Ｚ２"):
        assert norm.plate_key(typed) == "苏E3K8Z2"


def test_a_vin_query_is_a_whole_vin_or_its_last_six_or_more():
    assert norm.vin_query("lfv2a21k8n3000001") == "LFV2A21K8N3000001"
    assert norm.vin_query("3000001") == "3000001"
    assert norm.vin_query("00001") is None  # too short to tell cars apart


def test_call_windows_are_read_sorted_and_written_back_in_one_form():
    windows = norm.parse_call_windows("19:00-20:30；9:00-11:30")  # full-width ';' and 9:00
    assert windows == [(time(9), time(11, 30)), (time(19), time(20, 30))]
    assert norm.format_call_windows(windows) == "09:00-11:30;19:00-20:30"
    assert norm.format_call_windows(norm.parse_call_windows("")) is None


@pytest.mark.parametrize("typed", ["9-11", "09:00-08:00", "25:00-26:00", "09:00-12:00;11:00-13:00"])
def test_malformed_backwards_or_overlapping_call_windows_are_refused(typed):
    with pytest.raises(ValueError):
        norm.parse_call_windows(typed)


def test_blocked_days_are_iso_weekdays():
    assert norm.format_blocked_days(norm.parse_blocked_days("7, 6,6")) == "6,7"
    with pytest.raises(ValueError):
        norm.parse_blocked_days("0,8")


@pytest.mark.parametrize(
    ("typed", "kind"),
    [
        ("张伟", "name"),
        ("小明", "name"),
        ("138 0013 8000", "e164"),
        ("8000", "digits"),
        ("苏e·3k8z2", "plate"),
        ("E3K8Z2", "plate"),
        ("LFV2A21K8N3000001", "vin"),
        ("000001", "vin"),
    ],
)
def test_one_box_reads_each_kind_of_key(typed, kind):
    assert getattr(kinds_of(typed), kind)
    if kind != "name":
        assert kinds_of(typed).name is None  # a coded key never scans the names
