"""Archive search on both databases: every kind of key, typed the ways people type them, only
ever within the stores (and for agents the customers) the user may see."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from storage.archive.search import Scope, find_customers, summaries
from storage.db import make_engine, make_session_factory, session_scope
from storage.migrate import upgrade
from storage.models import Store
from tests import archive_seed, personas


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def searched(request, tmp_path_factory):
    """One seeded archive per database for the whole module: searches only read it."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('search') / 'huifang.db'}"
    else:
        url = request.getfixturevalue("pg_database")
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with session_scope(factory) as s:
        seeded = archive_seed.seed(s)
    yield factory, seeded
    engine.dispose()


@pytest.fixture
def sessions(searched):
    return searched[0]


@pytest.fixture
def archive(searched):
    return searched[1]


def found(sessions, archive, text: str, **scope) -> list[int]:
    with session_scope(sessions) as s:
        return find_customers(s, text, Scope((archive.store,), **scope), 50)


@pytest.mark.parametrize("typed", ["张伟", "张", "伟"])
def test_a_customer_is_found_by_whole_name_its_start_or_any_part(sessions, archive, typed):
    assert archive.zhang_wei in found(sessions, archive, typed)


def test_the_exact_name_comes_first_then_names_starting_with_it_then_the_rest(sessions, archive):
    with sessions() as s:  # added, searched, rolled back: the module's archive stays as seeded
        store = s.get_one(Store, archive.store)
        inside = personas.customer(s, store, "小张伟", phones=()).id
        longer = personas.customer(s, store, "张伟华", phones=()).id
        ids = find_customers(s, "张伟", Scope((archive.store,)), 50)
        s.rollback()
    assert ids == [archive.zhang_wei, longer, inside]


def test_a_name_is_found_by_its_given_name_alone(sessions, archive):
    assert found(sessions, archive, "小明") == [archive.zhang_xiaoming]


@pytest.mark.parametrize(
    "typed",
    [
        "+8613800138000",
        "138 0013 8000",
        "+86 138-0013-8000",
        "１３８００１３８０００",
        "0086 13800138000",
    ],
)
def test_a_customer_is_found_by_a_mobile_number_in_odd_forms(sessions, archive, typed):
    assert found(sessions, archive, typed) == [archive.zhang_wei]


@pytest.mark.parametrize("typed", ["0512-6825 8800", "(0512)68258800", "68258800", "0512 6825"])
def test_a_customer_is_found_by_a_landline_with_or_without_its_area_code(sessions, archive, typed):
    assert found(sessions, archive, typed) == [archive.zhang_wei]


def test_the_last_four_digits_find_every_customer_whose_number_ends_so(sessions, archive):
    assert set(found(sessions, archive, "8000")) == {archive.zhang_wei, archive.wang_fang}


def test_the_first_digits_of_a_mobile_find_its_customer(sessions, archive):
    assert found(sessions, archive, "1380013") == [archive.zhang_wei]


@pytest.mark.parametrize(
    "typed", ["苏E3K8Z2", "苏e·3k8z2", "苏E 3K8Z2", "e3k8z2", "3K8Z2", "苏E3K"]
)
def test_a_customer_is_found_by_plate_whatever_the_case_spaces_dots_or_province(
    sessions, archive, typed
):
    assert found(sessions, archive, typed) == [archive.zhang_wei]


@pytest.mark.parametrize("typed", ["LFV2A21K8N3000001", "lfv2a21k8n3000001", "000001", "3000001"])
def test_a_customer_is_found_by_whole_vin_or_its_last_six_or_more(sessions, archive, typed):
    assert found(sessions, archive, typed) == [archive.zhang_wei]


def test_another_stores_customers_are_never_found(sessions, archive):
    assert found(sessions, archive, "赵六") == []
    assert found(sessions, archive, "13700001111") == []


def test_an_agents_search_finds_only_their_recent_customers(sessions, archive):
    recent = frozenset({archive.zhang_wei})
    assert found(sessions, archive, "张", customer_ids=recent) == [archive.zhang_wei]
    assert found(sessions, archive, "王芳", customer_ids=recent) == []
    assert found(sessions, archive, "张", customer_ids=frozenset()) == []


def test_nothing_is_found_for_what_matches_no_key(sessions, archive):
    assert found(sessions, archive, "欧阳无名氏") == []
    assert found(sessions, archive, "%") == []  # LIKE wildcards are searched as themselves


def test_the_results_table_has_phones_plates_models_and_the_last_visit(sessions, archive):
    with session_scope(sessions) as s:
        (row,) = summaries(s, [archive.zhang_wei])
        assert [p.e164 for p in row.phones] == ["+8613800138000", "+8651268258800"]
        assert (row.plates, row.models) == (["苏E3K8Z2"], ["星途 L"])
        assert row.last_visit is not None and row.last_visit.tzinfo is not None
