"""Corrections made in the console. Each changed field is stamped as the console's as of now
(FieldSource), so an older DMS export never overwrites it, and the edit is audited with every
field's old and new value."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.services.archive import Access, Refused, open_customer
from console.services.archive_record import consents, profile
from storage import consent
from storage.archive.normalise import readable_phone
from storage.consent import DEFAULTS, Channel, Purpose
from storage.errors import N_, DomainError, InvalidInput
from storage.models import AuditEntry, Customer, FieldSource, Phone

CONSOLE = "console"
EDIT = "edit"
PROFILE_FIELDS = (
    "name",
    "gender",
    "birthday",
    "is_company",
    "province",
    "city",
    "county",
    "street",
    "grade",
    "notes",
    "call_windows",
    "blocked_days",
)
PHONE_FIELDS = ("e164", "kind", "validity")


class Stale(DomainError):
    code = "stale"


@dataclass
class PhoneEdit:
    field: str  # where the number was typed, e.g. "phones-0"; errors point back to it
    id: int | None
    e164: str | None
    kind: str
    validity: str


@dataclass
class ConsentEdit:
    field: str
    channel: str
    purpose: str
    granted: bool
    reason: str | None


@dataclass
class CustomerEdit:
    version: str
    profile: dict[str, object]
    phones: list[PhoneEdit] = field(default_factory=list)
    consents: list[ConsentEdit] = field(default_factory=list)


def version_of(customer: Customer) -> str:
    return customer.updated_at.isoformat()


def editable(session: Session, access: Access, customer_id: int) -> dict:
    """What the edit form starts from."""
    customer = _for_edit(session, access, customer_id)
    return {
        "version": version_of(customer),
        "profile": profile(customer),
        "phones": [
            {"id": p.id, "number": readable_phone(p.e164), "kind": p.kind, "validity": p.validity}
            for p in customer.phones
        ],
        "consents": consents(session, customer.id, ZoneInfo("UTC")),
    }


def apply_edit(
    session: Session, access: Access, customer_id: int, edit: CustomerEdit, now: datetime
) -> dict[str, list]:
    """Apply the form; returns ``{field: [old, new]}`` of what changed (empty: nothing)."""
    customer = _for_edit(session, access, customer_id)
    if edit.version != version_of(customer):
        raise Stale(
            N_("someone changed this customer meanwhile: reload the page and redo the edit")
        )
    changes: dict[str, list] = {}
    for name in PROFILE_FIELDS:
        old, new = getattr(customer, name), edit.profile[name]
        if old != new:
            setattr(customer, name, new)
            _stamp(session, "customer", customer.id, name, now)
            changes[name] = [_plain(old), _plain(new)]
    _phones(session, customer, edit.phones, changes, now)
    _consents(session, customer, edit.consents, changes, now)
    if changes:
        customer.updated_at = now
        session.add(
            AuditEntry(
                at=now,
                user_id=access.user_id,
                store_id=customer.store_id,
                action=EDIT,
                entity="customer",
                entity_id=customer.id,
                details=changes,
            )
        )
    return changes


def _for_edit(session: Session, access: Access, customer_id: int) -> Customer:
    if not access.may_edit:
        raise Refused(N_("you may not change the archive"))
    return open_customer(session, access, customer_id)


def _phones(session, customer: Customer, edits: list[PhoneEdit], changes: dict, now) -> None:
    own = {p.id: p for p in customer.phones}
    taken: set[str] = set()
    for edit in edits:
        if edit.id is not None and edit.id not in own:
            raise InvalidInput(
                N_("that number is not this customer's"), field=f"{edit.field}-number"
            )
        if edit.id is not None and not edit.e164:
            raise InvalidInput(
                N_("to drop a number, mark it wrong or empty"), field=f"{edit.field}-number"
            )
        if edit.e164 and edit.e164 in taken:
            raise InvalidInput(N_("this number is already listed"), field=f"{edit.field}-number")
        taken.add(edit.e164 or "")
    for edit in edits:
        if edit.id is not None:
            _change_phone(session, own[edit.id], edit, changes, now)
        elif edit.e164:
            _add_phone(session, customer, edit, changes, now)


def _change_phone(session, phone: Phone, edit: PhoneEdit, changes: dict, now) -> None:
    for name in PHONE_FIELDS:
        old, new = getattr(phone, name), getattr(edit, name)
        if old != new:
            setattr(phone, name, new)
            _stamp(session, "phone", phone.id, name, now)
            changes[f"phone:{phone.id}.{name}"] = [old, new]


def _add_phone(session, customer: Customer, edit: PhoneEdit, changes: dict, now) -> None:
    phone = Phone(e164=edit.e164, kind=edit.kind, validity=edit.validity)
    phone.position = max((p.position for p in customer.phones), default=-1) + 1
    customer.phones.append(phone)
    session.flush()
    for name in PHONE_FIELDS:
        _stamp(session, "phone", phone.id, name, now)
        changes[f"phone:{phone.id}.{name}"] = [None, getattr(phone, name)]


def _consents(session, customer: Customer, edits: list[ConsentEdit], changes: dict, now) -> None:
    """A changed answer is recorded as given in the console now; a withdrawal needs a reason."""
    given = {(c.channel, c.purpose): c.granted for c in customer.consents}
    for edit in edits:
        try:
            channel, purpose = Channel(edit.channel), Purpose(edit.purpose)
        except ValueError:
            raise InvalidInput(N_("unknown consent"), field=f"{edit.field}-granted") from None
        old = given.get((channel, purpose), DEFAULTS[purpose])
        if edit.granted == old:
            continue
        if not edit.granted and not edit.reason:
            raise InvalidInput(
                N_("say why the customer withdrew their consent"), field=f"{edit.field}-reason"
            )
        row = consent.record(
            session, customer.id, channel, purpose, edit.granted,
            source=CONSOLE, at=now, reason=edit.reason,
        )  # fmt: skip
        session.flush()
        _stamp(session, "consent", row.id, "granted", now)
        changes[f"consent.{channel}.{purpose}"] = [old, edit.granted]
        if not edit.granted:
            changes[f"consent.{channel}.{purpose}.reason"] = [None, edit.reason]


def _stamp(session: Session, entity: str, entity_id: int, name: str, now: datetime) -> None:
    """This field of this record was set in the console, as of ``now``."""
    source = session.scalar(
        select(FieldSource).where(
            FieldSource.entity == entity,
            FieldSource.entity_id == entity_id,
            FieldSource.field == name,
        )
    ) or FieldSource(entity=entity, entity_id=entity_id, field=name)
    source.source, source.as_of = CONSOLE, now
    session.add(source)


def _plain(value: object) -> object:
    """A value as the audit log's JSON holds it."""
    return value.isoformat() if isinstance(value, date) else value
