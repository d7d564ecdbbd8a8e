"""Accepted customer and vehicle rows -> changes to the archive, in memory (Workspace).

Identity: a customer is the same person when the name and a phone number match, else the name
and the VIN of a car they own; a row with neither phone nor VIN matches a customer of that name
who has no phone. A customer whose name was corrected in the console is found by phone or VIN
alone (the DMS still exports the old name). A VIN owned by someone else moves to this row's
customer (OwnershipChange).

The first row of a customer in a file sets their values; later rows of the same customer (a
second car) only fill what is still empty, and a value that differs is a warning. So a file
imported twice changes nothing the second time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from storage.archive_import.entities import Entity
from storage.archive_import.index import ArchiveIndex
from storage.archive_import.normalize import PhoneNumber
from storage.archive_import.outcome import Outcome
from storage.archive_import.report import WARNING, Problem
from storage.archive_import.validate import Record
from storage.archive_import.workspace import Workspace
from storage.codes import PhoneValidity


class ArchiveRows:
    def __init__(
        self,
        ws: Workspace,
        index: ArchiveIndex,
        store_id: int,
        as_of: datetime,
        labels: dict[str, str],  # customer attribute -> how problems name it
    ):
        self.ws, self.index, self.store_id, self.as_of = ws, index, store_id, as_of
        self.labels = labels
        self.first_line: dict[int, int] = {}  # customer id -> first line naming them

    def prefetch(self, records: list[Record]) -> None:
        """Load every record these rows may touch, one query per table."""
        customers: list[int | None] = []
        vehicles: set[int] = set()
        for rec in records:
            name = rec.customer["name"]
            customers.extend(self.index.by_phone.get((name, p.e164)) for p in rec.phones)
            customers.append(self.index.by_name.get(name))
            if hit := self.index.by_vin.get(rec.vehicle.get("vin", "")):
                vehicles.add(hit[0])
                customers.append(hit[1])
        deliveries = (self.index.delivery_of.get(v) for v in vehicles)
        self.ws.load("customer", {c for c in customers if c is not None})
        self.ws.load("vehicle", vehicles)
        self.ws.load("delivery", {d for d in deliveries if d is not None})

    def apply(self, rec: Record) -> Outcome:
        out = Outcome()
        customer = self._find_customer(rec) or self._new_customer(rec, out)
        out.changed |= customer.offer(self._customer_values(rec, customer, out), self.as_of)
        customer.stamp(self.as_of)
        for phone in rec.phones:
            self._phone(customer, phone, out)
        if rec.vehicle:
            vehicle = self._vehicle(rec, customer, out)
            if rec.delivery:
                self._delivery(rec, vehicle, customer, out)
        return out

    def _customer_values(self, rec: Record, customer: Entity, out: Outcome) -> dict[str, Any]:
        first = self.first_line.setdefault(customer.id, rec.line)
        if first == rec.line:
            return rec.customer
        clashes = customer.clashes(rec.customer)
        message = f"differs from line {first} for the same customer; line {first}'s kept"
        for label in dict.fromkeys(self.labels.get(name, name) for name in clashes):
            out.problems.append(Problem(rec.line, WARNING, label, message))  # once per column
        return {k: v for k, v in rec.customer.items() if k not in clashes}

    def _find_customer(self, rec: Record) -> Entity | None:
        found = self._customer_id(rec.customer["name"], rec)
        return None if found is None else self.ws.get("customer", found)

    def _customer_id(self, name: str, rec: Record) -> int | None:
        index = self.index
        for phone in sorted(rec.phones, key=lambda p: (not p.valid, p.kind != "mobile")):
            found = index.by_phone.get((name, phone.e164))
            if found is None:
                found = index.renamed_by_phone.get(phone.e164)
            if found is not None:
                return found
        hit = index.by_vin.get(rec.vehicle.get("vin", ""))
        if hit and (index.names.get(hit[1]) == name or hit[1] in index.renamed):
            return hit[1]
        return index.by_name.get(name) if not rec.phones else None

    def _new_customer(self, rec: Record, out: Outcome) -> Entity:
        values = {k: v for k, v in rec.customer.items() if v is not None}
        customer = self.ws.create("customer", {"store_id": self.store_id, **values})
        self.index.names[customer.id] = rec.customer["name"]
        if not rec.phones:
            self.index.by_name.setdefault(rec.customer["name"], customer.id)
        out.created = True
        return customer

    def _phone(self, customer: Entity, phone: PhoneNumber, out: Outcome) -> None:
        numbers = self.index.phones.setdefault(customer.id, [])
        if phone.e164 in numbers:
            return
        validity = PhoneValidity.UNVERIFIED if phone.valid else PhoneValidity.WRONG
        self.ws.phones.append(
            {"customer_id": customer.id, "e164": phone.e164, "kind": phone.kind,
             "position": len(numbers), "validity": validity.value}
        )  # fmt: skip
        numbers.append(phone.e164)
        self.index.by_phone.setdefault((customer.values["name"], phone.e164), customer.id)
        out.created = True

    def _vehicle(self, rec: Record, customer: Entity, out: Outcome) -> Entity:
        vin = rec.vehicle["vin"]
        hit = self.index.by_vin.get(vin)
        if hit is None:
            vehicle = self._new_vehicle(rec, customer)
            out.created = True
        else:
            vehicle = self.ws.get("vehicle", hit[0])
            out.changed |= vehicle.offer(rec.vehicle, self.as_of)
            out.changed |= self._owner(vehicle, customer)
        vehicle.stamp(self.as_of)
        return vehicle

    def _new_vehicle(self, rec: Record, customer: Entity) -> Entity:
        values = {k: v for k, v in rec.vehicle.items() if v is not None}
        values.update(store_id=self.store_id, customer_id=customer.id)
        vehicle = self.ws.create("vehicle", values)
        self.index.by_vin[vehicle.values["vin"]] = (vehicle.id, customer.id)
        if vehicle.values["vin"] in self.index.unlinked_vins:  # its repair orders came first
            self.index.unlinked_vins.discard(vehicle.values["vin"])
            self.ws.links.append(
                {"b_vin": vehicle.values["vin"], "b_vehicle": vehicle.id, "b_customer": customer.id}
            )
        return vehicle

    def _owner(self, vehicle: Entity, customer: Entity) -> bool:
        """Move the car to this row's customer, unless its owner was set later (console)."""
        previous = vehicle.values["customer_id"]
        if previous == customer.id or not vehicle.offer({"customer_id": customer.id}, self.as_of):
            return False
        self.ws.ownership_changes.append(
            {"vehicle_id": vehicle.id, "from_customer_id": previous,
             "to_customer_id": customer.id, "changed_at": self.as_of, "source": "import"}
        )  # fmt: skip
        self.index.by_vin[vehicle.values["vin"]] = (vehicle.id, customer.id)
        return True

    def _delivery(self, rec: Record, vehicle: Entity, customer: Entity, out: Outcome) -> None:
        values = {**rec.delivery, "customer_id": customer.id}
        delivery_id = self.index.delivery_of.get(vehicle.id)
        if delivery_id is None:
            values = {k: v for k, v in values.items() if v is not None}
            values.update(store_id=self.store_id, vehicle_id=vehicle.id)
            delivery = self.ws.create("delivery", values)
            self.index.delivery_of[vehicle.id] = delivery.id
            out.created = True
        else:
            delivery = self.ws.get("delivery", delivery_id)
            out.changed |= delivery.offer(values, self.as_of)
        delivery.stamp(self.as_of)
