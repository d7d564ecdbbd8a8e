"""The customer archive (客户档案): customers, phones, vehicles, deliveries, repair orders."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Computed, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.codes import PhoneValidity
from storage.models.base import Base, utcnow

# Search keys (storage/archive/search.py) are columns the database computes, so every writer
# (console, DMS import, demo data) keeps them right. The plate as searched: upper case, without
# the spaces, dots and dashes DMS exports put in (storage.archive.normalise.PLATE_NOISE); its
# tail without the province character; the last digits of a number and of a VIN.
PLATE_KEY_SQL = (
    "upper(replace(replace(replace(replace(plate, ' ', ''), '.', ''), '·', ''), '-', ''))"
)
PLATE_TAIL_SQL = f"substr({PLATE_KEY_SQL}, 2)"
PHONE_TAIL_SQL = "substr(e164, length(e164) - 3)"
VIN_TAIL_SQL = "substr(vin, length(vin) - 5)"


class Customer(Base):
    __tablename__ = "customer"
    __table_args__ = (Index("ix_customer_store_name", "store_id", "name"),)  # archive search
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    gender: Mapped[str | None] = mapped_column(String(8))  # "M" / "F"
    birthday: Mapped[date | None]
    is_company: Mapped[bool] = mapped_column(default=False)
    province: Mapped[str | None] = mapped_column(String(32))
    city: Mapped[str | None] = mapped_column(String(32))
    county: Mapped[str | None] = mapped_column(String(32))
    street: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(32), default="import")
    grade: Mapped[str | None] = mapped_column(String(16))
    notes: Mapped[str | None] = mapped_column(Text)
    call_windows: Mapped[str | None] = mapped_column(String(64))  # e.g. "09:00-11:30;19:00-20:30"
    blocked_days: Mapped[str | None] = mapped_column(String(16))  # ISO weekdays, e.g. "6,7"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    phones: Mapped[list[Phone]] = relationship(
        back_populates="customer", order_by="Phone.position", cascade="all, delete-orphan"
    )
    vehicles: Mapped[list[Vehicle]] = relationship(back_populates="customer")
    consents: Mapped[list[Consent]] = relationship(
        back_populates="customer", cascade="all, delete-orphan"
    )


class Consent(Base):
    """Whether a customer accepts contact on one channel (call, sms) for one purpose
    (service, marketing), with when and how that was given or withdrawn."""

    __tablename__ = "consent"
    __table_args__ = (UniqueConstraint("customer_id", "channel", "purpose"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(8))
    purpose: Mapped[str] = mapped_column(String(16))
    granted: Mapped[bool]
    source: Mapped[str] = mapped_column(String(32))  # import, delivery, call, sms_reply, console
    at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str | None] = mapped_column(String(200))  # why it was withdrawn
    customer: Mapped[Customer] = relationship(back_populates="consents")


class Phone(Base):
    __tablename__ = "phone"
    __table_args__ = (UniqueConstraint("customer_id", "e164"), Index("ix_phone_tail", "tail"))
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    e164: Mapped[str] = mapped_column(String(20), index=True)
    # the last four digits, as people ask for a number ("尾号 8000"); kept by the database
    tail: Mapped[str | None] = mapped_column(String(4), Computed(PHONE_TAIL_SQL, persisted=True))
    kind: Mapped[str] = mapped_column(String(16), default="mobile")
    position: Mapped[int] = mapped_column(default=0)  # 0 = called first
    validity: Mapped[str] = mapped_column(String(16), default=PhoneValidity.UNVERIFIED)
    last_result: Mapped[str | None] = mapped_column(String(32))
    customer: Mapped[Customer] = relationship(back_populates="phones")

    @property
    def masked(self) -> str:
        """All digits hidden but the last four, as agents see numbers."""
        return "*" * max(len(self.e164) - 4, 0) + self.e164[-4:]


class Vehicle(Base):
    __tablename__ = "vehicle"
    __table_args__ = (
        UniqueConstraint("store_id", "vin"),
        Index("ix_vehicle_plate_key", "plate_key"),
        Index("ix_vehicle_plate_tail", "plate_tail"),
        Index("ix_vehicle_vin_tail", "vin_tail"),
        Index("ix_vehicle_insurance_expiry", "store_id", "insurance_expiry"),  # renewals
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    vin: Mapped[str] = mapped_column(String(17))
    plate: Mapped[str | None] = mapped_column(String(16))
    vin_tail: Mapped[str | None] = mapped_column(String(6), Computed(VIN_TAIL_SQL, persisted=True))
    plate_key: Mapped[str | None] = mapped_column(
        String(16), Computed(PLATE_KEY_SQL, persisted=True)
    )
    plate_tail: Mapped[str | None] = mapped_column(
        String(16), Computed(PLATE_TAIL_SQL, persisted=True)
    )
    model: Mapped[str | None] = mapped_column(String(64))
    model_year: Mapped[int | None]
    delivered_on: Mapped[date | None]
    delivered_at: Mapped[datetime | None]  # only when the time of day is known
    selling_dealer: Mapped[str | None] = mapped_column(String(100))
    insurance_expiry: Mapped[date | None]
    mileage_km: Mapped[int | None]  # estimated, as of mileage_on
    mileage_on: Mapped[date | None]
    customer: Mapped[Customer] = relationship(back_populates="vehicles")
    repair_orders: Mapped[list[RepairOrder]] = relationship(
        back_populates="vehicle", order_by="RepairOrder.opened_at.desc()"
    )


class Delivery(Base):
    """A sales delivery (交车). ``delivered_at`` only when the time of day is known."""

    __tablename__ = "delivery"
    __table_args__ = (Index("ix_delivery_delivered_on", "store_id", "delivered_on"),)  # planner
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    delivered_on: Mapped[date]
    delivered_at: Mapped[datetime | None]
    consultant: Mapped[str | None] = mapped_column(String(64))


class RepairOrder(Base):
    """A workshop visit (维修工单)."""

    __tablename__ = "repair_order"
    __table_args__ = (
        UniqueConstraint("store_id", "ro_number"),
        Index("ix_repair_order_closed", "store_id", "closed_at"),
        Index("ix_repair_order_visits", "store_id", "ro_type", "opened_at"),  # planner
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    ro_number: Mapped[str] = mapped_column(String(32))
    vin: Mapped[str] = mapped_column(String(17), index=True)
    # None until the archive knows the car (a DMS may export repair orders before owners)
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicle.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    ro_type: Mapped[str] = mapped_column(String(16))
    advisor: Mapped[str | None] = mapped_column(String(64))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    odometer_km: Mapped[int | None]
    summary: Mapped[str | None] = mapped_column(String(200))
    vehicle: Mapped[Vehicle | None] = relationship(back_populates="repair_orders")


class OwnershipChange(Base):
    """A car passing from one customer to another (sold on, company fleet reassigned)."""

    __tablename__ = "ownership_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"), index=True)
    from_customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    to_customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(32))


class FieldSource(Base):
    """Where each archive value came from and as of when: an import never overwrites a value
    that was set later (e.g. corrected in the console) with an older export's."""

    __tablename__ = "field_source"
    __table_args__ = (UniqueConstraint("entity", "entity_id", "field"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int]
    field: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(32))  # import, console
    as_of: Mapped[datetime]
