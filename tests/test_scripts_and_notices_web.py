"""The scripts screen (centre heads edit a script: a new version, the history, an old version)
and the notices screen (a service manager reads the case handed over, live and listed)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from console import create_app
from console.services import desk as desk_service
from storage.config import load_config
from storage.db import make_engine, make_session_factory, session_scope
from storage.models import Notice, ScriptVersion, Store
from tests import personas
from tests.desk_seed import NOW, Desk, answered_call, seed
from tests.test_authorization import csrf_token, sign_in

WORDS = "结算比报价多了八百块"


@pytest.fixture
def site(tmp_path, sqlite_url) -> Iterator[tuple]:
    sessions = make_session_factory(make_engine(sqlite_url))
    d = seed(sessions)
    app = create_app(load_config({
        "HUIFANG_INSTANCE": str(tmp_path / "instance"), "HUIFANG_DATABASE_URL": sqlite_url,
        "HUIFANG_SECRET_KEY": "k", "HUIFANG_INTERNAL_TOKEN": "t", "HUIFANG_TESTING": "1",
    }))  # fmt: skip
    yield app, sessions, d
    app.extensions["huifang.sessions"].kw["bind"].dispose()


def client(app, username: str) -> FlaskClient:
    http = app.test_client()
    sign_in(http, username)
    return http


def editor_form(page: str) -> dict[str, str]:
    """Every field of the editor as the browser would post it, unchanged."""
    unescape = {"&#39;": "'", "&amp;": "&", "&lt;": "<", "&gt;": ">", "&#34;": '"'}
    form = {"store_id": re.search(r'name="store_id" type="hidden" value="(\d+)"', page)[1]}
    for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', page):
        for entity, char in unescape.items():
            text = text.replace(entity, char)
        form[name] = text
    form |= dict(re.findall(r'name="(q-\d+-key)" value="([^"]*)"', page))
    for name, options in re.findall(r'name="(q-\d+-kind)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'value="([^"]+)" selected', options)
        form[name] = chosen[1] if chosen else "text"
    return form


def test_a_centre_head_sees_every_script_of_the_store_by_follow_up_and_kind(site):
    app, _sessions, _d = site
    page = client(app, "zhou").get("/scripts/").get_data(as_text=True)
    assert len(re.findall(r'data-testid="script-row-', page)) == 12
    assert len(re.findall(r'data-testid="script-[a-z_0-9]+-(standard|vip|company|major_repair)"',
                          page)) == 48  # fmt: skip
    assert "维修回访 (3DC)" in page and "VIP 客户" in page


def test_an_edit_is_saved_as_a_new_version_and_the_history_shows_both(site):
    app, sessions, d = site
    http = client(app, "zhou")
    form = editor_form(http.get("/scripts/repair_3dc/vip").get_data(as_text=True))
    form |= {"csrf_token": csrf_token(http), "note": "结束语更简短",
             "closing.zh_Hans": "谢谢{customer}，再见！", "q-6-key": "parking",
             "q-6-kind": "yes_no", "q-6-zh_Hans": "停车方便吗？",
             "q-6-en": "Was parking easy?"}  # fmt: skip
    reply = http.post("/scripts/repair_3dc/vip", data=form)
    assert reply.status_code == 302
    page = http.get(reply.headers["Location"]).get_data(as_text=True)
    assert re.findall(r'data-testid="version-(\d+)"', page) == ["2", "1"]
    assert "周主管: 结束语更简短" in page and "谢谢{customer}，再见！" in page
    with session_scope(sessions) as s:
        old, new = s.scalars(select(ScriptVersion).order_by(ScriptVersion.number)).all()
        assert old.content["closing"]["zh_Hans"].startswith("再次感谢您的信任")
        assert new.content["closing"]["zh_Hans"] == "谢谢{customer}，再见！"
        assert new.content["questions"][-1] == {
            "key": "parking", "kind": "yes_no",
            "text": {"zh_Hans": "停车方便吗？", "en": "Was parking easy?"},
        }  # fmt: skip
        old_id = old.id
    shown = http.get(f"/scripts/versions/{old_id}").get_data(as_text=True)
    assert "再次感谢您的信任" in shown and "parking" not in shown


def test_a_refused_edit_names_the_field_and_saves_nothing(site):
    app, sessions, _d = site
    http = client(app, "zhou")
    form = editor_form(http.get("/scripts/sales_7dc/standard").get_data(as_text=True))
    form |= {"csrf_token": csrf_token(http), "opening.en": "Hello {nickname}"}
    reply = http.post("/scripts/sales_7dc/standard", data=form)
    page = reply.get_data(as_text=True)
    assert reply.status_code == 400 and "{nickname}" in page
    assert re.search(r'is-invalid" id="f-opening-en"', page)
    with session_scope(sessions) as s:
        assert s.query(ScriptVersion).count() == 0


def test_a_question_removed_is_gone_from_the_next_version(site):
    app, sessions, _d = site
    http = client(app, "zhou")
    form = editor_form(http.get("/scripts/repair_3dc/standard").get_data(as_text=True))
    form |= {"csrf_token": csrf_token(http), "q-1-remove": "1"}
    assert http.post("/scripts/repair_3dc/standard", data=form).status_code == 302
    with session_scope(sessions) as s:
        newest = s.scalars(select(ScriptVersion).order_by(ScriptVersion.number.desc())).first()
        assert [q["key"] for q in newest.content["questions"]] == ["fixed", "on_time", "overall"]


def test_a_centre_head_cannot_edit_another_stores_scripts(site):
    app, sessions, _d = site
    with session_scope(sessions) as s:
        other = s.scalars(select(Store).where(Store.code == "SZ02")).one().id
    http = client(app, "zhou")
    assert http.get(f"/scripts/repair_3dc/vip?store_id={other}").status_code == 403
    assert http.get("/scripts/no_such_type/vip").status_code == 404


# ---------- notices ----------


def complaint(sessions, d: Desk) -> int:
    attempt_id = answered_call(sessions, d.agent)
    with session_scope(sessions) as s:
        data = {"attempt_id": attempt_id, "code": "complaint", "complaint_text": WORDS,
                "complaint_category": "cost_above_quote"}  # fmt: skip
        desk_service.wrap_up(s, d.agent, data, NOW)
    return attempt_id


def test_a_service_manager_reads_the_case_handed_over_and_marks_it_read(site):
    app, sessions, d = site
    complaint(sessions, d)
    http = client(app, "sun")
    page = http.get("/notices/").get_data(as_text=True)
    assert 'data-testid="nav-notices-unread">1<' in page
    assert "新投诉案件" in page and "费用超标" in page and WORDS in page and "RO-1" in page
    notice_id = re.search(r'data-testid="notice" data-id="(\d+)"', page)[1]
    reply = http.post(f"/notices/{notice_id}/read", data={"csrf_token": csrf_token(http)})
    assert reply.status_code == 302
    page = http.get("/notices/").get_data(as_text=True)
    assert 'data-read="true"' in page and "nav-notices-unread" not in page
    with session_scope(sessions) as s:
        read = {n.user_id: n.read_at for n in s.scalars(select(Notice))}
        assert read[d.managers[0]] is not None and read[d.managers[1]] is None


def test_nobody_marks_someone_elses_notice(site):
    app, sessions, d = site
    complaint(sessions, d)
    with session_scope(sessions) as s:
        theirs = s.scalars(select(Notice).where(Notice.user_id == d.managers[1])).one().id
    http = client(app, "sun")
    reply = http.post(f"/notices/{theirs}/read", data={"csrf_token": csrf_token(http)})
    assert reply.status_code == 404


def test_mark_all_as_read(site):
    app, sessions, d = site
    complaint(sessions, d)
    http = client(app, "qian")
    http.post("/notices/read-all", data={"csrf_token": csrf_token(http)})
    with session_scope(sessions) as s:
        assert s.scalars(select(Notice.read_at).where(Notice.user_id == d.managers[1])).one()


def test_the_case_reaches_the_agent_and_each_manager_online_live(site):
    app, sessions, d = site
    socketio = app.extensions["socketio"]
    agent = socketio.test_client(app, namespace="/agent", flask_test_client=client(app, "lina"))
    sun = socketio.test_client(app, namespace="/notices", flask_test_client=client(app, "sun"))
    zhao = socketio.test_client(app, namespace="/notices", flask_test_client=client(app, "zhao"))
    for sock in (agent, sun, zhao):
        sock.get_received("/agent" if sock is agent else "/notices")
    attempt_id = complaint(sessions, d)
    with app.app_context():
        app.extensions["huifang.notifier"].outcome_recorded(d.agent, attempt_id)
    [opened] = [e for e in agent.get_received("/agent") if e["name"] == "case_opened"]
    assert opened["args"][0]["category_label"] == "费用超标"
    [pushed] = sun.get_received("/notices")
    assert pushed["name"] == "notice" and pushed["args"][0]["payload"]["verbatim"] == WORDS
    assert zhao.get_received("/notices") == []  # the other store's manager


def test_an_advisor_signs_in_to_their_notices(site):
    app, sessions, _d = site
    http = client(app, "zheng")
    assert http.get("/").headers["Location"].endswith("/notices/")
    assert http.get("/notices/").status_code == 200


def test_every_role_may_open_the_notices_screen_signed_out_may_not(site):
    app, sessions, d = site
    with session_scope(sessions) as s:
        personas.person(s, s.get_one(Store, d.store), "nobody", "无名", *())
    assert client(app, "nobody").get("/notices/").status_code == 403
    assert app.test_client().get("/notices/").status_code in (302, 401)
