"""Twilio's Create Message request (``POST /2010-04-01/Accounts/{sid}/Messages.json``, a form
with Basic authentication) on one kept-alive connection per sending thread.

Why not the Twilio library and requests for this one request: a message is one small POST, and
their layers cost more CPU than everything else the sender does per message (measured with
cProfile on the benchmark: requests reads the environment for proxies and stats ~/.netrc and
the CA bundle on every request, the library logs each request's headers and builds it through
several objects). The library still serves the rare requests (the lookups after a crash) and
the webhooks.

An outbound proxy for HTTPS (``https_proxy``, ``no_proxy``, as requests honours them) is read
once, when the gateway is made, and tunnelled through with CONNECT.

What may have reached Twilio is told apart from what surely did not, since that decides
between a lookup and a resend: a connection that could not be opened (or its TLS handshake) is
``NotConnected``; any failure once the request was being written is ``NoAnswer``.
"""

from __future__ import annotations

import base64
import http.client
import json
import select
import ssl
import threading
import urllib.request
from urllib.parse import urlencode, urlsplit

DEFAULT_API_URL = "https://api.twilio.com"
API_VERSION = "2010-04-01"


class NotConnected(Exception):
    """The request never left: no connection."""


class NoAnswer(Exception):
    """The request was (maybe partly) written, then the connection failed: it may have been
    taken."""


class ApiError(Exception):
    """Twilio answered with an error status; ``code`` is its error code when it gave one."""

    def __init__(self, status: int, code: int | None, message: str) -> None:
        super().__init__(f"HTTP {status}, error {code}: {message}")
        self.status, self.code, self.message = status, code, message


class MessagesApi:
    def __init__(
        self, account_sid: str, auth_token: str, api_url: str | None, timeout: float
    ) -> None:
        base = urlsplit(api_url or DEFAULT_API_URL)
        self.https = base.scheme == "https"
        self.host = base.hostname or "api.twilio.com"
        self.port = base.port or (443 if self.https else 80)
        self.path = f"{base.path.rstrip('/')}/{API_VERSION}/Accounts/{account_sid}/Messages.json"
        self.timeout = timeout
        credentials = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
        self.headers = {
            "Authorization": f"Basic {credentials}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
            "User-Agent": "huifang-sms",
        }
        self._tls = _tls_context() if self.https else None
        self._proxy = _https_proxy(self.host) if self.https else None
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: set[http.client.HTTPConnection] = set()

    def create(self, form: dict[str, str]) -> dict:
        """Create a message; returns Twilio's resource (``sid``, ``status``...)."""
        conn = self._connection()
        try:
            conn.request("POST", self.path, urlencode(form).encode(), self.headers)
            reply = conn.getresponse()
            data = reply.read()
        except (OSError, http.client.HTTPException) as exc:
            self._drop(conn)
            raise NoAnswer(f"{type(exc).__name__}: {exc}") from None
        if reply.will_close:
            self._drop(conn)
        payload = _json(data)
        if reply.status >= 400:
            raise _error(reply.status, payload, data)
        return payload

    def close(self) -> None:
        """Close every thread's connection (later requests open new ones)."""
        with self._lock:
            conns, self._open = self._open, set()
        for conn in conns:
            conn.close()
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is not None and not _usable(conn):
            self._drop(conn)
            conn = None
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._lock:
                self._open.add(conn)
        return conn

    def _connect(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection
        if self._tls is not None and self._proxy is not None:
            host, port = self._proxy
            conn = http.client.HTTPSConnection(host, port, timeout=self.timeout, context=self._tls)
            conn.set_tunnel(self.host, self.port)
        elif self._tls is not None:
            conn = http.client.HTTPSConnection(
                self.host, self.port, timeout=self.timeout, context=self._tls
            )
        else:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.connect()
        except OSError as exc:  # refused, unreachable, timed out, TLS handshake: nothing sent
            conn.close()
            raise NotConnected(f"cannot reach {self.host}:{self.port}: {exc}") from None
        return conn

    def _drop(self, conn: http.client.HTTPConnection) -> None:
        conn.close()
        with self._lock:
            self._open.discard(conn)
        if getattr(self._local, "conn", None) is conn:
            self._local.conn = None


def _usable(conn: http.client.HTTPConnection) -> bool:
    """An idle kept-alive connection the server has closed reads as ready (EOF): it must not
    carry a request, which would then fail as if it might have been taken."""
    sock = conn.sock
    if sock is None:
        return False
    poller = select.poll()
    try:
        poller.register(sock, select.POLLIN)
        return not poller.poll(0)
    except (OSError, ValueError):
        return False


def _https_proxy(host: str) -> tuple[str, int] | None:
    """The outbound proxy HTTPS requests to ``host`` go through, from the environment."""
    url = urllib.request.getproxies().get("https")
    if not url or urllib.request.proxy_bypass(host):
        return None
    proxy = urlsplit(url if "://" in url else f"http://{url}")
    return proxy.hostname or "", proxy.port or 8080


def _tls_context() -> ssl.SSLContext:
    try:
        import certifi  # requests' CA bundle, as the library used

        return ssl.create_default_context(cafile=certifi.where())
    except ImportError:
        return ssl.create_default_context()


def _json(data: bytes) -> dict:
    try:
        payload = json.loads(data) if data else {}
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _error(status: int, payload: dict, data: bytes) -> ApiError:
    """Twilio's error body (``code``, ``message``) or the mock's problem+json (RFC 9457:
    ``title`` and validation messages)."""
    code = payload.get("code")
    message = payload.get("message")
    if message is None and "title" in payload:
        problems = [
            str(v.get("message", "")) for v in payload.get("validation", []) if isinstance(v, dict)
        ]
        message = "; ".join([str(payload["title"]), *problems])
    if message is None:
        message = data[:200].decode(errors="replace")
    return ApiError(status, code if isinstance(code, int) else None, str(message))
