"""The demo data: a realistic, deterministic archive with follow-up calls to make right away."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.security import check_password_hash

from scripts.demo_data import (
    DEMO_LOGINS,
    DEMO_PASSWORD,
    STORE_CODE,
    DemoSummary,
    load_demo,
    vin_check_digit,
)
from storage.db import make_engine, make_session_factory, session_scope
from storage.migrate import upgrade
from storage.models import Customer, Delivery, Phone, RepairOrder, Store, User, Vehicle

NOW = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)  # Friday 18:30 in Suzhou
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _database(path: Path) -> sessionmaker[Session]:
    url = f"sqlite:///{path}"
    upgrade(url)
    return make_session_factory(make_engine(url))


def _load(path: Path, **kwargs) -> sessionmaker[Session]:
    factory = _database(path)
    with session_scope(factory) as session:
        load_demo(session, **kwargs)
    return factory


@dataclass
class Loaded:
    factory: sessionmaker[Session]
    summary: DemoSummary


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    """One default load (500 customers), shared by the read-only tests below."""
    factory = _database(tmp_path_factory.mktemp("demo") / "demo.db")
    with session_scope(factory) as session:
        summary = load_demo(session, now=NOW)
    yield Loaded(factory, summary)
    factory.kw["bind"].dispose()


@pytest.fixture
def demo(loaded: Loaded) -> sessionmaker[Session]:
    return loaded.factory


def _all(factory: sessionmaker[Session], statement):
    with factory() as session:
        return session.execute(statement).all()


def test_the_default_load_makes_one_store_and_about_500_customers(demo, loaded) -> None:
    summary = loaded.summary
    assert summary.created
    assert (summary.stores, summary.users, summary.customers) == (1, 5, 500)
    assert 500 < summary.vehicles < 650 and summary.deliveries == summary.vehicles
    assert 500 < summary.phones < 650 and summary.repair_orders > 800
    [(store,)] = _all(demo, select(Store))
    assert (store.code, store.timezone) == (STORE_CODE, "Asia/Shanghai") and store.hotline


def test_the_supervisor_three_agents_and_the_service_manager_have_their_roles_and_store(
    demo,
) -> None:
    with demo() as session:
        users = {u.username: u for u in session.scalars(select(User))}
        store_id = session.scalar(select(Store.id))
        assert set(users) == {"supervisor", "agent1", "agent2", "agent3", "manager"}
        assert users["supervisor"].role_codes == {"centre_head", "general_manager"}
        assert users["manager"].role_codes == {"service_manager"}
        for name in ("agent1", "agent2", "agent3"):
            assert users[name].role_codes == {"agent"}
        assert all([s.store_id for s in u.stores] == [store_id] for u in users.values())
        assert {u.display_name for u in users.values()} == {d.display_name for d in DEMO_LOGINS}


def test_every_demo_password_verifies_with_werkzeug(demo) -> None:
    hashes = _all(demo, select(User.password_hash))
    assert len(hashes) == len(DEMO_LOGINS)
    assert all(check_password_hash(h, DEMO_PASSWORD) for (h,) in hashes)
    assert not any(check_password_hash(h, "wrong") for (h,) in hashes)


def test_every_phone_is_a_valid_chinese_number_in_e164(demo) -> None:
    phones = _all(demo, select(Phone.e164, Phone.kind))
    for e164, _kind in phones:
        number = phonenumbers.parse(e164)
        assert phonenumbers.is_valid_number_for_region(number, "CN"), e164
        assert e164 == phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    kinds = [kind for _, kind in phones]
    assert kinds.count("landline") > 10 and kinds.count("mobile") > 450
    seconds = _all(demo, select(func.count()).select_from(Phone).where(Phone.position == 1))
    assert 40 < seconds[0][0] < 120  # about 15% of customers have a second phone


def test_the_check_digit_matches_a_published_example() -> None:
    assert vin_check_digit("1M8GDM9AXKP042788") == "X"
    assert vin_check_digit("11111111111111111") == "1"


def test_every_vin_has_17_characters_a_correct_check_digit_and_is_unique(demo) -> None:
    vins = [vin for (vin,) in _all(demo, select(Vehicle.vin))]
    assert len(vins) == len(set(vins))
    for vin in vins:
        assert len(vin) == 17 and not set(vin) & set("IOQ"), vin
        assert vin[8] == vin_check_digit(vin), vin


def test_plates_are_mostly_local_and_about_5_percent_from_other_provinces(demo) -> None:
    plates = [plate for (plate,) in _all(demo, select(Vehicle.plate))]
    foreign = [p for p in plates if not p.startswith(("苏E", "苏U"))]
    assert len(plates) == len(set(plates))
    assert 0.02 < len(foreign) / len(plates) < 0.09


def test_deliveries_fall_in_the_18_months_before_now_and_in_opening_hours(demo) -> None:
    rows = _all(demo, select(Delivery.delivered_on, Delivery.delivered_at))
    today = NOW.astimezone(SHANGHAI).date()
    assert all(today - timedelta(days=549) <= on <= today for on, _ in rows)
    timed = [(on, at) for on, at in rows if at is not None]
    assert 0.5 < len(timed) / len(rows) < 0.7
    for on, at in timed:
        local = at.astimezone(SHANGHAI)
        assert at <= NOW and local.date() == on and time(9) <= local.time() <= time(18)


def test_odometer_readings_never_decrease_per_vehicle_over_time(demo) -> None:
    rows = _all(
        demo,
        select(RepairOrder.vehicle_id, RepairOrder.odometer_km).order_by(
            RepairOrder.vehicle_id, RepairOrder.opened_at
        ),
    )
    last: dict[int, int] = {}
    for vehicle_id, km in rows:
        assert km >= last.get(vehicle_id, 0), vehicle_id
        last[vehicle_id] = km


def test_30_to_40_repair_orders_closed_in_the_3_days_before_now_and_none_after(demo) -> None:
    closed = [c for (c,) in _all(demo, select(RepairOrder.closed_at)) if c is not None]
    assert all(c <= NOW for c in closed)
    assert 30 <= sum(c > NOW - timedelta(days=3) for c in closed) <= 40


def test_a_handful_of_repair_orders_are_still_open_since_today(demo) -> None:
    rows = _all(demo, select(RepairOrder.opened_at).where(RepairOrder.closed_at.is_(None)))
    assert 3 <= len(rows) <= 8
    today = NOW.astimezone(SHANGHAI).date()
    assert all(o <= NOW and o.astimezone(SHANGHAI).date() == today for (o,) in rows)


def test_repair_orders_have_unique_numbers_and_close_within_2_days(demo) -> None:
    rows = _all(demo, select(RepairOrder.ro_number, RepairOrder.opened_at, RepairOrder.closed_at))
    assert len({n for n, _, _ in rows}) == len(rows)
    for number, opened, closed in rows:
        assert number.startswith(f"RO{opened.astimezone(SHANGHAI):%Y%m}") and len(number) == 12
        assert closed is None or timedelta(0) < closed - opened < timedelta(days=3)


def _snapshot(factory: sessionmaker[Session]) -> list:
    return [
        _all(factory, select(*cols).order_by(cols[0]))
        for cols in (
            (Customer.id, Customer.name, Customer.gender, Customer.birthday, Customer.street),
            (Phone.id, Phone.e164, Phone.kind),
            (Vehicle.id, Vehicle.vin, Vehicle.plate, Vehicle.model, Vehicle.delivered_on),
            (Delivery.id, Delivery.delivered_at, Delivery.consultant),
            (RepairOrder.id, RepairOrder.ro_number, RepairOrder.closed_at, RepairOrder.amount),
            (RepairOrder.id, RepairOrder.odometer_km, RepairOrder.advisor),
        )
    ]


def test_the_same_seed_gives_the_same_archive_and_another_seed_does_not(tmp_path) -> None:
    first = _load(tmp_path / "a.db", now=NOW, seed=7, customers=60)
    second = _load(tmp_path / "b.db", now=NOW, seed=7, customers=60)
    other = _load(tmp_path / "c.db", now=NOW, seed=8, customers=60)
    assert _snapshot(first) == _snapshot(second)
    assert _snapshot(first) != _snapshot(other)


def test_a_second_load_creates_nothing(demo, loaded) -> None:
    with session_scope(demo) as session:
        again = load_demo(session, now=NOW + timedelta(days=1), seed=99)
    assert not again.created
    assert again == DemoSummary(**{**vars(loaded.summary), "created": False})


def test_progress_is_reported_after_every_customer(tmp_path) -> None:
    calls: list[tuple[int, int]] = []
    _load(tmp_path / "p.db", now=NOW, customers=20, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(n, 20) for n in range(1, 21)]


def test_a_load_before_opening_time_leaves_nothing_in_the_future(tmp_path) -> None:
    early = datetime(2026, 11, 19, 23, 0, tzinfo=UTC)  # 07:00 in Suzhou
    factory = _load(tmp_path / "e.db", now=early, customers=100)
    rows = _all(factory, select(RepairOrder.opened_at, RepairOrder.closed_at))
    assert all(o < early and (c is None or c <= early) for o, c in rows)
    assert all(at <= early for (at,) in _all(factory, select(Delivery.delivered_at)) if at)


def test_a_naive_now_is_refused(tmp_path) -> None:
    factory = _database(tmp_path / "n.db")
    with factory() as session, pytest.raises(ValueError, match="aware"):
        load_demo(session, now=datetime(2026, 11, 20, 10, 30))
