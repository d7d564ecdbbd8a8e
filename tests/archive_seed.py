"""The archive the archive tests share: the Suzhou store's customers with cars, visits, a
call, and numbers good and bad; a second store nobody here works for; one user per role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from storage.codes import NetworkOutcome, PhoneValidity, Role, TaskStatus
from storage.models import (
    CallAttempt,
    CallTask,
    Customer,
    Delivery,
    Outcome,
    Phone,
    Store,
)
from tests import personas

ROLE_USERS = {
    "lina": ("李娜", Role.AGENT),
    "boss": ("周主管", Role.CENTRE_HEAD),
    "rep": ("钱代表", Role.REPRESENTATIVE),
    "gm": ("吴总", Role.GENERAL_MANAGER),
    "sm": ("孙经理", Role.SERVICE_MANAGER),
    "sa": ("郑顾问", Role.SERVICE_ADVISOR),
    "rs": ("冯主管", Role.RECEPTION_SUPERVISOR),
    "admin": ("管理员", Role.ADMIN),
}


@dataclass
class Archive:
    store: int
    other_store: int
    users: dict[str, int]
    zhang_wei: int  # two good numbers, a car, two visits, a delivery, called by 李娜 yesterday
    zhang_xiaoming: int  # his only number is wrong
    wang_fang: int  # her only number is empty (and also ends in 8000)
    li_si: int  # no number at all
    chen_jing: int  # a wrong number and a good one
    zhao_liu: int  # the other store's


def _customer(s: Session, store: Store, name: str, *phones: tuple[str, str], **extra) -> int:
    c = Customer(store_id=store.id, name=name, city="苏州市", **extra)
    c.phones = [Phone(e164=n, validity=v, position=i) for i, (n, v) in enumerate(phones)]
    s.add(c)
    s.flush()
    return c.id


def seed(s: Session, now: datetime | None = None) -> Archive:
    now = now or datetime.now(UTC)
    store = personas.suzhou_store(s)
    other = Store(code="SZ02", name="园区汽车服务中心", timezone="Asia/Shanghai")
    s.add(other)
    s.flush()
    users = {
        u: personas.person(s, store, u, name, role).id for u, (name, role) in ROLE_USERS.items()
    }
    ok, bad = PhoneValidity.VALID, PhoneValidity.WRONG
    zhang = personas.customer(s, store, "张伟", "M", ("+8613800138000", "+8651268258800"))
    zhang.province, zhang.county, zhang.birthday = "江苏省", "姑苏区", date(1985, 3, 12)
    car = personas.car(s, zhang)  # LFV2A21K8N3000001, 苏E3K8Z2, 星途 L
    personas.repair_order(
        s, car, "RO-2026-0001", now - timedelta(days=40), now - timedelta(days=40)
    )
    personas.repair_order(s, car, "RO-2026-0002", now - timedelta(days=2), now - timedelta(days=1))
    s.add(Delivery(store_id=store.id, vehicle_id=car.id, customer_id=zhang.id,
                   delivered_on=date(2024, 5, 18), consultant="周文涛"))  # fmt: skip
    _call(s, store, zhang.id, users["lina"], zhang.phones[0].id, now - timedelta(days=1))
    archive = Archive(
        store=store.id,
        other_store=other.id,
        users=users,
        zhang_wei=zhang.id,
        zhang_xiaoming=_customer(s, store, "张小明", ("+8613912345678", bad)),
        wang_fang=_customer(s, store, "王芳", ("+8618612348000", PhoneValidity.EMPTY)),
        li_si=_customer(s, store, "李四"),
        chen_jing=_customer(s, store, "陈静", ("+8613511112222", bad), ("+8613611113333", ok)),
        zhao_liu=_customer(s, other, "赵六", ("+8613700001111", ok)),
    )
    s.flush()
    return archive


def _call(s: Session, store: Store, customer_id: int, agent_id: int, phone_id: int, at) -> None:
    task = CallTask(
        store_id=store.id, customer_id=customer_id, status=TaskStatus.DONE, due_at=at,
        deadline_at=at + timedelta(days=2), next_attempt_at=at, attempts=1, closed_at=at,
    )  # fmt: skip
    s.add(task)
    s.flush()
    attempt = CallAttempt(
        task_id=task.id, agent_id=agent_id, phone_id=phone_id, dialled="sip:+8613800138000@x",
        started_at=at, answered_at=at, ended_at=at + timedelta(minutes=3),
        network_outcome=NetworkOutcome.ANSWERED, sip_status=200,
    )  # fmt: skip
    s.add(attempt)
    s.flush()
    notes = "车辆使用正常，对服务非常满意"
    s.add(Outcome(attempt_id=attempt.id, task_id=task.id, agent_id=agent_id, code="completed",
                  satisfaction=5, notes=notes, final=True, saved_at=at))  # fmt: skip
