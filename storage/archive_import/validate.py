"""A data row -> a typed record, or the reasons it is rejected (DMS import rules, README.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from storage.archive.address import split_address
from storage.archive_import.cells import RowCells
from storage.archive_import.dates import parse_date, parse_time, parse_when, to_utc
from storage.archive_import.headers import REPAIR_ORDERS, Columns
from storage.archive_import.normalize import (
    BadValue,
    PhoneNumber,
    cell_text,
    narrow,
    parse_amount,
    parse_gender,
    parse_is_company,
    parse_km,
    parse_model_year,
    parse_plate,
    parse_repair_type,
    parse_vin,
    text_of,
)
from storage.archive_import.read import Cells
from storage.archive_import.report import WARNING, Problem


def parse_birthday(raw: object) -> date:
    born = parse_date(raw)
    if not 1900 <= born.year <= date.today().year:
        raise BadValue(f"{born.isoformat()} is not a plausible birthday")
    return born


def parse_ro_number(raw: object) -> str:
    return text_of(32)(narrow(cell_text(raw)))


CUSTOMER_FIELDS = {
    "gender": ("gender", parse_gender),
    "birthday": ("birthday", parse_birthday),
    "customer_type": ("is_company", parse_is_company),
    "address": ("street", text_of(200)),
    "province": ("province", text_of(32)),
    "city": ("city", text_of(32)),
    "county": ("county", text_of(32)),
    "source": ("source", text_of(32)),
    "notes": ("notes", text_of(2000)),
}
VEHICLE_FIELDS = {
    "plate": ("plate", parse_plate),
    "model": ("model", text_of(64)),
    "model_year": ("model_year", parse_model_year),
    "selling_dealer": ("selling_dealer", text_of(100)),
    "insurance_expiry": ("insurance_expiry", parse_date),
}
# columns for the parts of an address: when a row has none, its address column is split
ADDRESS_PARTS = ("province", "city", "county")
# a row with any of these carries a car, and needs its VIN
VEHICLE_DATA = (*VEHICLE_FIELDS, "delivery_date", "delivery_time", "consultant")
REPAIR_FIELDS = {
    "ro_type": ("ro_type", parse_repair_type),
    "advisor": ("advisor", text_of(64)),
    "odometer": ("odometer_km", parse_km),
    "amount": ("amount", parse_amount),
    "summary": ("summary", text_of(200)),
}


def split_street(street: str | None) -> dict[str, str | None]:
    """An address column's value as province, city, county and street, each None where not
    recognised (storage/archive/address.py)."""
    if street is None:
        return {}
    parts = split_address(street)
    return {
        "province": parts.province or None,
        "city": parts.city or None,
        "county": parts.county or None,
        "street": parts.street or None,
    }


def customer_labels(columns: Columns) -> dict[str, str]:
    """Customer attribute -> how problems name it; the parts of an address split from the
    address column by that column."""
    labels = {attr: columns.label(f) for f, (attr, _) in CUSTOMER_FIELDS.items()}
    if not any(f in columns.index for f in ADDRESS_PARTS):
        labels.update(dict.fromkeys(ADDRESS_PARTS, columns.label("address")))
    return labels


@dataclass
class Record:
    """One accepted row. Values are None where the file says nothing (never a reason to clear
    a stored value)."""

    line: int
    customer: dict[str, Any] = field(default_factory=dict)  # with "name"
    phones: list[PhoneNumber] = field(default_factory=list)
    vehicle: dict[str, Any] = field(default_factory=dict)  # with "vin", when the row has a car
    delivery: dict[str, Any] = field(default_factory=dict)  # with "delivered_on", when delivered
    repair: dict[str, Any] = field(default_factory=dict)  # with "ro_number" and "vin"

    @property
    def key(self) -> tuple[str, str] | None:
        """What two rows of one file must not disagree on."""
        if self.repair:
            return ("RO number", self.repair["ro_number"])
        return ("VIN", self.vehicle["vin"]) if self.vehicle else None

    def fingerprint(self) -> int:
        parts = (self.customer, self.vehicle, self.delivery, self.repair)
        return hash((*(tuple(sorted(p.items())) for p in parts), tuple(self.phones)))


class RowReader:
    def __init__(self, columns: Columns, tz: ZoneInfo) -> None:
        self.columns, self.tz = columns, tz

    def read(self, line: int, cells: Cells) -> tuple[Record | None, list[Problem]]:
        row = RowCells(self.columns, line, cells)
        row.check_width()
        if self.columns.kind == REPAIR_ORDERS:
            record = Record(line, repair=self._repair(row))
        else:
            record = Record(line, *self._archive(row))
        if row.rejected:
            return None, [p for p in row.problems if p.level != WARNING]
        return record, row.problems

    def _archive(self, row: RowCells) -> tuple[dict, list[PhoneNumber], dict, dict]:
        name = row.required("name", text_of(100), "customer name missing")
        customer = {"name": name, **row.fields(CUSTOMER_FIELDS)}
        if not any(row.has(f) for f in ADDRESS_PARTS):  # explicit parts win over the split
            customer.update(split_street(customer["street"]))
        phones = row.phones()
        if not row.has("vin"):
            carried = [row.columns.label(f) for f in VEHICLE_DATA if row.has(f)]
            if carried:
                row.error("vin", f"no VIN on a row with vehicle data ({', '.join(carried)})")
            return customer, phones, {}, {}
        vehicle = {"vin": row.required("vin", parse_vin), **row.fields(VEHICLE_FIELDS)}
        delivery = self._delivery(row)
        vehicle.update(
            delivered_on=delivery.get("delivered_on"), delivered_at=delivery.get("delivered_at")
        )
        return customer, phones, vehicle, delivery

    def _delivery(self, row: RowCells) -> dict[str, Any]:
        when = row.required("delivery_date", parse_when)
        if when is None:
            return {}
        day, moment = when
        moment = row.optional("delivery_time", parse_time) or moment
        return {
            "delivered_on": day,
            "delivered_at": to_utc(day, moment, self.tz) if moment else None,
            "consultant": row.optional("consultant", text_of(64)),
        }

    def _repair(self, row: RowCells) -> dict[str, Any]:
        repair = {
            "ro_number": row.required("ro_number", parse_ro_number, "repair order number missing"),
            "vin": row.required("vin", parse_vin, "VIN missing"),
            "opened_at": self._moment(row, "opened", "opened date missing"),
            "closed_at": self._moment(row, "closed"),  # empty: still in the workshop
            **row.fields(REPAIR_FIELDS),
        }
        opened, closed = repair["opened_at"], repair["closed_at"]
        if opened and closed and closed < opened:
            row.warn("closed", "closed before it was opened")
        return repair

    def _moment(self, row: RowCells, field: str, missing: str | None = None) -> datetime | None:
        when = row.required(field, parse_when, missing)
        return to_utc(*when, self.tz) if when else None
