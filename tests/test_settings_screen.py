"""The settings screen on a real web server: a centre head changes a store's setting through
the form (CSRF and all) and sees it marked; other roles are refused; a refused value comes back
next to its field and nothing is saved."""

from __future__ import annotations

import re

import pytest
import requests
from sqlalchemy import select

from storage.codes import Role
from storage.db import make_engine, make_session_factory, session_scope
from storage.models import AuditEntry, StoreSetting, UserStore
from storage.settings import load_settings
from tests import archive_seed, personas, stack
from tests.test_archive_web import Form


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """One server for the module over the shared archive; 管理员 works for both stores."""
    tmp = tmp_path_factory.mktemp("settings-web")
    url = f"sqlite:///{tmp / 'huifang.db'}"
    from storage.migrate import upgrade

    upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with session_scope(sessions) as s:
        archive = archive_seed.seed(s)
        s.add(UserStore(user_id=archive.users["admin"], store_id=archive.other_store))
    env = stack.stack_env(tmp, url, sipp_port=5999)
    proc = stack.start(env, "web", log=tmp / "web.log")
    stack.wait_for_web(env, proc)
    yield env, archive, sessions
    stack.stop(proc)
    engine.dispose()


_logins: dict = {}


def signed_in(web, username: str) -> requests.Session:
    if username not in _logins:
        _logins[username] = stack.sign_in(web[0], username, personas.PASSWORD)
    return _logins[username]


def get(web, username: str, path: str) -> requests.Response:
    return signed_in(web, username).get(
        stack.web_url(web[0]) + path, allow_redirects=False, timeout=10
    )


def settings_form(web, username: str, store_id: int | None = None) -> dict:
    page = get(web, username, "/settings/" + (f"?store_id={store_id}" if store_id else ""))
    assert page.status_code == 200
    return Form(page.text, "settings-form").values


def post(web, username: str, values: dict) -> requests.Response:
    return signed_in(web, username).post(
        stack.web_url(web[0]) + "/settings/", data=values, allow_redirects=False, timeout=10
    )


def stored(web, store_id: int) -> dict[str, str]:
    with session_scope(web[2]) as s:
        rows = s.execute(select(StoreSetting.key, StoreSetting.value).where(
            StoreSetting.store_id == store_id))  # fmt: skip
        return {key: value for key, value in rows}


# ---------- who may open it ----------


@pytest.mark.parametrize("username", sorted(archive_seed.ROLE_USERS))
def test_only_centre_heads_and_administrators_open_the_settings(web, username):
    may = archive_seed.ROLE_USERS[username][1] in {Role.CENTRE_HEAD, Role.ADMIN}
    assert get(web, username, "/settings/").status_code == (200 if may else 403)


def test_an_agent_is_refused_the_screen_and_the_save_and_sees_no_link(web):
    store = web[1].store
    assert get(web, "lina", "/settings/").status_code == 403
    page = get(web, "lina", "/agent/").text
    assert 'data-testid="nav-settings"' not in page
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    reply = post(web, "lina", {"csrf_token": token, "store_id": store, "retry.max_attempts": "9"})
    assert reply.status_code == 403
    assert "retry.max_attempts" not in stored(web, store)


def test_signed_out_visitors_are_sent_to_the_login_page(web):
    reply = requests.get(stack.web_url(web[0]) + "/settings/", allow_redirects=False, timeout=10)
    assert reply.status_code == 302 and "/login" in reply.headers["Location"]


# ---------- editing ----------


def test_a_centre_head_edits_a_value_and_sees_it_marked_as_changed(web):
    store = web[1].store
    page = get(web, "boss", "/settings/").text
    assert 'data-testid="nav-settings"' in page and "设置" in page
    assert "维修回访 (3DC)：维修工单关闭后第几天开始" in page  # Chinese first
    assert 'data-testid="changed-retry.max_attempts"' not in page
    values = settings_form(web, "boss")
    assert values["store_id"] == str(store) and values["retry.max_attempts"] == "5"
    reply = post(web, "boss", values | {"retry.max_attempts": "3"})
    assert reply.status_code == 302 and f"store_id={store}" in reply.headers["Location"]
    page = get(web, "boss", f"/settings/?store_id={store}").text
    assert "已保存 1 项设置。" in page
    assert 'data-testid="changed-retry.max_attempts"' in page
    assert Form(page, "settings-form").values["retry.max_attempts"] == "3"
    assert stored(web, store)["retry.max_attempts"] == "3"
    with session_scope(web[2]) as s:
        assert load_settings(s, store).number("retry.max_attempts") == 3
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "settings")).all()[-1]
    assert audit.details == {"retry.max_attempts": ["5", "3"]}
    assert audit.user_id == web[1].users["boss"]


def test_a_bad_value_shows_its_error_next_to_the_field_and_nothing_is_saved(web):
    store = web[1].store
    before = stored(web, store)
    values = settings_form(web, "boss") | {"churn.km": "6000", "contact_cap.days": "0"}
    reply = post(web, "boss", values)
    assert reply.status_code == 400
    assert 'data-testid="form-has-errors"' in reply.text
    error = re.search(r'data-testid="error-contact_cap.days">([^<]+)<', reply.text)
    assert error and error.group(1) == "应为1 到 30 之间的整数。"
    assert 'data-testid="error-churn.km"' not in reply.text
    typed = Form(reply.text, "settings-form").values
    assert typed["contact_cap.days"] == "0" and typed["churn.km"] == "6000"  # kept as typed
    assert stored(web, store) == before


def test_a_deadline_before_its_due_day_is_refused_in_english_too(web):
    values = settings_form(web, "boss") | {"sales_7dc.due_day": "8"}
    signed_in(web, "boss").get(stack.web_url(web[0]) + "/settings/?lang=en", timeout=10)
    try:
        reply = post(web, "boss", values)
    finally:
        signed_in(web, "boss").get(stack.web_url(web[0]) + "/settings/?lang=zh_Hans", timeout=10)
    assert reply.status_code == 400
    error = re.search(r'data-testid="error-sales_7dc.deadline_day">([^<]+)<', reply.text)
    assert error and error.group(1) == "Expected not less than “Sales 7DC: due on day” (8)."


def test_a_centre_head_cannot_touch_a_store_they_do_not_work_for(web):
    other = web[1].other_store
    assert get(web, "boss", f"/settings/?store_id={other}").status_code == 403
    values = settings_form(web, "boss") | {"store_id": str(other), "horizon_days": "9"}
    assert post(web, "boss", values).status_code == 403
    assert stored(web, other) == {}


def test_a_user_of_two_stores_chooses_which_store_to_edit(web):
    archive = web[1]
    page = get(web, "admin", "/settings/").text
    assert 'data-testid="store-choice"' in page
    assert f'data-testid="store-{archive.other_store}"' in page
    values = settings_form(web, "admin", archive.other_store)
    assert values["store_id"] == str(archive.other_store)
    assert post(web, "admin", values | {"horizon_days": "9"}).status_code == 302
    assert stored(web, archive.other_store) == {"horizon_days": "9"}
    assert "horizon_days" not in stored(web, archive.store)
