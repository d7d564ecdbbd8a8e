"""Accepted repair order rows -> changes to the archive, in memory (Workspace).

A repair order whose VIN is not in the archive yet is kept without a car or customer, with a
warning; importing that car later links it (apply.py).
"""

from __future__ import annotations

from datetime import datetime

from storage.archive_import.entities import Entity
from storage.archive_import.index import ArchiveIndex
from storage.archive_import.outcome import Outcome
from storage.archive_import.report import WARNING, Problem
from storage.archive_import.validate import Record
from storage.archive_import.workspace import Workspace
from storage.codes import RepairType


class RepairRows:
    def __init__(
        self, ws: Workspace, index: ArchiveIndex, store_id: int, as_of: datetime, vin_label: str
    ):
        self.ws, self.index, self.store_id, self.as_of = ws, index, store_id, as_of
        self.vin_label = vin_label

    def prefetch(self, records: list[Record]) -> None:
        found = (self.index.by_number.get(r.repair["ro_number"]) for r in records)
        self.ws.load("repair_order", {i for i in found if i is not None})

    def apply(self, rec: Record) -> Outcome:
        out, number = Outcome(), rec.repair["ro_number"]
        ro_id = self.index.by_number.get(number)
        if ro_id is None:
            ro = self._new(rec)
            out.created = True
        else:
            ro = self.ws.get("repair_order", ro_id)
            vin = ro.values["vin"]
            out.changed |= ro.offer(rec.repair, self.as_of)
            out.changed |= self._link(ro, moved=ro.values["vin"] != vin)
        ro.stamp(self.as_of)
        if ro.values["vehicle_id"] is None:
            self.index.unlinked_vins.add(ro.values["vin"])
            out.problems.append(self._unknown_vin(rec))
        return out

    def _new(self, rec: Record) -> Entity:
        values = {k: v for k, v in rec.repair.items() if v is not None}
        values.setdefault("ro_type", RepairType.REPAIR.value)
        vehicle_id, customer_id = self.index.by_vin.get(values["vin"], (None, None))
        values.update(store_id=self.store_id, vehicle_id=vehicle_id, customer_id=customer_id)
        ro = self.ws.create("repair_order", values)
        self.index.by_number[values["ro_number"]] = ro.id
        return ro

    def _link(self, ro: Entity, moved: bool) -> bool:
        """Link to the car once it is known; relink when the export corrects the VIN."""
        hit = self.index.by_vin.get(ro.values["vin"])
        if not moved and (ro.values["vehicle_id"] is not None or hit is None):
            return False
        vehicle_id, customer_id = hit or (None, None)
        ro.set({"vehicle_id": vehicle_id, "customer_id": customer_id})
        return True

    def _unknown_vin(self, rec: Record) -> Problem:
        message = (
            f"{rec.repair['vin']} is not in the archive yet: repair order kept, "
            "linked to its car when the car is imported"
        )
        return Problem(rec.line, WARNING, self.vin_label, message)
