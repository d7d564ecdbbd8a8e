"""Lookup dicts for one store, loaded once per import, so rows need no query each: memory grows
with the number of customers, vehicles and repair orders, not with rows x columns."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from storage.archive_import.headers import REPAIR_ORDERS
from storage.models import Customer, Delivery, FieldSource, Phone, RepairOrder, Vehicle


@dataclass
class ArchiveIndex:
    names: dict[int, str] = field(default_factory=dict)  # customer id -> name
    by_phone: dict[tuple[str, str], int] = field(default_factory=dict)  # (name, number) -> id
    by_name: dict[str, int] = field(default_factory=dict)  # name -> a customer without phones
    phones: dict[int, list[str]] = field(default_factory=dict)  # customer id -> numbers
    # customers whose name was set outside imports (corrected in the console): the DMS may
    # still export the old name, so their phones and cars identify them alone
    renamed: set[int] = field(default_factory=set)
    renamed_by_phone: dict[str, int] = field(default_factory=dict)  # number -> customer id
    by_vin: dict[str, tuple[int, int]] = field(default_factory=dict)  # -> (vehicle, owner)
    delivery_of: dict[int, int] = field(default_factory=dict)  # vehicle id -> delivery id
    by_number: dict[str, int] = field(default_factory=dict)  # RO number -> repair order id
    unlinked_vins: set[str] = field(default_factory=set)  # VINs of ROs without a vehicle

    @classmethod
    def load(cls, session: Session, store_id: int, kind: str) -> ArchiveIndex:
        index = cls()
        if kind != REPAIR_ORDERS:
            index._load_customers(session, store_id)
            index._load_deliveries(session, store_id)
        index._load_vehicles(session, store_id)
        index._load_repair_orders(session, store_id, numbers=kind == REPAIR_ORDERS)
        return index

    def _load_customers(self, session: Session, store_id: int) -> None:
        query = select(Customer.id, Customer.name).where(Customer.store_id == store_id)
        self.names = {customer_id: name for customer_id, name in session.execute(query)}
        query = (
            select(Phone.customer_id, Phone.e164)
            .join(Customer, Customer.id == Phone.customer_id)
            .where(Customer.store_id == store_id)
            .order_by(Phone.customer_id, Phone.position, Phone.id)
        )
        self.renamed = set(session.scalars(_renamed(store_id)))
        for customer_id, number in session.execute(query):
            self.phones.setdefault(customer_id, []).append(number)
            self.by_phone.setdefault((self.names[customer_id], number), customer_id)
            if customer_id in self.renamed:
                self.renamed_by_phone.setdefault(number, customer_id)
        for customer_id, name in sorted(self.names.items()):
            if customer_id not in self.phones:
                self.by_name.setdefault(name, customer_id)

    def _load_vehicles(self, session: Session, store_id: int) -> None:
        query = select(Vehicle.vin, Vehicle.id, Vehicle.customer_id)
        for vin, vehicle_id, owner_id in session.execute(query.where(Vehicle.store_id == store_id)):
            self.by_vin[vin] = (vehicle_id, owner_id)

    def _load_deliveries(self, session: Session, store_id: int) -> None:
        query = select(Delivery.vehicle_id, Delivery.id).where(Delivery.store_id == store_id)
        for vehicle_id, delivery_id in session.execute(query.order_by(Delivery.id)):
            self.delivery_of[vehicle_id] = delivery_id

    def _load_repair_orders(self, session: Session, store_id: int, numbers: bool) -> None:
        """Every RO number for repair order files; else only the VINs of unlinked ones."""
        ro = RepairOrder
        query = select(ro.ro_number, ro.id, ro.vin, ro.vehicle_id).where(ro.store_id == store_id)
        if not numbers:
            query = query.where(ro.vehicle_id.is_(None))
        for number, ro_id, vin, vehicle_id in session.execute(query):
            if vehicle_id is None:
                self.unlinked_vins.add(vin)
            if numbers:
                self.by_number[number] = ro_id


def _renamed(store_id: int) -> Select[int]:
    return (
        select(FieldSource.entity_id)
        .join(Customer, Customer.id == FieldSource.entity_id)
        .where(
            FieldSource.entity == "customer",
            FieldSource.field == "name",
            Customer.store_id == store_id,
        )
    )
