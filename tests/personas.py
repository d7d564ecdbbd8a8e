"""Named people and facts for tests: the Suzhou store, agent 李娜, customer 张伟..."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from storage.codes import Role
from storage.models import Customer, Phone, RepairOrder, Store, User, UserRole, UserStore, Vehicle

PASSWORD = "secret-pass"


def suzhou_store(s: Session) -> Store:
    store = Store(
        code="SZ01", name="姑苏汽车服务中心", timezone="Asia/Shanghai", hotline="0512-6000-8000"
    )
    s.add(store)
    s.flush()
    return store


def calls_around_the_clock(s: Session, store: Store) -> None:
    """Let the store's calls go out at any hour and on holidays: for tests that dial at
    whatever time they run (the calling windows have their own tests)."""
    from storage.models import StoreSetting

    s.add(StoreSetting(store_id=store.id, key="calling.windows", value="00:00-23:59"))
    s.add(StoreSetting(store_id=store.id, key="calling.holidays_no_call", value="no"))
    s.flush()


def person(s: Session, store: Store, username: str, name: str, *roles: Role) -> User:
    user = User(
        username=username,
        display_name=name,
        password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"),
    )
    user.roles = [UserRole(role=r) for r in roles]
    user.stores = [UserStore(store_id=store.id)]
    s.add(user)
    s.flush()
    return user


def customer(
    s: Session,
    store: Store,
    name: str = "张伟",
    gender: str = "M",
    phones: tuple[str, ...] = ("+8613800138000",),
) -> Customer:
    c = Customer(store_id=store.id, name=name, gender=gender, city="苏州")
    c.phones = [Phone(e164=p, position=i) for i, p in enumerate(phones)]
    s.add(c)
    s.flush()
    return c


def car(s: Session, c: Customer, vin: str = "LFV2A21K8N3000001", plate: str = "苏E3K8Z2"):
    v = Vehicle(
        store_id=c.store_id, customer_id=c.id, vin=vin, plate=plate, model="星途 L", model_year=2024
    )
    s.add(v)
    s.flush()
    return v


def repair_order(
    s: Session, v: Vehicle, number: str, opened: datetime, closed: datetime | None
) -> RepairOrder:
    ro = RepairOrder(
        store_id=v.store_id,
        ro_number=number,
        vin=v.vin,
        vehicle_id=v.id,
        customer_id=v.customer_id,
        opened_at=opened,
        closed_at=closed,
        ro_type="maintenance",
        advisor="王强",
        amount=Decimal("680.00"),
        odometer_km=9800,
    )
    s.add(ro)
    s.flush()
    return ro
