"""Twilio's Create Message request (``POST /2010-04-01/Accounts/{sid}/Messages.json``, a form
with Basic authentication) on one kept-alive connection per sending thread.

http.client still opens the connection (TLS, the proxy's tunnel); the request is then one write
of bytes made ready once but for its length and form, and the answer is read from the socket's
buffered file: status, the few header fields that say where the body ends, the body. Building
the request header by header (each checked) and parsing the answer's head as an e-mail message
(email.feedparser) took about half the CPU of the request in Python (0.15 ms of user time a
message, 16 threads against a local server that answers at once).

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
import io
import json
import select
import socket
import ssl
import threading
import urllib.request
from urllib.parse import urlencode, urlsplit

DEFAULT_API_URL = "https://api.twilio.com"
API_VERSION = "2010-04-01"
MAX_LINE = 65536  # an answer's status or header line, at most (as http.client)


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
        self._head = _request_head(self.path, self.host, self.port, self.https, self.headers)
        self._tls = _tls_context() if self.https else None
        self._proxy = _https_proxy(self.host) if self.https else None
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: set[Link] = set()

    def create(self, form: dict[str, str]) -> dict:
        """Create a message; returns Twilio's resource (``sid``, ``status``...)."""
        link = self._connection()
        body = urlencode(form).encode()
        try:
            link.sock.sendall(b"%s%d\r\n\r\n%s" % (self._head, len(body), body))
            status, data, closes = read_answer(link.rfile)
        except (OSError, ValueError, EOFError) as exc:
            self._drop(link)
            raise NoAnswer(f"{type(exc).__name__}: {exc}") from None
        if closes:
            self._drop(link)
        payload = _json(data)
        if status >= 400:
            raise _error(status, payload, data)
        return payload

    def close(self) -> None:
        """Close every thread's connection (later requests open new ones)."""
        with self._lock:
            links, self._open = self._open, set()
        for link in links:
            link.close()
        self._local = threading.local()

    def _connection(self) -> Link:
        link = getattr(self._local, "link", None)
        if link is not None and not _usable(link.sock):
            self._drop(link)
            link = None
        if link is None:
            link = Link(self._connect())
            self._local.link = link
            with self._lock:
                self._open.add(link)
        return link

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

    def _drop(self, link: Link) -> None:
        link.close()
        with self._lock:
            self._open.discard(link)
        if getattr(self._local, "link", None) is link:
            self._local.link = None


class Link:
    """An open connection (TLS and tunnel done by http.client) and its socket's buffered file."""

    def __init__(self, conn: http.client.HTTPConnection) -> None:
        assert conn.sock is not None, "connected"
        self.conn, self.sock = conn, conn.sock
        self.rfile = conn.sock.makefile("rb")

    def close(self) -> None:
        self.rfile.close()
        self.conn.close()


def _request_head(path: str, host: str, port: int, https: bool, headers: dict[str, str]) -> bytes:
    """The request's head as http.client wrote it, up to the Content-Length's value."""
    name = f"[{host}]" if ":" in host else host
    if port != (443 if https else 80):
        name = f"{name}:{port}"
    fields = {"Host": name, "Accept-Encoding": "identity", **headers}
    lines = "".join(f"{k}: {v}\r\n" for k, v in fields.items())
    return f"POST {path} HTTP/1.1\r\n{lines}Content-Length: ".encode("latin-1")


def read_answer(rfile: io.BufferedReader) -> tuple[int, bytes, bool]:
    """An answer: its status, its body and whether the server closes the connection after it
    (a body by Content-Length, chunked, or up to the close; interim 1xx answers skipped)."""
    version, status, fields = _read_head(rfile)
    while 100 <= status < 200:
        version, status, fields = _read_head(rfile)
    connection = fields.get("connection", "").lower()
    closes = "close" in connection or (version == "HTTP/1.0" and "keep-alive" not in connection)
    if "chunked" in fields.get("transfer-encoding", "").lower():
        return status, _read_chunks(rfile), closes
    if "content-length" in fields:
        return status, _read_exactly(rfile, int(fields["content-length"])), closes
    if status in (204, 304):
        return status, b"", closes
    return status, rfile.read(), True


def _read_head(rfile: io.BufferedReader) -> tuple[str, int, dict[str, str]]:
    """The status line's version and code, and the header fields by lowercase name."""
    version, code, *_ = _read_line(rfile).decode("latin-1").split(None, 2)
    fields = {}
    while (line := _read_line(rfile)) not in (b"\r\n", b"\n"):
        name, _, value = line.decode("latin-1").partition(":")
        fields[name.strip().lower()] = value.strip()
    return version, int(code), fields


def _read_line(rfile: io.BufferedReader) -> bytes:
    line = rfile.readline(MAX_LINE + 1)
    if not line.endswith(b"\n"):
        raise EOFError("the connection closed" if len(line) <= MAX_LINE else "a line too long")
    return line


def _read_exactly(rfile: io.BufferedReader, size: int) -> bytes:
    data = rfile.read(size)
    if len(data) != size:
        raise EOFError(f"the connection closed after {len(data)} of {size} bytes")
    return data


def _read_chunks(rfile: io.BufferedReader) -> bytes:
    chunks = []
    while size := int(_read_line(rfile).split(b";", 1)[0], 16):
        chunks.append(_read_exactly(rfile, size))
        _read_line(rfile)
    while _read_line(rfile) not in (b"\r\n", b"\n"):  # trailer fields
        pass
    return b"".join(chunks)


def _usable(sock: socket.socket) -> bool:
    """An idle kept-alive connection the server has closed reads as ready (EOF): it must not
    carry a request, which would then fail as if it might have been taken."""
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
