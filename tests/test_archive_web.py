"""The archive screens on a real web server: who may open which route, what an agent sees,
the customer page, editing through the form (CSRF and all), exports and their audit."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import pytest
import requests
from openpyxl import load_workbook
from sqlalchemy import select

from storage.db import make_engine, make_session_factory, session_scope
from storage.models import AuditEntry, Customer, FieldSource
from tests import archive_seed, personas, stack


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """One server for the module, over the shared archive (tests add, never rely on order)."""
    tmp = tmp_path_factory.mktemp("archive-web")
    url = f"sqlite:///{tmp / 'huifang.db'}"
    from storage.migrate import upgrade

    upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with session_scope(sessions) as s:
        archive = archive_seed.seed(s)
    env = stack.stack_env(tmp, url, sipp_port=5999)
    proc = stack.start(env, "web", log=tmp / "web.log")
    stack.wait_for_web(env, proc)
    yield env, archive, sessions
    stack.stop(proc)
    engine.dispose()


_logins: dict = {}


def signed_in(web, username: str) -> requests.Session:
    env = web[0]
    if username not in _logins:
        _logins[username] = stack.sign_in(env, username, personas.PASSWORD)
    return _logins[username]


def get(web, username: str | None, path: str) -> requests.Response:
    http = signed_in(web, username) if username else requests.Session()
    return http.get(stack.web_url(web[0]) + path, allow_redirects=False, timeout=10)


class Form(HTMLParser):
    """The values a browser would submit from the page's form with ``form_id``."""

    def __init__(self, html: str, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside, self.values = form_id, False, {}
        self._select: str | None = None
        self._textarea: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value", "")
        if not self.inside or not a.get("name"):
            return
        name = a["name"]
        if tag == "input" and a.get("type") == "checkbox":
            if "checked" in a:
                self.values.setdefault(name, []).append(a.get("value", "y"))
        elif tag == "input":
            self.values[name] = a.get("value", "")
        elif tag == "select":
            self._select = name
        elif tag == "textarea":
            self._textarea, self.values[name] = name, ""

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        if tag == "textarea":
            self._textarea = None
        if tag == "form":
            self.inside = False

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def edit_form(web, username: str, customer_id: int) -> dict:
    page = get(web, username, f"/archive/customers/{customer_id}/edit")
    assert page.status_code == 200
    return Form(page.text, "edit-form").values


def post_edit(web, username: str, customer_id: int, values: dict) -> requests.Response:
    return signed_in(web, username).post(
        stack.web_url(web[0]) + f"/archive/customers/{customer_id}/edit",
        data=values,
        allow_redirects=False,
        timeout=10,
    )


# ---------- who may open what ----------

ROUTES = ["search", "customer", "edit", "save", "export", "audit", "quality", "segments", "build"]
ALLOWED = {  # role's user -> routes they may use (the rest: 403)
    "lina": {"search", "customer"},  # 张伟 is the customer of her call yesterday
    "boss": set(ROUTES),
    "rep": {"search", "customer", "edit", "save", "quality", "segments", "build"},
    "sm": {"search", "customer", "export", "audit", "quality", "segments"},
    "gm": set(ROUTES),
    "admin": set(ROUTES),
    "sa": set(),
    "rs": set(),
}


def request_route(web, username: str | None, route: str) -> requests.Response:
    zhang = web[1].zhang_wei
    paths = {
        "search": "/archive/?q=张",
        "customer": f"/archive/customers/{zhang}",
        "edit": f"/archive/customers/{zhang}/edit",
        "export": "/archive/export?q=张&format=csv",
        "audit": "/archive/audit",
        "quality": "/archive/quality",
        "segments": "/archive/segments",
        "build": "/archive/segments/new",
    }
    if route != "save":
        return get(web, username, paths[route])
    http = signed_in(web, username) if username else requests.Session()
    login_page = http.get(stack.web_url(web[0]) + "/login", timeout=10).text
    token = re.search(r'name="csrf-token" content="([^"]+)"', login_page).group(1)
    return http.post(
        stack.web_url(web[0]) + f"/archive/customers/{zhang}/edit",
        data={"csrf_token": token},  # an incomplete form: refused or sent back with errors
        allow_redirects=False,
        timeout=10,
    )


@pytest.mark.parametrize("username", sorted(ALLOWED))
def test_each_role_opens_exactly_its_archive_routes(web, username):
    for route in ROUTES:
        status = request_route(web, username, route).status_code
        if route in ALLOWED[username]:
            assert status == (400 if route == "save" else 200), (username, route, status)
        else:
            assert status == 403, (username, route, status)


def test_signed_out_visitors_are_sent_to_the_login_page_from_every_route(web):
    for route in ROUTES:
        reply = request_route(web, None, route)
        if route == "save":
            assert reply.status_code in (302, 400)  # no session: no CSRF token either
        else:
            assert reply.status_code == 302 and "/login" in reply.headers["Location"]


def test_the_archive_link_shows_for_those_who_may_open_it(web):
    assert 'data-testid="nav-archive"' in get(web, "rep", "/archive/").text
    assert 'data-testid="nav-archive"' in get(web, "lina", "/agent/").text


# ---------- what an agent sees ----------


def test_an_agent_sees_only_the_customers_of_their_recent_calls_with_masked_numbers(web):
    archive = web[1]
    recent = get(web, "lina", "/archive/").text
    assert "张伟" in recent and "**********8000" in recent
    assert "13800138000" not in recent and "138 0013 8000" not in recent
    assert 'data-testid="no-results"' in get(web, "lina", "/archive/?q=王芳").text
    page = get(web, "lina", f"/archive/customers/{archive.zhang_wei}").text
    assert "**********8000" in page and "138 0013 8000" not in page
    assert 'data-testid="edit"' not in page
    assert get(web, "lina", f"/archive/customers/{archive.wang_fang}").status_code == 403


def test_a_whole_archive_user_sees_whole_numbers_but_never_another_stores_customers(web):
    archive = web[1]
    assert "138 0013 8000" in get(web, "boss", "/archive/?q=8000").text
    assert get(web, "boss", f"/archive/customers/{archive.zhao_liu}").status_code == 403
    assert get(web, "boss", "/archive/customers/999999").status_code == 404


# ---------- the customer page ----------


def test_the_customer_page_shows_every_section(web):
    page = get(web, "boss", f"/archive/customers/{web[1].zhang_wei}").text
    for section in ("profile", "phones", "consent", "vehicles", "visits", "deliveries", "calls"):
        assert f'data-testid="section-{section}"' in page
    assert "138 0013 8000" in page and "0512 6825 8800" in page  # both numbers, whole
    assert "苏E3K8Z2" in page and "LFV2A21K8N3000001" in page  # the car
    assert "RO-2026-0002" in page and "周文涛" in page  # a visit, the delivery
    assert "完成回访" in page and "车辆使用正常，对服务非常满意" in page and "李娜" in page
    assert page.count("默认（未记录）") == 4  # consent: nothing recorded, defaults shown
    cases = page.split('data-testid="section-cases"')[1].split("</section>")[0]
    assert "暂无" in cases  # reserved for complaint cases, plainly empty


# ---------- editing through the form ----------


def test_an_edit_through_the_form_is_stamped_and_audited(web):
    archive, sessions = web[1], web[2]
    values = edit_form(web, "rep", archive.chen_jing)
    values |= {"street": "干将西路 1188 号", "call_windows": "19:00-20:30；9:00-11:30"}
    values["blocked_days"] = ["6", "7"]
    values["phones-0-validity"] = "wrong"
    reply = post_edit(web, "rep", archive.chen_jing, values)
    assert reply.status_code == 302, reply.text
    page = get(web, "rep", reply.headers["Location"]).text
    assert "已保存" in page and "09:00-11:30;19:00-20:30" in page
    with session_scope(sessions) as s:
        customer = s.get_one(Customer, archive.chen_jing)
        assert (customer.street, customer.blocked_days) == ("干将西路 1188 号", "6,7")
        fields = s.scalars(
            select(FieldSource.field).where(
                FieldSource.entity == "customer", FieldSource.entity_id == archive.chen_jing
            )
        ).all()
        assert sorted(fields) == ["blocked_days", "call_windows", "street"]
        entry = s.scalars(select(AuditEntry).where(AuditEntry.entity_id == archive.chen_jing)).one()
        assert entry.details["street"] == [None, "干将西路 1188 号"]
        assert entry.user_id == archive.users["rep"]


def test_validation_errors_are_shown_next_to_their_fields_and_keep_the_input(web):
    archive, sessions = web[1], web[2]
    values = edit_form(web, "rep", archive.li_si)
    values |= {"call_windows": "9-11", "phones-0-number": "12345", "notes": "晚上再打"}
    reply = post_edit(web, "rep", archive.li_si, values)
    assert reply.status_code == 400
    assert 'data-testid="error-call_windows"' in reply.text
    assert 'data-testid="error-phones-0-number"' in reply.text
    assert (
        'value="9-11"' in reply.text and 'value="12345"' in reply.text and "晚上再打" in reply.text
    )
    with session_scope(sessions) as s:
        assert s.get_one(Customer, archive.li_si).notes is None  # nothing was saved


def test_a_withdrawal_without_a_reason_is_sent_back_with_the_error_at_the_reason(web):
    archive = web[1]
    values = edit_form(web, "rep", archive.wang_fang)
    assert values["consents-0-channel"] == "call" and values["consents-0-purpose"] == "service"
    values["consents-0-granted"] = "0"
    reply = post_edit(web, "rep", archive.wang_fang, values)
    assert reply.status_code == 400
    assert 'data-testid="error-consents-0-reason"' in reply.text
    assert "请填写客户撤回许可的原因" in reply.text


def test_a_form_without_its_csrf_token_is_refused(web):
    archive = web[1]
    values = edit_form(web, "rep", archive.wang_fang)
    values.pop("csrf_token")
    values["grade"] = "A"
    assert post_edit(web, "rep", archive.wang_fang, values).status_code == 400


# ---------- exports and the audit log ----------


def test_a_csv_export_is_excel_ready_utf8_and_audited(web):
    archive, sessions = web[1], web[2]
    reply = get(web, "boss", "/archive/export?q=张&format=csv")
    assert reply.status_code == 200
    assert reply.headers["Content-Disposition"].startswith("attachment; filename=")
    assert reply.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs
    lines = reply.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("编号,姓名,个人/公司,电话")
    assert any("张伟" in line and "138 0013 8000" in line for line in lines[1:])
    with session_scope(sessions) as s:
        entry = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "export").order_by(AuditEntry.id.desc())
        ).first()
        assert entry.user_id == archive.users["boss"]
        assert entry.details["query"] == "张" and entry.details["format"] == "csv"
        assert entry.details["rows"] == len(lines) - 1


def test_an_xlsx_export_opens_in_openpyxl_with_numbers_as_text(web):
    reply = get(web, "gm", "/archive/export?q=王芳&format=xlsx")
    assert reply.status_code == 200
    sheet = load_workbook(io.BytesIO(reply.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("编号", "姓名")
    assert rows[1][1] == "王芳" and rows[1][3] == "186 1234 8000 (空号)"


def test_an_export_needs_a_search(web):
    assert get(web, "boss", "/archive/export?q=&format=csv").status_code == 400
    assert get(web, "boss", "/archive/export?q=张&format=pdf").status_code == 400


def test_the_audit_log_lists_exports_and_edits_newest_first(web):
    get(web, "sm", "/archive/export?q=李四&format=csv")
    page = get(web, "sm", "/archive/audit").text
    first = page.split('data-testid="audit-row"')[1]
    assert "孙经理" in first and "李四" in first and "导出" in first
    exports = get(web, "sm", "/archive/audit?action=export").text
    assert 'data-action="edit"' not in exports


def test_the_quality_page_shows_the_retention_rate_and_the_customers_to_fix(web):
    page = get(web, "boss", "/archive/quality").text
    assert 'data-testid="store-retention"' in page
    assert "张小明" in get(web, "boss", "/archive/quality?problem=wrong").text
    assert "李四" in get(web, "boss", "/archive/quality?problem=no_number").text


def test_a_segment_is_previewed_saved_and_listed_through_the_builder(web):
    page = get(web, "rep", "/archive/segments/new")
    values = Form(page.text, "segment-form").values
    values |= {"kind": "private", "step": "preview"}
    http = signed_in(web, "rep")
    build = stack.web_url(web[0]) + "/archive/segments/new"
    preview = http.post(build, data=values, timeout=10)
    assert preview.status_code == 200
    assert 'data-testid="preview-count">5 位客户<' in preview.text  # the store's private five
    saved = http.post(
        build, data=values | {"name": "个人客户", "step": "save"}, allow_redirects=False
    )
    assert saved.status_code == 302
    segment = get(web, "rep", saved.headers["Location"]).text
    assert "个人客户" in segment and "张伟" in segment
    assert "个人客户" in get(web, "sm", "/archive/segments").text  # a viewer sees it listed
