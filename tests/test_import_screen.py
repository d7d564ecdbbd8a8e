"""The import screen on a real web server: a centre head uploads a GBK DMS export, sees what
would happen (nothing saved yet), confirms, and downloads the rejected rows; in Chromium the
same from the keyboard, photographed (``test-artifacts/import-*.png``)."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import func, select

from storage.db import make_engine, make_session_factory, session_scope
from storage.migrate import upgrade
from storage.models import Customer, ImportBatch, Vehicle
from tests import archive_seed, personas, stack
from tests.import_helpers import LI_COMPANY, ZHANG_CAR_1, ZHANG_CAR_2, write_csv

NO_VIN = ["王芳", "女", "139 1234 5678", "个人", "", "苏E99999", "瑶光", "2024", "2024-06-01",
          "", ""]  # fmt: skip
NEW_CAR = ["周杰", "男", "13700001111", "个人", "LFV2A21K8N3000009", "苏E7Q111", "星途 L", "2025",
           "2025年1月8日", "江苏省苏州市吴中区东吴北路5号", "1990-13-01"]  # fmt: skip
SHOTS = stack.ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("import-screen")
    url = f"sqlite:///{tmp / 'huifang.db'}"
    upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with session_scope(sessions) as s:
        archive = archive_seed.seed(s)
    env = stack.stack_env(tmp, url, sipp_port=5999)
    proc = stack.start(env, "web", log=tmp / "web.log")
    stack.wait_for_web(env, proc)
    yield env, archive, sessions, tmp
    stack.stop(proc)
    engine.dispose()


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "the page has a CSRF token"
    return match.group(1)


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html)
    assert match, f"the preview carries {name}"
    return match.group(1)


def _upload(web, http: requests.Session, path, kind: str = "auto") -> requests.Response:
    env, archive = web[0], web[1]
    base = stack.web_url(env) + "/archive/import/"
    token = _csrf(http.get(base, timeout=10).text)
    with path.open("rb") as f:
        return http.post(
            base,
            data={"csrf_token": token, "store_id": archive.store, "kind": kind},
            files={"file": (path.name, f, "text/csv")},
            timeout=30,
        )


def _customers(sessions, name: str) -> int:
    with session_scope(sessions) as s:
        return s.scalar(select(func.count()).select_from(Customer).where(Customer.name == name))


def _batches(sessions) -> int:
    with session_scope(sessions) as s:
        return s.scalar(select(func.count()).select_from(ImportBatch))


def test_a_checked_file_shows_its_problems_and_saves_nothing_until_confirmed(web):
    env, archive, sessions, tmp = web
    http = stack.sign_in(env, "boss", personas.PASSWORD)
    path = write_csv(tmp / "交车档案.csv", [NEW_CAR, NO_VIN, LI_COMPANY], encoding="gbk")

    preview = _upload(web, http, path)

    assert preview.status_code == 200
    assert 'data-testid="count-rows">3<' in preview.text
    assert 'data-testid="count-rejected">1<' in preview.text
    assert "gb" in preview.text.lower()  # the detected encoding is shown
    lines = re.findall(r'<td class="text-end hf-mono">(\d+)</td>', preview.text)
    assert "3" in lines and "2" in lines  # the row with no VIN, the bad birthday on line 2
    assert _customers(sessions, "周杰") == 0, "a check saves nothing"

    base = stack.web_url(env)
    confirm_url = re.search(r'formaction="(/archive/import/[0-9a-f]+/confirm)"', preview.text)
    assert confirm_url
    form = {
        name: _hidden(preview.text, name) for name in ("csrf_token", "store_id", "kind", "as_of")
    }
    done = http.post(base + confirm_url.group(1), data=form, timeout=30)

    assert done.status_code == 200 and 'data-testid="import-result"' in done.text
    assert _customers(sessions, "周杰") == 1
    with session_scope(sessions) as s:
        batch = s.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())).first()
        assert batch.user_id == archive.users["boss"] and batch.counts["rejected"] == 1
        assert batch.file_name == "交车档案.csv"
    rejects_url = re.search(r'href="(/archive/import/[0-9a-f]+/rejects)"', done.text)
    assert rejects_url
    rejects = http.get(base + rejects_url.group(1), timeout=10)
    text = rejects.content.decode("gbk")
    assert "王芳" in text and "周杰" not in text, "only the rejected row, in the file's encoding"

    batches = _batches(sessions)
    again = http.post(base + confirm_url.group(1), data=form, timeout=30)
    assert 'data-testid="import-result"' in again.text
    assert _batches(sessions) == batches, "a second confirm imports nothing again"


def test_a_discarded_check_imports_nothing_and_forgets_the_file(web):
    env, _archive, sessions, tmp = web
    http = stack.sign_in(env, "admin", personas.PASSWORD)
    path = write_csv(tmp / "discard.csv", [["钱七", "男", "13600002222", "个人"] + [""] * 7])
    preview = _upload(web, http, path)
    discard = re.search(r'formaction="(/archive/import/([0-9a-f]+)/discard)"', preview.text)
    assert discard

    http.post(
        stack.web_url(env) + discard.group(1),
        data={"csrf_token": _hidden(preview.text, "csrf_token")},
        timeout=10,
    )

    assert _customers(sessions, "钱七") == 0
    gone = http.get(stack.web_url(env) + f"/archive/import/{discard.group(2)}", timeout=10)
    assert gone.status_code == 404


def test_a_file_that_is_not_an_export_is_refused_with_a_reason(web):
    env, _archive, _sessions, tmp = web
    http = stack.sign_in(env, "boss", personas.PASSWORD)
    notes = tmp / "notes.txt"
    notes.write_text("hello", "utf-8")
    garbled = tmp / "garbled.xlsx"
    garbled.write_bytes(b"this is not a workbook")

    refused = _upload(web, http, notes)
    unreadable = _upload(web, http, garbled)

    assert refused.status_code == 400 and 'data-testid="upload-error"' in refused.text
    assert unreadable.status_code == 200 and 'data-testid="flash"' in unreadable.text
    assert "garbled.xlsx" not in unreadable.text.split('data-testid="batches"')[1]


@pytest.mark.parametrize("username", ["lina", "rep", "gm", "sm", "sa"])
def test_only_centre_heads_and_admins_may_import(web, username):
    env = web[0]
    http = stack.sign_in(env, username, personas.PASSWORD)
    page = http.get(stack.web_url(env) + "/archive/import/", timeout=10, allow_redirects=False)
    assert page.status_code == 403


@pytest.mark.browser
def test_a_centre_head_imports_a_file_in_chromium(web, chromium):
    env, _archive, sessions, tmp = web
    SHOTS.mkdir(exist_ok=True)
    path = write_csv(tmp / "customers-browser.csv", [ZHANG_CAR_1, ZHANG_CAR_2, NO_VIN])
    page = chromium.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page.goto(stack.web_url(env) + "/login")
    page.fill("#username", "boss")
    page.fill("#password", personas.PASSWORD)
    page.click("[data-testid=login-submit]")
    page.goto(stack.web_url(env) + "/archive/import/")
    expect(page.locator("[data-testid=tab-upload]")).to_have_attribute("aria-current", "page")
    page.set_input_files("[data-testid=upload-file]", str(path))
    page.screenshot(path=str(SHOTS / "import-upload.png"))
    page.click("[data-testid=upload-check]")

    expect(page.locator("[data-testid=import-preview]")).to_be_visible()
    expect(page.locator("[data-testid=count-rejected]")).to_have_text("1")
    expect(page.locator("[data-testid=problem-row]").first).to_contain_text("4")
    expect(page.locator("[data-testid=import-confirm]")).to_be_focused()
    page.screenshot(path=str(SHOTS / "import-preview.png"), full_page=True)
    page.keyboard.press("Enter")

    expect(page.locator("[data-testid=import-result]")).to_be_visible()
    expect(page.locator("[data-testid=rejects-download]")).to_be_visible()
    page.screenshot(path=str(SHOTS / "import-result.png"), full_page=True)
    with session_scope(sessions) as s:
        zhang = s.scalars(select(Customer).where(Customer.name == "张伟")).all()
        cars = s.scalars(select(Vehicle.vin).where(Vehicle.vin.like("LFV2A21K8N300000%"))).all()
    assert len([c for c in zhang if c.store_id == web[1].store]) == 1, "two cars, one person"
    assert {"LFV2A21K8N3000001", "LFV2A21K8N3000002"} <= set(cars)
    page.close()
