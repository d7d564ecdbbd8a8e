"""The customer archive (客户档案): customers, phones, vehicles, deliveries, repair orders."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.codes import PhoneValidity
from storage.models.base import Base, utcnow


class Customer(Base):
    __tablename__ = "customer"
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
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    phones: Mapped[list[Phone]] = relationship(
        back_populates="customer", order_by="Phone.position", cascade="all, delete-orphan"
    )
    vehicles: Mapped[list[Vehicle]] = relationship(back_populates="customer")


class Phone(Base):
    __tablename__ = "phone"
    __table_args__ = (UniqueConstraint("customer_id", "e164"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    e164: Mapped[str] = mapped_column(String(20), index=True)
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
    __table_args__ = (UniqueConstraint("store_id", "vin"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    vin: Mapped[str] = mapped_column(String(17))
    plate: Mapped[str | None] = mapped_column(String(16))
    model: Mapped[str | None] = mapped_column(String(64))
    model_year: Mapped[int | None]
    delivered_on: Mapped[date | None]
    customer: Mapped[Customer] = relationship(back_populates="vehicles")
    repair_orders: Mapped[list[RepairOrder]] = relationship(
        back_populates="vehicle", order_by="RepairOrder.opened_at.desc()"
    )


class Delivery(Base):
    """A sales delivery (交车). ``delivered_at`` only when the time of day is known."""

    __tablename__ = "delivery"
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
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    ro_number: Mapped[str] = mapped_column(String(32))
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    ro_type: Mapped[str] = mapped_column(String(16))
    advisor: Mapped[str | None] = mapped_column(String(64))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    odometer_km: Mapped[int | None]
    summary: Mapped[str | None] = mapped_column(String(200))
    vehicle: Mapped[Vehicle] = relationship(back_populates="repair_orders")
