"""Per-store settings (storage/settings.py): every number of DOMAIN.md's follow-up rules, typed,
with its default; values checked with messages that name the key and what it accepts; saved all
or nothing, only what changed, with one audit entry."""

from __future__ import annotations

import logging
from datetime import time

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import event, func, select

from storage.db import session_scope
from storage.errors import InvalidInput, NotFound
from storage.models import AuditEntry, Store, StoreSetting
from storage.settings import (
    GROUPS,
    ORDER_RULE,
    REGISTRY,
    RULES,
    InvalidSettings,
    format_value,
    load_all,
    load_settings,
    parse_value,
    save_settings,
)
from tests import personas
from tests.stack import ROOT

# The keys and defaults other parts of Huifang read (the planner above all): DOMAIN.md,
# "Follow-up timing", plus the two archive settings. A renamed key breaks its readers silently.
DOMAIN_DEFAULTS = {
    "calling.windows": "09:00-12:00;14:00-20:30",
    "calling.holidays_no_call": "true",
    "day_start": "09:00",
    "horizon_days": "7",
    "contact_cap.days": "3",
    "contact_cap.calls": "1",
    "retry.max_attempts": "5",
    "retry.first_delay_min": "120",
    "retry.rejected_retries": "1",
    "delivery_care.after_min": "60",
    "delivery_care.deadline_min": "120",
    "sales_3dc.due_day": "1",
    "sales_3dc.deadline_day": "3",
    "sales_7dc.due_day": "5",
    "sales_7dc.deadline_day": "7",
    "repair_3dc.due_day": "1",
    "repair_3dc.deadline_day": "3",
    "repair.major_amount_yuan": "10000",  # issue 6: above it, the major-repair script
    "first_maintenance.months": "3",
    "first_maintenance.km": "5000",
    "first_maintenance.lead_days": "30",
    "first_maintenance.grace_days": "14",
    "maintenance.bands_km": "4500-5500;9500-10500",
    "maintenance.every_km": "10000",
    "maintenance.tolerance_km": "500",
    "maintenance.months": "6",
    "maintenance.deadline_days": "30",
    "maintenance.km_per_day": "40",
    "churn.no_visit_days": "90",
    "churn.km": "8000",
    "churn.deadline_days": "14",
    "churn.new_customer_days": "180",
    "churn.local_plate_prefixes": "",
    "periodic_sales.every_months": "3",
    "periodic_sales.for_months": "24",
    "periodic_sales.deadline_days": "14",
    "insurance_renewal.lead_days": "45",
    "insurance_renewal.deadline_days_before": "7",
    "callback.deadline_days": "1",
    "import.drop_folder": "",
    "retention_target_pct": "90",
    "sms.send_window": "09:00-20:00",  # issue 7: SMS only in the daytime
    "sms.rate_per_s": "10",  # Twilio: about 10/s per sender outside the US
    "dialing.mode": "progressive",  # issue 5: progressive is the default
    "dialing.abandon_cap_pct": "3",  # issue 5: 3% of answered calls per day
    "dialing.wrap_up_s": "0",  # the agent ends the wrap-up unless the store sets a timer
}


@pytest.fixture
def suzhou(sessions) -> tuple[int, int]:
    """The Suzhou store and its centre head 周主管: (store id, user id)."""
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        boss = personas.person(s, store, "boss", "周主管", "centre_head")
        return store.id, boss.id


def _rows(sessions, store_id: int) -> dict[str, str]:
    with session_scope(sessions) as s:
        rows = s.execute(select(StoreSetting.key, StoreSetting.value).where(
            StoreSetting.store_id == store_id))  # fmt: skip
        return {key: value for key, value in rows}


def _audits(sessions) -> list[AuditEntry]:
    with session_scope(sessions) as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == "settings")))


# ---------- the registry and its defaults ----------


def test_the_registry_holds_every_domain_number_under_the_names_its_readers_use():
    assert {key: s.default for key, s in REGISTRY.items()} == DOMAIN_DEFAULTS


def test_every_default_is_in_its_stored_form_and_inside_its_own_range():
    for key, s in REGISTRY.items():
        assert format_value(key, parse_value(key, s.default)) == s.default, key
        assert s.group in GROUPS, key


def test_a_store_with_nothing_stored_gets_the_defaults_typed(sessions, suzhou):
    store_id, _ = suzhou
    with session_scope(sessions) as s:
        settings = load_settings(s, store_id)
    assert settings.get("repair_3dc.due_day") == 1 and settings.number("repair_3dc.due_day") == 1
    assert settings["calling.holidays_no_call"] is True
    assert settings.clock("day_start") == time(9, 0)
    assert settings.windows("calling.windows") == (
        (time(9, 0), time(12, 0)),
        (time(14, 0), time(20, 30)),
    )
    assert settings.km_bands("maintenance.bands_km") == ((4500, 5500), (9500, 10500))
    assert settings.string("churn.local_plate_prefixes") == ""
    assert settings.as_text("calling.windows") == "09:00-12:00;14:00-20:30"
    assert settings.changed == {} and all(settings.is_default(key) for key in REGISTRY)


def test_asking_for_an_unknown_setting_or_the_wrong_type_fails_loudly(sessions, suzhou):
    with session_scope(sessions) as s:
        settings = load_settings(s, suzhou[0])
    with pytest.raises(InvalidInput, match="unknown setting 'repair_3dc.due_days'"):
        settings.get("repair_3dc.due_days")
    with pytest.raises(TypeError):
        settings.flag("repair_3dc.due_day")


# ---------- reading one value ----------


@pytest.mark.parametrize(
    ("key", "text", "allowed"),
    [
        ("repair_3dc.due_day", "one", "a whole number from 0 to 60"),
        ("retry.max_attempts", "21", "a whole number from 1 to 20"),
        ("retry.max_attempts", "2.5", "a whole number from 1 to 20"),
        ("calling.holidays_no_call", "maybe", "yes or no"),
        ("day_start", "9 am", "a time of day as HH:MM"),
        ("day_start", "24:00", "a time of day as HH:MM"),
        ("calling.windows", "", "1 to 6 windows HH:MM-HH:MM"),
        ("calling.windows", "09:00-12:00;11:00-13:00", "not overlapping"),
        ("calling.windows", "12:00-09:00", "1 to 6 windows HH:MM-HH:MM"),
        ("maintenance.bands_km", "5500-4500", "km bands FROM-TO"),
        ("maintenance.bands_km", "4500-5500;5000-6000", "not overlapping"),
        ("churn.local_plate_prefixes", "粤B;粤S", "plate prefixes separated by commas"),
        ("import.drop_folder", "exports/dms", "an absolute folder path"),
        ("import.drop_folder", "/" + "d" * 255, "at most 255 characters"),
    ],
)
def test_a_refused_value_names_its_key_and_what_the_setting_accepts(key, text, allowed):
    with pytest.raises(InvalidInput) as refused:
        parse_value(key, text)
    assert refused.value.code == "invalid_setting"
    assert refused.value.details["key"] == key and refused.value.details["field"] == key
    assert f"setting {key}: expected" in refused.value.message
    assert allowed in refused.value.message and repr(text) in refused.value.message


def test_an_unknown_key_is_refused_by_name():
    with pytest.raises(InvalidInput) as refused:
        parse_value("repair_3dc.due", "1")
    assert refused.value.code == "unknown_setting" and "'repair_3dc.due'" in refused.value.message


def test_values_are_read_as_people_type_them():
    assert parse_value("retry.max_attempts", " １０ ") == 10  # full-width digits
    assert parse_value("calling.holidays_no_call", "否") is False
    assert parse_value("day_start", "8:30") == time(8, 30)
    assert parse_value("calling.windows", "14:00-20:30, 09:00-12:00") == (
        (time(9, 0), time(12, 0)),
        (time(14, 0), time(20, 30)),
    )
    assert parse_value("maintenance.bands_km", "9500 - 10500；4,500-5,500") == (
        (4500, 5500),
        (9500, 10500),
    )
    assert parse_value("churn.local_plate_prefixes", "粤b， 粤S,粤B") == "粤B,粤S"
    assert parse_value("import.drop_folder", " /srv/dms/exports ") == "/srv/dms/exports"


# ---------- saving ----------


def test_saving_writes_only_the_changed_values_and_one_audit_entry(sessions, suzhou, now):
    store_id, boss = suzhou
    with session_scope(sessions) as s:
        changes = save_settings(
            s,
            store_id,
            {"repair_3dc.due_day": "2", "sales_3dc.due_day": "1", "calling.windows": "9:00-12:00"},
            boss,
            now,
        )
    assert changes == {
        "repair_3dc.due_day": ("1", "2"),
        "calling.windows": ("09:00-12:00;14:00-20:30", "09:00-12:00"),
    }
    assert _rows(sessions, store_id) == {
        "repair_3dc.due_day": "2",
        "calling.windows": "09:00-12:00",
    }
    (audit,) = _audits(sessions)
    assert (audit.store_id, audit.user_id, audit.at) == (store_id, boss, now)
    assert audit.details == {
        "repair_3dc.due_day": ["1", "2"],
        "calling.windows": ["09:00-12:00;14:00-20:30", "09:00-12:00"],
    }
    with session_scope(sessions) as s:
        settings = load_settings(s, store_id)
        row = s.scalar(select(StoreSetting).where(StoreSetting.key == "repair_3dc.due_day"))
    assert settings.number("repair_3dc.due_day") == 2 and not settings.is_default("calling.windows")
    assert row is not None and (row.updated_by_id, row.updated_at) == (boss, now)


def test_saving_the_same_values_again_writes_and_audits_nothing(sessions, suzhou, now):
    store_id, boss = suzhou
    for _ in range(2):
        with session_scope(sessions) as s:
            changes = save_settings(s, store_id, {"churn.km": "6000"}, boss, now)
    assert changes == {} and len(_audits(sessions)) == 1


def test_one_refused_value_saves_nothing_and_every_refusal_is_reported(sessions, suzhou, now):
    store_id, boss = suzhou
    with session_scope(sessions) as s, pytest.raises(InvalidSettings) as refused:
        save_settings(
            s,
            store_id,
            {"churn.km": "6000", "retry.max_attempts": "0", "day_start": "9"},
            boss,
            now,
        )
    assert set(refused.value.errors) == {"retry.max_attempts", "day_start"}
    assert "a whole number from 1 to 20" in refused.value.errors["retry.max_attempts"].message
    assert _rows(sessions, store_id) == {} and _audits(sessions) == []


def test_a_deadline_before_its_due_day_is_refused_against_the_stored_values(sessions, suzhou, now):
    store_id, boss = suzhou
    with session_scope(sessions) as s:
        save_settings(s, store_id, {"repair_3dc.deadline_day": "5"}, boss, now)
    with session_scope(sessions) as s, pytest.raises(InvalidSettings) as refused:
        save_settings(s, store_id, {"repair_3dc.due_day": "6"}, boss, now)
    error = refused.value.errors["repair_3dc.deadline_day"]
    assert error.details["rule"] == ORDER_RULE and error.details["other"] == "repair_3dc.due_day"
    assert "repair_3dc.deadline_day" in error.message and "repair_3dc.due_day (6)" in error.message
    with session_scope(sessions) as s:  # both together are fine
        save_settings(
            s, store_id, {"repair_3dc.due_day": "6", "repair_3dc.deadline_day": "8"}, boss, now
        )


def test_saving_for_a_store_that_does_not_exist_is_not_found(sessions, suzhou, now):
    with session_scope(sessions) as s, pytest.raises(NotFound):
        save_settings(s, 999, {"churn.km": "6000"}, suzhou[1], now)


# ---------- reading stored values ----------


def test_a_stored_value_that_no_longer_reads_falls_back_to_the_default(sessions, suzhou, caplog):
    store_id, _ = suzhou
    with session_scope(sessions) as s:
        s.add(StoreSetting(store_id=store_id, key="retry.max_attempts", value="lots"))
        s.add(StoreSetting(store_id=store_id, key="retired.setting", value="1"))
    with caplog.at_level(logging.WARNING, "huifang.settings"), session_scope(sessions) as s:
        settings = load_settings(s, store_id)
    assert settings.number("retry.max_attempts") == 5 and settings.is_default("retry.max_attempts")
    assert "retry.max_attempts" in caplog.text


def test_load_all_reads_every_store_in_one_query(sessions, suzhou, now):
    store_id, boss = suzhou
    with session_scope(sessions) as s:
        other = Store(code="SZ02", name="园区汽车服务中心", timezone="Asia/Shanghai")
        s.add(other)
        s.flush()
        other_id = other.id
        save_settings(s, store_id, {"horizon_days": "10"}, boss, now)
        save_settings(s, other_id, {"horizon_days": "3", "day_start": "08:30"}, boss, now)
    statements: list[str] = []
    with session_scope(sessions) as s:
        engine = s.get_bind()
        record = lambda conn, cursor, sql, *args: statements.append(sql)  # noqa: E731
        event.listen(engine, "before_cursor_execute", record)
        try:
            every = load_all(s)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert s.scalar(select(func.count(Store.id))) == len(every) == 2
    assert len(statements) == 1
    assert every[store_id].number("horizon_days") == 10 and every[store_id].is_default("day_start")
    assert every[other_id].number("horizon_days") == 3
    assert every[other_id].clock("day_start") == time(8, 30)


# ---------- the console's texts ----------


def test_every_label_unit_help_and_rule_of_the_registry_is_translated():
    """The console extracts storage/settings.py with its own files; without this, a setting
    added later would show its English label on the Chinese screen."""
    po = ROOT / "console/translations/zh_Hans/LC_MESSAGES/messages.po"
    with po.open("rb") as f:
        translated = {m.id for m in read_po(f) if m.id and m.string}
    texts = {*GROUPS.values(), *RULES.values(), ORDER_RULE}
    for s in REGISTRY.values():
        texts |= {s.label, s.unit, s.help, s.rule}
    assert texts - {"", "%"} - translated == set()
