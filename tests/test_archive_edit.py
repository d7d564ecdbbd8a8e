"""Editing a customer in the console, on both databases: every changed field is stamped as the
console's (so an older DMS export will not overwrite it) and audited with old and new values."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from console.access import permissions_of
from console.services import archive_edit
from console.services.archive import Refused, access_for
from console.services.archive_edit import ConsentEdit, CustomerEdit, PhoneEdit, Stale
from storage.codes import PhoneValidity, Role
from storage.db import session_scope
from storage.errors import InvalidInput
from storage.models import AuditEntry, Consent, Customer, FieldSource, Phone
from tests import archive_seed

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


@pytest.fixture
def archive(sessions):
    with session_scope(sessions) as s:
        return archive_seed.seed(s, now=NOW)


def as_user(s, archive, username: str):
    role = archive_seed.ROLE_USERS[username][1]
    return access_for(s, archive.users[username], permissions_of({role}), NOW)


def form_of(s, archive, username: str, customer_id: int) -> CustomerEdit:
    """The edit form as it is first shown, submitted unchanged."""
    data = archive_edit.editable(s, as_user(s, archive, username), customer_id)
    return CustomerEdit(
        version=data["version"],
        profile={
            **{k: data["profile"][k] or None for k in archive_edit.PROFILE_FIELDS},
            "is_company": data["profile"]["is_company"],
            "birthday": date.fromisoformat(data["profile"]["birthday"])
            if data["profile"]["birthday"]
            else None,
            "blocked_days": None,
        },
        phones=[
            PhoneEdit(f"phones-{i}", p["id"], s.get(Phone, p["id"]).e164, p["kind"], p["validity"])
            for i, p in enumerate(data["phones"])
        ],
        consents=[
            ConsentEdit(f"consents-{i}", c["channel"], c["purpose"], c["granted"], None)
            for i, c in enumerate(data["consents"])
        ],
    )


def save(sessions, archive, edit_of, username="rep", customer=None, at=NOW):
    customer = customer or archive.zhang_wei
    with session_scope(sessions) as s:
        edit = form_of(s, archive, username, customer)
        edit_of(edit)
        return archive_edit.apply_edit(s, as_user(s, archive, username), customer, edit, at)


def test_a_corrected_field_is_stamped_as_the_consoles_and_audited(sessions, archive):
    def correct(edit):
        edit.profile["street"] = "十全街 88 号"
        edit.profile["call_windows"] = "09:00-11:30;19:00-20:30"

    changes = save(sessions, archive, correct)
    assert changes == {
        "street": [None, "十全街 88 号"],
        "call_windows": [None, "09:00-11:30;19:00-20:30"],
    }
    with session_scope(sessions) as s:
        stamps = s.scalars(select(FieldSource).where(FieldSource.entity == "customer")).all()
        assert {(f.entity_id, f.field, f.source, f.as_of) for f in stamps} == {
            (archive.zhang_wei, "street", "console", NOW),
            (archive.zhang_wei, "call_windows", "console", NOW),
        }
        (entry,) = s.scalars(select(AuditEntry)).all()
        assert (entry.action, entry.entity, entry.entity_id) == (
            "edit",
            "customer",
            archive.zhang_wei,
        )
        assert entry.user_id == archive.users["rep"] and entry.details == changes


def test_a_second_correction_moves_the_stamp_forward(sessions, archive):
    save(sessions, archive, lambda e: e.profile.update(grade="A"))
    later = NOW + timedelta(hours=2)
    save(sessions, archive, lambda e: e.profile.update(grade="VIP"), at=later)
    with session_scope(sessions) as s:
        (stamp,) = s.scalars(select(FieldSource).where(FieldSource.field == "grade")).all()
        assert stamp.as_of == later
        assert s.get_one(Customer, archive.zhang_wei).grade == "VIP"


def test_saving_the_form_unchanged_writes_nothing(sessions, archive):
    assert save(sessions, archive, lambda e: None) == {}
    with session_scope(sessions) as s:
        assert s.scalars(select(AuditEntry)).all() == []
        assert s.scalars(select(FieldSource)).all() == []


def test_a_number_can_be_marked_wrong_changed_and_added(sessions, archive):
    def phones(edit):
        edit.phones[0].validity = PhoneValidity.WRONG
        edit.phones[1].e164 = "+8651268259999"
        edit.phones.append(PhoneEdit("phones-2", None, "+8615900001234", "mobile", "unverified"))

    changes = save(sessions, archive, phones)
    with session_scope(sessions) as s:
        numbers = s.scalars(
            select(Phone).where(Phone.customer_id == archive.zhang_wei).order_by(Phone.position)
        ).all()
        assert [(p.e164, p.validity) for p in numbers] == [
            ("+8613800138000", "wrong"),
            ("+8651268259999", "unverified"),
            ("+8615900001234", "unverified"),
        ]
        new = numbers[2].id
        assert changes[f"phone:{numbers[0].id}.validity"] == ["unverified", "wrong"]
        assert changes[f"phone:{new}.e164"] == [None, "+8615900001234"]
        stamped = s.scalars(select(FieldSource.field).where(FieldSource.entity_id == new)).all()
        assert sorted(stamped) == ["e164", "kind", "validity"]


def test_the_same_number_twice_is_refused_next_to_the_second(sessions, archive):
    def twice(edit):
        edit.phones.append(PhoneEdit("phones-2", None, "+8613800138000", "mobile", "unverified"))

    with pytest.raises(InvalidInput) as refused:
        save(sessions, archive, twice)
    assert refused.value.details["field"] == "phones-2-number"


def test_a_number_cannot_be_emptied_only_marked(sessions, archive):
    with pytest.raises(InvalidInput) as refused:
        save(sessions, archive, lambda e: setattr(e.phones[0], "e164", None))
    assert refused.value.details["field"] == "phones-0-number"


def test_withdrawing_consent_needs_a_reason_and_records_it(sessions, archive):
    def withdraw(edit, reason):
        call_service = next(
            c for c in edit.consents if (c.channel, c.purpose) == ("call", "service")
        )
        call_service.granted, call_service.reason = False, reason

    with pytest.raises(InvalidInput) as refused:
        save(sessions, archive, lambda e: withdraw(e, None))
    assert refused.value.details["field"] == "consents-0-reason"
    changes = save(sessions, archive, lambda e: withdraw(e, "客户表示工作日白天不便接听"))
    assert changes["consent.call.service"] == [True, False]
    with session_scope(sessions) as s:
        (row,) = s.scalars(select(Consent)).all()
        assert (row.granted, row.source, row.reason) == (
            False,
            "console",
            "客户表示工作日白天不便接听",
        )
        assert (
            s.scalar(select(FieldSource.entity).where(FieldSource.entity_id == row.id)) == "consent"
        )


def test_an_edit_over_someone_elses_newer_one_is_refused(sessions, archive):
    with session_scope(sessions) as s:
        stale = form_of(s, archive, "rep", archive.zhang_wei)
    save(sessions, archive, lambda e: e.profile.update(grade="A"), username="boss")
    stale.profile["grade"] = "B"
    with pytest.raises(Stale), session_scope(sessions) as s:
        archive_edit.apply_edit(s, as_user(s, archive, "rep"), archive.zhang_wei, stale, NOW)


def test_agents_and_other_stores_customers_cannot_be_edited(sessions, archive):
    with pytest.raises(Refused):
        save(sessions, archive, lambda e: None, username="lina")
    with pytest.raises(Refused):
        save(sessions, archive, lambda e: None, customer=archive.zhao_liu)


def test_a_representative_may_edit_a_service_advisor_may_not_even_look(sessions, archive):
    with session_scope(sessions) as s:
        assert as_user(s, archive, "rep").may_edit
        advisor = access_for(s, archive.users["sa"], permissions_of({Role.SERVICE_ADVISOR}), NOW)
        assert advisor.store_ids == () and not advisor.whole_archive
