"""Who reaches what: every route and every Socket.IO event, for each role and signed out.

The expectations come from each view's ``required_permissions`` (set by
``console.access.requires``) and ``GRANTS``, so a route, blueprint or event handler added later
is checked without touching this file, and one added without a permission fails here. A
hand-written table for the key screens and namespaces keeps that from being a tautology.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from console import create_app
from console.access import GRANTS, Permission
from console.realtime.notifier import AGENT_NS, INTERNAL_NS, NOTICES_NS, SUPERVISOR_NS
from storage.codes import Role
from storage.config import load_config
from storage.db import make_engine, make_session_factory, session_scope
from storage.migrate import upgrade
from storage.models import Segment, Store, User, UserRole
from tests import archive_seed, personas

TOKEN = "test-internal-token"
# Deprecations in the screens' own code that the other web tests, which run the server in a
# subprocess, never see (WTForms 3.3: choices as tuples; SQLAlchemy 2.1: Result.tuples() in
# storage/settings.py). Not access questions: they are left to those screens.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Passing SelectField choices:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The Result.tuples:DeprecationWarning"),
]
USERNAMES = {role: username for username, (_, role) in archive_seed.ROLE_USERS.items()}
ROLES = list(Role)


def _app(instance: Path, database_url: str) -> Flask:
    return create_app(
        load_config(
            {
                "HUIFANG_INSTANCE": str(instance),
                "HUIFANG_DATABASE_URL": database_url,
                "HUIFANG_SECRET_KEY": "test-secret-key",
                "HUIFANG_INTERNAL_TOKEN": TOKEN,
                "HUIFANG_TESTING": "1",
            }
        )
    )


# The routes and namespaces as registered, read at collection (this app never opens its database).
_MAP = _app(Path(tempfile.gettempdir()) / "huifang-authorization-map", "sqlite://")
_HANDLERS = _MAP.extensions["socketio"].server.namespace_handlers


# ---------- the hand-written tables ----------

PUBLIC = {"static", "auth.login", "auth.logout", "auth.home"}  # sign-in pages, static files
# Twilio's webhooks carry no session: each request must be signed by Twilio (403 otherwise,
# tests/test_twilio_webhooks.py), which their views declare with ``signed_by_carrier``.
SIGNED_BY_CARRIER = {"twilio.voice_answer", "twilio.voice_status"}
SIGNED_BY_CARRIER |= {f"twilio.queue_{name}" for name in ("wait", "left", "agent", "bridge")}
SIGNED_BY_CARRIER |= {"twilio.queue_agent_status"}  # the store queue of pooled Twilio calls
SIGNED_BY_CARRIER |= {f"twilio.queue_{n}" for n in ("after", "hold", "hold_wait", "resume")}
SIGNED_BY_CARRIER |= {"sms_hooks.status", "sms_hooks.inbound"}  # issue 7: the SMS provider's
KEY_SCREENS = {  # issue 3, "Access": who may open each key screen
    "agent.console": {Role.AGENT},
    "supervisor.wallboard": {Role.CENTRE_HEAD, Role.GENERAL_MANAGER, Role.ADMIN},
    "archive.export": {Role.CENTRE_HEAD, Role.SERVICE_MANAGER, Role.GENERAL_MANAGER, Role.ADMIN},
    "archive.audit": {Role.CENTRE_HEAD, Role.SERVICE_MANAGER, Role.GENERAL_MANAGER, Role.ADMIN},
    "archive.edit": {Role.REPRESENTATIVE, Role.CENTRE_HEAD, Role.GENERAL_MANAGER, Role.ADMIN},
    "scripts.edit": {Role.CENTRE_HEAD, Role.ADMIN},  # issue 6: centre heads edit scripts
    "notices.index": set(Role),
    "archive.search": {
        Role.AGENT,  # the customers of their own recent calls, numbers masked
        Role.REPRESENTATIVE,
        Role.CENTRE_HEAD,
        Role.SERVICE_MANAGER,
        Role.GENERAL_MANAGER,
        Role.ADMIN,
    },
}
SOCKET_ROLES = {  # who may open each browser namespace
    AGENT_NS: {Role.AGENT},
    SUPERVISOR_NS: {Role.CENTRE_HEAD, Role.GENERAL_MANAGER, Role.ADMIN},
    NOTICES_NS: set(Role),  # anyone signed in may be handed a case
}
# Query strings some routes need to answer 200 (without them a 400: let in all the same).
QUERIES = {"archive.export": {"q": "张", "format": "csv"}}
NAMESPACE_PERMISSION = {
    AGENT_NS: Permission.TAKE_CALLS,
    SUPERVISOR_NS: Permission.WATCH_WALLBOARD,
    NOTICES_NS: Permission.READ_NOTICES,
}


# ---------- what is registered ----------


@dataclass(frozen=True)
class Case:
    """One method of one protected URL rule."""

    endpoint: str
    rule: str
    method: str
    permissions: frozenset[Permission]

    def __str__(self) -> str:
        return f"{self.method} {self.rule}"


def _cases(app: Flask) -> list[Case]:
    cases = []
    for rule in app.url_map.iter_rules():
        permissions = getattr(app.view_functions[rule.endpoint], "required_permissions", None)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if permissions is not None:
                cases.append(Case(rule.endpoint, rule.rule, method, permissions))
    return sorted(cases, key=str)


CASES = _cases(_MAP)
EVENTS = sorted(
    (namespace, name.removeprefix("on_"))
    for namespace, handler in _HANDLERS.items()
    for name in dir(type(handler))
    if name.startswith("on_") and name not in ("on_connect", "on_disconnect")
)
BROWSER_EVENTS = [(ns, event) for ns, event in EVENTS if ns in SOCKET_ROLES]
INTERNAL_EVENTS = [event for ns, event in EVENTS if ns == INTERNAL_NS]
PARAMETER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def _allowed(role: Role, permissions: frozenset[Permission]) -> bool:
    return bool(GRANTS[role] & permissions)


# ---------- one web app over the shared archive, one signed-in client per role ----------


@dataclass
class Site:
    app: Flask
    sessions: sessionmaker[Session]
    store_id: int
    samples: dict[str, int]  # URL parameter -> an id the seeded data has
    clients: dict[Role | None, FlaskClient] = field(default_factory=dict)

    def client(self, role: Role | None) -> FlaskClient:
        if role not in self.clients:
            self.clients[role] = self.app.test_client()
            if role is not None:
                sign_in(self.clients[role], USERNAMES[role])
        return self.clients[role]

    def path(self, case: Case) -> str:
        """The rule with seeded ids; an unknown parameter gets an id nobody has (a 404 for those
        let in, which still tells them apart from those refused)."""

        def sample(m: re.Match) -> str:
            converter, name = m.group(1), m.group(2)
            if name in self.samples:
                return str(self.samples[name])
            return "999999" if converter == "int" else "no-such-thing"

        return PARAMETER.sub(sample, case.rule)

    def request(self, role: Role | None, case: Case):
        http = self.client(role)
        data = None if case.method == "GET" else {"csrf_token": csrf_token(http)}
        query = QUERIES.get(case.endpoint)
        return http.open(self.path(case), method=case.method, data=data, query_string=query)

    def socket(self, http: FlaskClient, namespace: str, auth: dict | None = None):
        return self.app.extensions["socketio"].test_client(
            self.app, namespace=namespace, auth=auth, flask_test_client=http
        )


def csrf_token(http: FlaskClient) -> str:
    """The token of this client's session, as a page gives it to the browser (an empty form
    with a good token gets past CSRF to the permission check, then is refused or sent back)."""
    page = http.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def sign_in(http: FlaskClient, username: str) -> None:
    form = {"username": username, "password": personas.PASSWORD, "csrf_token": csrf_token(http)}
    reply = http.post("/login", data=form)
    assert reply.status_code == 302, (username, reply.status_code)


def sent_to_sign_in(reply) -> bool:
    return reply.status_code == 401 or (
        reply.status_code == 302 and "/login" in reply.headers["Location"]
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("authorization")
    url = f"sqlite:///{tmp / 'huifang.db'}"
    upgrade(url)
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as s:
        archive = archive_seed.seed(s)
        segment = Segment(store_id=archive.store, name="全部客户", filters={})
        s.add(segment)
        s.flush()
        samples = {"customer_id": archive.zhang_wei, "segment_id": segment.id}
    engine.dispose()
    app = _app(tmp / "instance", url)
    sessions = app.extensions["huifang.sessions"]
    yield Site(app, sessions, archive.store, samples)
    sessions.kw["bind"].dispose()


# ---------- routes ----------


def test_every_route_but_sign_in_and_static_files_requires_a_permission():
    unprotected = {
        rule.endpoint
        for rule in _MAP.url_map.iter_rules()
        if not hasattr(_MAP.view_functions[rule.endpoint], "required_permissions")
    }
    assert unprotected == PUBLIC | SIGNED_BY_CARRIER  # a new route needs @requires (or a reason)


@pytest.mark.parametrize("endpoint", sorted(SIGNED_BY_CARRIER))
def test_the_carrier_webhooks_check_the_carriers_signature(endpoint):
    assert getattr(_MAP.view_functions[endpoint], "signed_by_carrier", False) is True


def test_the_open_pages_send_a_signed_out_visitor_to_sign_in(site):
    http = site.app.test_client()
    assert http.get("/login").status_code == 200
    assert sent_to_sign_in(http.get("/"))
    assert sent_to_sign_in(http.post("/logout", data={"csrf_token": csrf_token(http)}))


@pytest.mark.parametrize("endpoint", sorted(KEY_SCREENS))
def test_the_key_screens_open_to_exactly_the_roles_the_issue_names(endpoint):
    permissions = _MAP.view_functions[endpoint].required_permissions
    assert {role for role in Role if _allowed(role, permissions)} == KEY_SCREENS[endpoint]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_signed_out_visitor_is_sent_to_sign_in_from_every_protected_route(site, case):
    reply = site.request(None, case)
    assert sent_to_sign_in(reply), reply.status_code


@pytest.mark.parametrize(
    ("role", "case"),
    [(role, case) for role in ROLES for case in CASES],
    ids=[f"{role}-{case}" for role in ROLES for case in CASES],
)
def test_each_role_is_let_in_exactly_where_its_permissions_allow(site, role, case):
    reply = site.request(role, case)
    if _allowed(role, case.permissions):
        assert reply.status_code not in (401, 403) and not sent_to_sign_in(reply), reply.status_code
    else:
        assert reply.status_code == 403


# ---------- Socket.IO ----------


def test_the_namespaces_are_the_ones_whose_access_these_tests_know():
    assert set(_HANDLERS) == {*SOCKET_ROLES, INTERNAL_NS}


@pytest.mark.parametrize("namespace", sorted(SOCKET_ROLES))
def test_the_namespace_table_agrees_with_the_grants(namespace):
    granted = {role for role in Role if NAMESPACE_PERMISSION[namespace] in GRANTS[role]}
    assert granted == SOCKET_ROLES[namespace]


@pytest.mark.parametrize(("namespace", "event"), BROWSER_EVENTS)
def test_every_browser_event_handler_checks_the_permission_again(namespace, event):
    handler = getattr(type(_HANDLERS[namespace]), f"on_{event}")
    assert getattr(handler, "required_permissions", None) == {NAMESPACE_PERMISSION[namespace]}


@pytest.mark.parametrize("role", [*ROLES, None], ids=[*ROLES, "signed_out"])
@pytest.mark.parametrize("namespace", sorted(SOCKET_ROLES))
def test_each_role_may_open_exactly_its_namespaces(site, namespace, role):
    sock = site.socket(site.client(role), namespace)
    try:
        assert sock.is_connected(namespace) == (role in SOCKET_ROLES[namespace])
    finally:
        if sock.is_connected(namespace):
            sock.disconnect(namespace)


def _spy(site: Site, monkeypatch, namespace: str) -> list[str]:
    """The events that reach the namespace's handlers from now on."""
    handler = site.app.extensions["socketio"].server.namespace_handlers[namespace]
    reached: list[str] = []
    real = handler.trigger_event

    def trigger_event(event, *args):
        reached.append(event)
        return real(event, *args)

    monkeypatch.setattr(handler, "trigger_event", trigger_event)
    return reached


def _send_anyway(sock, namespace: str, event: str):
    """What a client that ignores the refusal would do: send the event all the same."""
    sock.connected[namespace] = True
    try:
        return sock.emit(event, {}, namespace=namespace, callback=True)
    finally:
        del sock.connected[namespace]


REFUSED_BROWSER_EVENTS = [
    (role, ns, event)
    for ns, event in BROWSER_EVENTS
    for role in [*ROLES, None]
    if role not in SOCKET_ROLES[ns]
]


@pytest.mark.parametrize(
    ("role", "namespace", "event"),
    REFUSED_BROWSER_EVENTS,
    ids=[f"{role or 'signed_out'}-{ns}-{event}" for role, ns, event in REFUSED_BROWSER_EVENTS],
)
def test_a_refused_browser_socket_reaches_no_event_handler(
    site, monkeypatch, role, namespace, event
):
    sock = site.socket(site.client(role), namespace)
    assert not sock.is_connected(namespace)
    reached = _spy(site, monkeypatch, namespace)
    assert _send_anyway(sock, namespace, event) is None
    assert reached == []


@pytest.mark.parametrize(("namespace", "event"), BROWSER_EVENTS)
def test_a_permitted_role_reaches_every_event_handler(site, namespace, event):
    role = sorted(SOCKET_ROLES[namespace])[0]
    sock = site.socket(site.client(role), namespace)
    try:
        ack = sock.emit(event, {}, namespace=namespace, callback=True)
    finally:
        sock.disconnect(namespace)
    assert isinstance(ack, dict)  # ok, or refused for what was sent, never for who sent it
    assert ack.get("error", {}).get("code") != "forbidden", ack


REVOCATIONS = ("role_taken_away", "deactivated")


@pytest.mark.parametrize("how", REVOCATIONS)
@pytest.mark.parametrize(("namespace", "event"), BROWSER_EVENTS)
def test_a_socket_opened_before_the_permission_was_lost_reaches_no_handler(
    site, namespace, event, how
):
    role = sorted(SOCKET_ROLES[namespace])[0]
    username = f"{how}-{namespace.strip('/')}-{event}"
    with session_scope(site.sessions) as s:
        user_id = personas.person(s, s.get_one(Store, site.store_id), username, "韩旭", role).id
    http = site.app.test_client()
    sign_in(http, username)
    sock = site.socket(http, namespace)
    assert sock.is_connected(namespace)
    with session_scope(site.sessions) as s:
        user = s.get_one(User, user_id)
        if how == "deactivated":
            user.active = False
        else:
            user.roles = [UserRole(role=Role.SERVICE_ADVISOR)]
    try:
        ack = sock.emit(event, {}, namespace=namespace, callback=True)
    finally:
        sock.disconnect(namespace)
    assert ack["ok"] is False and ack["error"]["code"] == "forbidden"


INTERNAL_CALLERS = {  # who knocks on /internal: (REMOTE_ADDR, auth)
    "without_a_token": ("127.0.0.1", None),
    "with_a_wrong_token": ("127.0.0.1", {"token": "guess", "role": "scheduler"}),
    "with_the_token_from_a_public_address": ("223.5.5.5", {"token": TOKEN, "role": "scheduler"}),
}


def _internal_socket(site: Site, caller: str):
    address, auth = INTERNAL_CALLERS[caller]
    http = site.app.test_client()
    http.environ_base["REMOTE_ADDR"] = address
    return site.socket(http, INTERNAL_NS, auth=auth)


@pytest.mark.parametrize("caller", sorted(INTERNAL_CALLERS))
def test_the_internal_namespace_refuses_a_caller_without_the_token_or_from_a_public_address(
    site, caller
):
    assert not _internal_socket(site, caller).is_connected(INTERNAL_NS)


def test_the_internal_namespace_lets_in_the_scheduler_with_the_token(site):
    sock = site.socket(
        site.app.test_client(), INTERNAL_NS, auth={"token": TOKEN, "role": "scheduler"}
    )
    assert sock.is_connected(INTERNAL_NS)
    sock.disconnect(INTERNAL_NS)


@pytest.mark.parametrize("event", INTERNAL_EVENTS)
@pytest.mark.parametrize("caller", sorted(INTERNAL_CALLERS))
def test_a_refused_internal_caller_reaches_no_event_handler(site, monkeypatch, caller, event):
    sock = _internal_socket(site, caller)
    reached = _spy(site, monkeypatch, INTERNAL_NS)
    assert _send_anyway(sock, INTERNAL_NS, event) is None
    assert reached == []
