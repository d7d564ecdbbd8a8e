"""The statutory calendar screen (/calendar/): on 2026-11-23 the holidays package has 2026 but
not 2027, so the screen warns; the administrator enters the State Council's 2027 dates as they
come out, and the planner's calendar has them at once. Agent 李娜 may not touch it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from console import create_app
from console.access import Permission as P
from console.access import permissions_of
from schedulers.calendar import HOLIDAY, WORKDAY, load_calendar
from storage.codes import Role
from storage.config import load_config
from storage.db import session_scope
from storage.migrate import upgrade
from storage.models import AuditEntry, CalendarOverride
from tests import archive_seed, personas

TODAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
# A Thursday of the 2027 Spring Festival that the library, without the notice, has as working.
SPRING_FESTIVAL_THURSDAY = "2027-02-11"


@dataclass
class Site:
    app: Flask
    sessions: sessionmaker[Session]
    users: dict[str, int]

    def signed_in(self, username: str) -> FlaskClient:
        http = self.app.test_client()
        form = {"username": username, "password": personas.PASSWORD, "csrf_token": token(http)}
        assert http.post("/login", data=form).status_code == 302
        return http

    def overrides(self) -> list[tuple[date, str, str, int | None]]:
        with session_scope(self.sessions) as s:
            rows = s.scalars(select(CalendarOverride).order_by(CalendarOverride.day))
            return [(r.day, r.kind, r.name, r.updated_by_id) for r in rows]

    def audit(self) -> list[AuditEntry]:
        with session_scope(self.sessions) as s:
            entries = s.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
            s.expunge_all()
            return list(entries)


@pytest.fixture
def site(tmp_path) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path / 'huifang.db'}"
    upgrade(url)
    env = {
        "HUIFANG_INSTANCE": str(tmp_path / "instance"),
        "HUIFANG_DATABASE_URL": url,
        "HUIFANG_SECRET_KEY": "test-secret-key",
        "HUIFANG_INTERNAL_TOKEN": "test-internal-token",
        "HUIFANG_TESTING": "1",
    }
    app = create_app(load_config(env))
    sessions = app.extensions["huifang.sessions"]
    with session_scope(sessions) as s:
        users = archive_seed.seed(s, now=TODAY).users
    with time_machine.travel(TODAY):
        yield Site(app, sessions, users)
    sessions.kw["bind"].dispose()


def token(http: FlaskClient, path: str = "/login") -> str:
    page = http.get(path).get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def enter(http: FlaskClient, day: str, kind: str = HOLIDAY, name: str = "春节"):
    form = {"csrf_token": token(http), "day": day, "kind": kind, "name": name}
    return http.post("/calendar/", data=form)


def row(page: str, day: str) -> str | None:
    match = re.search(rf'<tr[^>]*data-testid="day-{day}"[^>]*>.*?</tr>', page, re.S)
    return match.group(0) if match else None


def test_the_screen_warns_that_2027_is_not_published_and_lists_2026(site):
    page = site.signed_in("admin").get("/calendar/?lang=en").get_data(as_text=True)
    assert "2027 not published yet: enter the State Council’s dates." in page
    assert 'data-testid="not-published-2026"' not in page
    spring_festival = row(page, "2026-02-17")
    assert (
        spring_festival and 'data-source="library"' in spring_festival and "春节" in spring_festival
    )
    assert 'data-kind="workday"' in row(page, "2026-02-14")  # 调休 Saturday


def test_the_warning_is_in_chinese_first(site):
    page = site.signed_in("admin").get("/calendar/").get_data(as_text=True)
    assert "2027 年的放假安排尚未公布" in page


def test_an_admin_adds_a_2027_holiday_sees_it_and_the_planner_has_it(site):
    admin = site.signed_in("admin")
    reply = enter(admin, SPRING_FESTIVAL_THURSDAY)
    assert reply.status_code == 302
    page = admin.get("/calendar/?lang=en").get_data(as_text=True)
    entered = row(page, SPRING_FESTIVAL_THURSDAY)
    assert entered and 'data-source="override"' in entered and "管理员" in entered
    assert site.overrides() == [(date(2027, 2, 11), HOLIDAY, "春节", site.users["admin"])]
    with session_scope(site.sessions) as s:
        assert load_calendar(s).is_no_call_day(date(2027, 2, 11))


def test_the_warning_stays_until_next_years_tiaoxiu_is_entered(site):
    admin = site.signed_in("admin")
    enter(admin, SPRING_FESTIVAL_THURSDAY)
    assert 'data-testid="not-published-2027"' in admin.get("/calendar/").get_data(as_text=True)
    assert enter(admin, "2027-02-20", WORKDAY, "春节调休上班").status_code == 302  # a Saturday
    page = admin.get("/calendar/").get_data(as_text=True)
    assert 'data-testid="not-published-2027"' not in page
    assert 'data-testid="covered-2027"' in page


def test_each_change_writes_an_audit_entry(site):
    admin = site.signed_in("admin")
    enter(admin, SPRING_FESTIVAL_THURSDAY)
    enter(admin, SPRING_FESTIVAL_THURSDAY, name="春节假期")
    reply = admin.post(
        "/calendar/remove",
        data={"csrf_token": token(admin), "day": SPRING_FESTIVAL_THURSDAY},
    )
    assert reply.status_code == 302 and site.overrides() == []
    entries = site.audit()
    assert [(e.action, e.entity, e.user_id) for e in entries] == [
        ("calendar", "calendar_override", site.users["admin"])
    ] * 3
    holiday = {"kind": HOLIDAY, "name": "春节"}
    renamed = {"kind": HOLIDAY, "name": "春节假期"}
    assert [e.details for e in entries] == [
        {"day": SPRING_FESTIVAL_THURSDAY, "old": None, "new": holiday},
        {"day": SPRING_FESTIVAL_THURSDAY, "old": holiday, "new": renamed},
        {"day": SPRING_FESTIVAL_THURSDAY, "old": renamed, "new": None},
    ]


def test_saving_the_same_entry_again_changes_nothing_and_audits_nothing(site):
    admin = site.signed_in("admin")
    enter(admin, SPRING_FESTIVAL_THURSDAY)
    assert enter(admin, SPRING_FESTIVAL_THURSDAY).status_code == 302
    assert len(site.audit()) == 1


def test_an_override_workday_on_a_library_holiday_shows_what_it_replaces(site):
    admin = site.signed_in("admin")
    assert enter(admin, "2026-06-19", WORKDAY, "").status_code == 302
    entered = row(admin.get("/calendar/?lang=en").get_data(as_text=True), "2026-06-19")
    assert 'data-kind="workday"' in entered and "Built in: Day off 端午节" in entered


def test_a_centre_head_may_change_the_calendar_and_an_agent_may_not(site):
    assert site.signed_in("boss").get("/calendar/").status_code == 200
    lina = site.signed_in("lina")
    assert lina.get("/calendar/").status_code == 403
    assert enter(lina, SPRING_FESTIVAL_THURSDAY).status_code == 403
    assert site.overrides() == [] and site.audit() == []


@pytest.mark.parametrize(
    ("day", "kind", "name", "field"),
    [
        ("2027-02-30", HOLIDAY, "春节", "day"),  # no such date
        ("11/02/2027", HOLIDAY, "春节", "day"),
        ("2029-02-11", HOLIDAY, "春节", "day"),  # neither this year nor next
        (SPRING_FESTIVAL_THURSDAY, "vacation", "春节", "kind"),
        (SPRING_FESTIVAL_THURSDAY, HOLIDAY, "  ", "name"),  # a holiday needs its name
        (SPRING_FESTIVAL_THURSDAY, HOLIDAY, "节" * 65, "name"),
        ("2027-03-03", WORKDAY, "", "day"),  # a Wednesday works anyway: a typo, not a 调休
    ],
)
def test_bad_input_shows_an_error_next_to_its_field_and_saves_nothing(site, day, kind, name, field):
    reply = enter(site.signed_in("admin"), day, kind, name)
    page = reply.get_data(as_text=True)
    assert reply.status_code == 400
    assert 'data-testid="form-error"' in page
    assert re.search(rf'class="[^"]*is-invalid[^"]*" id="{field}"', page)
    assert f'value="{day}"' in page  # what was typed stays
    assert site.overrides() == [] and site.audit() == []


def test_removing_a_day_without_an_override_is_refused(site):
    admin = site.signed_in("admin")
    reply = admin.post("/calendar/remove", data={"csrf_token": token(admin), "day": "2027-02-11"})
    assert reply.status_code == 404 and 'data-testid="form-error"' in reply.get_data(as_text=True)
    assert site.audit() == []


def test_a_post_without_its_csrf_token_saves_nothing(site):
    admin = site.signed_in("admin")
    reply = admin.post("/calendar/", data={"day": SPRING_FESTIVAL_THURSDAY, "kind": HOLIDAY,
                                           "name": "春节"})  # fmt: skip
    assert reply.status_code == 400 and site.overrides() == []


def test_only_centre_heads_and_administrators_may_change_the_calendar():
    editors = {role for role in Role if P.EDIT_CALENDAR in permissions_of({role})}
    assert editors == {Role.CENTRE_HEAD, Role.ADMIN}
