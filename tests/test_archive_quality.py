"""Data quality on both databases: wrong, empty and missing numbers and the information
retention rate (customers with a number neither wrong nor empty ÷ customers), per store."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from console.access import permissions_of
from console.services.archive import Refused, access_for
from console.services.archive_quality import quality
from storage.archive.quality import Problem, StoreQuality, affected, by_store
from storage.codes import Role
from storage.db import session_scope
from storage.models import StoreSetting
from tests import archive_seed


@pytest.fixture
def archive(sessions):
    with session_scope(sessions) as s:
        return archive_seed.seed(s)


def test_each_store_counts_wrong_empty_and_missing_numbers_and_who_is_retained(sessions, archive):
    with session_scope(sessions) as s:
        here, there = by_store(s, (archive.store, archive.other_store))
    # 张伟 ok; 张小明 wrong only; 王芳 empty only; 李四 none; 陈静 wrong + ok
    assert here == StoreQuality(archive.store, 5, wrong=2, empty=1, no_number=1, retained=2)
    assert here.retention_rate == pytest.approx(0.4)
    assert there == StoreQuality(archive.other_store, 1, 0, 0, 0, 1)


def test_a_store_without_customers_has_no_rate_rather_than_a_division_by_zero(sessions, archive):
    with session_scope(sessions) as s:
        (empty,) = by_store(s, (archive.other_store + 100,))
    assert empty.customers == 0 and empty.retention_rate is None


@pytest.mark.parametrize(
    ("problem", "names"),
    [
        (None, ["张小明", "李四", "王芳", "陈静"]),
        (Problem.WRONG, ["张小明", "陈静"]),
        (Problem.EMPTY, ["王芳"]),
        (Problem.NO_NUMBER, ["李四"]),
        (Problem.UNREACHABLE, ["张小明", "李四", "王芳"]),
    ],
)
def test_the_customers_to_fix_are_listed_by_problem(sessions, archive, problem, names):
    with session_scope(sessions) as s:
        rows = affected(s, (archive.store,), problem, 0, 100)
    assert sorted(name for _, name, *_ in rows) == sorted(names)


def test_the_page_totals_the_stores_and_flags_a_rate_below_the_stores_target(sessions, archive):
    with session_scope(sessions) as s:
        s.add(StoreSetting(store_id=archive.store, key="retention_target_pct", value="35"))
        boss = access_for(s, archive.users["boss"], permissions_of({Role.CENTRE_HEAD}), _now())
        page = quality(s, boss, None, 1)
    (store,) = page["stores"]
    assert store["rate_pct"] == 40.0 and store["target_pct"] == 35.0 and not store["below_target"]
    assert page["total"]["counts"].customers == 5 and page["total"]["below_target"]  # default 90%
    assert {row["name"] for row in page["affected"]} == {"张小明", "王芳", "李四", "陈静"}


def test_agents_do_not_see_data_quality(sessions, archive):
    with session_scope(sessions) as s:
        lina = access_for(s, archive.users["lina"], permissions_of({Role.AGENT}), _now())
        with pytest.raises(Refused):
            quality(s, lina, None, 1)


def _now() -> datetime:
    return datetime.now(UTC)
