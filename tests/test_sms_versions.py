"""SMS template versions: every saved number is kept with its text, who saved it and when, and
the history lists them with the campaigns approved on each; older numbers that were overwritten
before versions were stored show the text their campaigns kept."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from console import create_app
from storage.config import load_config
from storage.db import make_engine, make_session_factory, session_scope
from storage.migrate import upgrade
from storage.models import SmsCampaign, SmsTemplate
from tests import archive_seed, personas
from tests.sms_mock import sms_env

pytestmark = [
    pytest.mark.filterwarnings("ignore:Passing SelectField choices:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The Result.tuples:DeprecationWarning"),
]


def test_a_template_saved_before_versions_were_stored_keeps_its_current_text(empty_url):
    upgrade(empty_url, "0009")
    engine = make_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO store (id, code, name, timezone) VALUES (1, 'SZ', '姑苏', 'Asia/Shanghai')"
        ))  # fmt: skip
        conn.execute(sa.text(
            "INSERT INTO sms_template (id, store_id, name, kind, occasion, purpose, body_zh, "
            "version, active, created_at, updated_at) VALUES (1, 1, '冬至', 'holiday', "
            "'new_year', 'marketing', '{customer}，冬至快乐！', 3, true, "
            "'2026-11-01 08:00:00', '2026-11-20 09:30:00')"
        ))  # fmt: skip
    upgrade(empty_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT template_id, number, body_zh, created_at FROM sms_template_version")
        ).all()
    engine.dispose()
    assert [(r[0], r[1], r[2]) for r in rows] == [(1, 3, "{customer}，冬至快乐！")]
    assert str(rows[0][3]).startswith("2026-11-20 09:30")


# ---------- through the web tier ----------


@pytest.fixture
def site(tmp_path):
    url = f"sqlite:///{tmp_path / 'huifang.db'}"
    upgrade(url)
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as s:
        archive = archive_seed.seed(s)
    engine.dispose()
    env = {
        "HUIFANG_INSTANCE": str(tmp_path / "instance"), "HUIFANG_DATABASE_URL": url,
        "HUIFANG_SECRET_KEY": "k", "HUIFANG_INTERNAL_TOKEN": "t", "HUIFANG_TESTING": "1",
    } | sms_env("http://127.0.0.1:9")  # fmt: skip
    app = create_app(load_config(env))
    yield app, archive
    app.extensions["huifang.sessions"].kw["bind"].dispose()


def _client(app, username: str):
    http = app.test_client()
    form = {"username": username, "password": personas.PASSWORD, "csrf_token": _token(http)}
    assert http.post("/login", data=form).status_code == 302
    return http


def _token(http) -> str:
    page = http.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def _save(http, template_id: int | None, body_zh: str, body_en: str = "") -> int:
    form = {"csrf_token": _token(http), "name": "冬至问候", "kind": "holiday",
            "occasion": "new_year", "body_zh": body_zh, "body_en": body_en}  # fmt: skip
    if template_id:
        form["id"] = str(template_id)
    saved = http.post("/sms/templates/", data=form)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    return int(saved.headers["Location"].rsplit("id=", 1)[1])


def _sections(page: str) -> dict[int, str]:
    parts = re.split(r'data-testid="version-(\d+)"', page)[1:]
    return {int(number): html for number, html in zip(parts[::2], parts[1::2], strict=True)}


def test_each_saved_text_stays_readable_with_who_saved_it_and_its_campaigns(site):
    app, archive = site
    rep = _client(app, "rep")
    template_id = _save(rep, None, "{customer}，冬至快乐！")
    with session_scope(app.extensions["huifang.sessions"]) as s:
        t = s.get_one(SmsTemplate, template_id)
        s.add(SmsCampaign(
            store_id=t.store_id, name="冬至 2026", kind=t.kind, occasion=t.occasion,
            purpose=t.purpose, template_id=t.id, template_version=1, body=t.body_zh,
            audience="upload", state="done",
        ))  # fmt: skip
    _save(rep, template_id, "{customer}，冬至快乐！{store}祝您阖家安康。", "Happy Winter Solstice!")
    _save(rep, template_id, "{customer}，冬至快乐！{store}祝您阖家安康。", "Happy Winter Solstice!")

    page = rep.get(f"/sms/templates/{template_id}/versions").get_data(as_text=True)

    versions = _sections(page)
    assert sorted(versions) == [1, 2], "a save that changes nothing makes no version"
    assert "{customer}，冬至快乐！</td>" in versions[1] and "冬至 2026" in versions[1]
    assert "祝您阖家安康" in versions[2] and "Happy Winter Solstice!" in versions[2]
    assert 'data-testid="current-version"' in versions[2]
    assert 'data-testid="current-version"' not in versions[1]
    assert "钱代表" in versions[1] and "钱代表" in versions[2]
    assert "【姑苏汽车服务中心】张先生，冬至快乐！回T退订" in versions[1], "the sample as sent"
    assert "冬至 2026" not in versions[2]


def test_a_number_overwritten_before_versions_were_kept_shows_its_campaigns_text(site):
    app, archive = site
    with session_scope(app.extensions["huifang.sessions"]) as s:
        t = SmsTemplate(store_id=archive.store, name="生日", kind="birthday", purpose="marketing",
                        body_zh="{customer}，生日快乐！", version=3)  # fmt: skip
        s.add(t)
        s.flush()
        s.add(SmsCampaign(
            store_id=t.store_id, name="生日祝福", kind=t.kind, purpose=t.purpose,
            template_id=t.id, template_version=2, body="{customer}，祝您生日快乐！",
            audience="auto", state="approved",
        ))  # fmt: skip
        template_id = t.id

    page = _client(app, "boss").get(f"/sms/templates/{template_id}/versions")

    versions = _sections(page.get_data(as_text=True))
    assert sorted(versions) == [1, 2, 3]
    assert (
        "{customer}，生日快乐！" in versions[3] and 'data-testid="current-version"' in versions[3]
    )
    assert 'data-testid="version-gone"' in versions[2] and "祝您生日快乐" in versions[2]
    assert 'data-testid="version-gone"' in versions[1] and "生日祝福" not in versions[1]


def test_another_stores_template_history_is_not_shown(site):
    app, archive = site
    with session_scope(app.extensions["huifang.sessions"]) as s:
        t = SmsTemplate(store_id=archive.other_store, name="外店", kind="notice",
                        purpose="service", body_zh="外店的召回通知")  # fmt: skip
        s.add(t)
        s.flush()
        template_id = t.id

    page = _client(app, "boss").get(f"/sms/templates/{template_id}/versions")

    assert page.status_code == 404 and "外店的召回通知" not in page.get_data(as_text=True)
