"""Customer segments on both databases: each filter of DOMAIN.md's "Segment by" selects the
right customers of one store, filters combine, and a saved segment gives its customers today."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from console.access import permissions_of
from console.services import archive_segments
from console.services.archive import Refused, access_for
from storage.archive.segments import Filter, count, customer_ids, query
from storage.codes import Role
from storage.db import session_scope
from storage.errors import InvalidInput
from storage.models import AuditEntry, Customer, RepairOrder, Segment, Store, Vehicle
from tests import personas

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


def _person(s, store, name, *, city="苏州市", company=False, car=None, visits=()):
    """A customer with a car (model, year) and visits (days ago, yuan)."""
    c = Customer(store_id=store.id, name=name, city=city, is_company=company)
    s.add(c)
    s.flush()
    model, year = car or ("星途 L", 2024)
    v = Vehicle(store_id=store.id, customer_id=c.id, vin=f"LSEG{c.id:013d}", model=model,
                model_year=year)  # fmt: skip
    s.add(v)
    s.flush()
    for n, (days, yuan) in enumerate(visits):
        opened = NOW - timedelta(days=days)
        s.add(RepairOrder(store_id=store.id, ro_number=f"RO-{c.id}-{n}", vin=v.vin, vehicle_id=v.id,
                          customer_id=c.id, opened_at=opened, closed_at=opened + timedelta(hours=3),
                          ro_type="maintenance", amount=Decimal(yuan)))  # fmt: skip
    s.flush()
    return c.id


@pytest.fixture
def store(sessions):
    with session_scope(sessions) as s:
        store = personas.suzhou_store(s)
        other = Store(code="SZ02", name="园区汽车服务中心")
        s.add(other)
        s.flush()
        people = {
            # 4 visits, 8,000 yuan this year: loyal, 5k-10k
            "钱多多": _person(s, store, "钱多多", company=True,
                              visits=[(20, 2000), (80, 2000), (150, 2000), (300, 2000)]),
            # one visit 8 months ago: under 5k, quasi-churn
            "孙少": _person(s, store, "孙少", visits=[(240, 600)]),
            # two visits, 12,000 yuan, an older car in another city: 10k-20k
            "周全": _person(s, store, "周全", city="昆山市", car=("瑞虎 8", 2021),
                            visits=[(10, 9000), (100, 3000), (500, 40000)]),
            "吴缺": _person(s, store, "吴缺", company=True),  # never visited
        }  # fmt: skip
        _person(s, other, "郑外", visits=[(5, 100)])  # the other store's
        people["store"] = store.id
        return people


def selected(sessions, store, **filters) -> set[str]:
    with session_scope(sessions) as s:
        ids = s.scalars(query(store["store"], Filter(**filters), NOW)).all()
        return {s.get_one(Customer, i).name for i in ids}


def test_an_empty_filter_selects_the_whole_store_and_nobody_else(sessions, store):
    assert selected(sessions, store) == {"钱多多", "孙少", "周全", "吴缺"}


def test_model_model_year_city_and_company_each_narrow_the_segment(sessions, store):
    assert selected(sessions, store, models=("瑞虎 8",)) == {"周全"}
    assert selected(sessions, store, model_year_from=2022) == {"钱多多", "孙少", "吴缺"}
    assert selected(sessions, store, model_year_to=2021) == {"周全"}
    assert selected(sessions, store, cities=("昆山市",)) == {"周全"}
    assert selected(sessions, store, kind="company") == {"钱多多", "吴缺"}
    assert selected(sessions, store, kind="private") == {"孙少", "周全"}


def test_spend_bands_count_only_the_last_twelve_months(sessions, store):
    assert selected(sessions, store, spend_bands=("lt5k",)) == {"孙少", "吴缺"}
    assert selected(sessions, store, spend_bands=("5k_10k",)) == {"钱多多"}
    assert selected(sessions, store, spend_bands=("10k_20k",)) == {"周全"}  # not the 40,000
    assert selected(sessions, store, spend_bands=("5k_10k", "10k_20k")) == {"钱多多", "周全"}


def test_visits_per_year_and_months_since_the_last_visit(sessions, store):
    assert selected(sessions, store, visits_min=2) == {"钱多多", "周全"}
    assert selected(sessions, store, visits_max=0) == {"吴缺"}
    assert selected(sessions, store, months_since_visit_min=6) == {"孙少"}  # never visited: out
    assert selected(sessions, store, months_since_visit_max=1) == {"钱多多", "周全"}


def test_loyal_customers_have_four_visits_and_6800_yuan_in_the_year(sessions, store):
    assert selected(sessions, store, loyal=True) == {"钱多多"}


def test_filters_combine(sessions, store):
    assert selected(sessions, store, kind="company", visits_min=1) == {"钱多多"}
    assert selected(sessions, store, loyal=True, cities=("昆山市",)) == set()


def test_a_filter_survives_its_json_and_a_bad_one_names_its_field():
    f = Filter(models=("星途 L",), spend_bands=("lt5k",), visits_min=1, loyal=True)
    assert Filter.from_json(f.as_json()) == f
    for bad, field in (
        ({"visits_min": 5, "visits_max": 2}, "visits_max"),
        ({"spend_bands": ["lots"]}, "spend_bands"),
        ({"kind": "fleet"}, "kind"),
        ({"model_year_from": "新款"}, "model_year_from"),
    ):
        with pytest.raises(ValueError, match=field):
            Filter.from_json(bad)


def test_a_saved_segment_gives_its_customers_today_and_is_audited(sessions, store):
    with session_scope(sessions) as s:
        rep = personas.person(
            s, s.get_one(Store, store["store"]), "rep", "钱代表", Role.REPRESENTATIVE
        )
        access = access_for(s, rep.id, permissions_of({Role.REPRESENTATIVE}), NOW)
        saved = archive_segments.save(
            s, access, None, "大客户", store["store"], Filter(loyal=True), NOW
        )
    with session_scope(sessions) as s:
        segment = s.get_one(Segment, saved)
        assert (segment.name, segment.filters, segment.counted) == ("大客户", {"loyal": True}, 1)
        assert customer_ids(s, segment, NOW) == [store["钱多多"]]
        assert count(s, store["store"], Filter(), NOW) == 4
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "segment")).one()
        assert entry.entity_id == saved and entry.user_id == rep.id


def test_a_segment_name_is_unique_in_its_store_and_agents_build_none(sessions, store):
    with session_scope(sessions) as s:
        shop = s.get_one(Store, store["store"])
        rep = personas.person(s, shop, "rep", "钱代表", Role.REPRESENTATIVE)
        lina = personas.person(s, shop, "lina", "李娜", Role.AGENT)
        access = access_for(s, rep.id, permissions_of({Role.REPRESENTATIVE}), NOW)
        archive_segments.save(s, access, None, "大客户", shop.id, Filter(loyal=True), NOW)
        with pytest.raises(InvalidInput):
            archive_segments.save(s, access, None, "大客户", shop.id, Filter(), NOW)
        agent = access_for(s, lina.id, permissions_of({Role.AGENT}), NOW)
        with pytest.raises(Refused):
            archive_segments.preview(s, agent, shop.id, Filter(), NOW, UTC)
