"""A small recording proxy in front of the Twilio mock (Prism serving Twilio's OpenAPI
description with dynamic responses, ``-d``), for the SMS tests and benchmark.

- Every ``POST .../Messages.json`` is forwarded to Prism (which checks the request against
  Twilio's description and answers with a fresh SID) and recorded: what really reached the
  provider, per recipient, with the SID and the StatusCallback URL.
- It can answer 429 (Twilio error 20429) instead: to every Nth message (``inject_429_every``),
  or by itself when messages come faster than ``max_rate`` per second (those are 429s caused
  by the sender: a paced sender causes none).
- It can record a message, then drop the connection without answering (``drop_every``): the
  sender cannot know whether it went out, which is what a crash looks like from outside.
- ``GET .../Messages.json`` (Twilio's message log, filtered by To and From) is checked by Prism,
  then answered from the record, newest first, paged: Prism is stateless and could never find
  a message sent earlier, Twilio can. This is what the sender's lookup after a crash reads.
- ``GET /_stats`` answers the counts as JSON; ``POST /_config`` (JSON) changes the injection.
- Several upstreams (several Prism processes: one serves a few hundred requests a second) share
  the load: each client connection is forwarded to the next one in turn. The record stays one.

A thread per client connection, each kept alive with an upstream connection of its own, reading
and writing the sockets through buffered files and speaking just the HTTP/1.1 its clients and
Prism use (a request body by Content-Length; an answer by Content-Length, chunked, or up to the
close). http.server and http.client, which parse every head as an e-mail message
(email.feedparser), twice a message, took 0.45-0.48 ms of CPU a message, this 0.24-0.27 ms (at
1,000/s, in front of a mock that costs nothing); an asyncio event loop measured 0.28-0.31 ms.

Run alone: ``python -m scripts.bench.sms_proxy --port 4600 --upstream http://127.0.0.1:4010``
(``--upstream`` takes a comma-separated list).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import json
import socket
import socketserver
import sys
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, formatdate
from http import HTTPStatus
from itertools import count
from typing import Protocol
from urllib.parse import parse_qs, urlencode, urlsplit

TOO_MANY = {"code": 20429, "message": "Too Many Requests", "more_info": "", "status": 429}
HEAD_LIMIT = 64 * 1024  # a request's or an answer's head, at most
UPSTREAM_TIMEOUT_S = 30.0
HOP_BY_HOP = {"host", "connection", "keep-alive", "content-length", "transfer-encoding"}


@dataclass
class Recorded:
    sid: str
    to: str
    sender: str
    body: str
    status_callback: str
    at: datetime


@dataclass
class Record:
    """What reached the provider. Thread-safe."""

    inject_429_every: int = 0
    drop_every: int = 0
    max_rate: float = 0.0  # 0: no limit
    lock: threading.Lock = field(default_factory=threading.Lock)
    messages: list[Recorded] = field(default_factory=list)
    per_to: Counter[str] = field(default_factory=Counter)
    by_to: dict[str, list[Recorded]] = field(default_factory=dict)  # for lookups
    posts: int = 0
    injected_429: int = 0
    injected_at: list[datetime] = field(default_factory=list)
    rate_429: int = 0
    dropped: int = 0
    lookups: int = 0
    recent: deque[float] = field(default_factory=deque)
    first_at: float | None = None
    last_at: float | None = None

    def decide(self) -> str:
        """For one incoming POST: ``forward``, ``inject`` (429), ``rate`` (429) or ``drop``."""
        with self.lock:
            self.posts += 1
            now = time.monotonic()
            if self.inject_429_every and self.posts % self.inject_429_every == 0:
                self.injected_429 += 1
                self.injected_at.append(datetime.now(UTC))
                return "inject"
            while self.recent and self.recent[0] <= now - 1.0:
                self.recent.popleft()
            if self.max_rate and len(self.recent) >= self.max_rate:
                self.rate_429 += 1
                return "rate"
            self.recent.append(now)
            self.first_at = self.first_at or now
            self.last_at = now
            if self.drop_every and self.posts % self.drop_every == 0:
                self.dropped += 1
                return "drop"
            return "forward"

    def add(self, message: Recorded) -> None:
        with self.lock:
            self.messages.append(message)
            self.per_to[message.to] += 1
            self.by_to.setdefault(message.to, []).append(message)

    def find(self, to: str, sender: str | None) -> list[Recorded]:
        with self.lock:
            found = [m for m in self.by_to.get(to, ()) if sender in (None, m.sender)]
        return found[::-1]

    def stats(self) -> dict:
        with self.lock:
            span = (self.last_at or 0) - (self.first_at or 0)
            return {
                "posts": self.posts,
                "messages": len(self.messages),
                "recipients": len(self.per_to),
                "duplicates": sum(1 for n in self.per_to.values() if n > 1),
                "injected_429": self.injected_429,
                "rate_429": self.rate_429,
                "dropped": self.dropped,
                "lookups": self.lookups,
                "rate_per_s": round((len(self.messages) - 1) / span, 1) if span > 0 else None,
            }

    def configure(self, **values) -> None:
        with self.lock:
            for key in ("inject_429_every", "drop_every", "max_rate"):
                if key in values:
                    setattr(self, key, values[key])
            self.recent.clear()


class BadMessage(Exception):
    """Not the HTTP/1.1 this proxy speaks: the connection is closed."""


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # path and query
    headers: list[tuple[str, str]]
    body: bytes
    keep_alive: bool

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


class Reader(Protocol):  # a socket's buffered reading file
    def readline(self, size: int = -1, /) -> bytes: ...

    def read(self, size: int | None = -1, /) -> bytes: ...


Head = tuple[str, list[tuple[str, str]], dict[str, str]]


def read_head(rfile: Reader) -> Head | None:
    """A message head: its first line, its fields as sent and by lowercase name; None when the
    peer closed the connection before it."""
    first = rfile.readline(HEAD_LIMIT)
    if not first:
        return None
    fields = []
    while (line := rfile.readline(HEAD_LIMIT)) not in (b"\r\n", b"\n"):
        name, colon, value = line.decode("latin-1").partition(":")
        if not colon:
            raise BadMessage(f"not a header line: {line[:80]!r}")
        fields.append((name.strip(), value.strip()))
    return first.decode("latin-1").rstrip("\r\n"), fields, {k.lower(): v for k, v in fields}


def read_exactly(rfile: Reader, size: int) -> bytes:
    data = rfile.read(size) if size else b""
    if len(data) != size:
        raise EOFError(f"{len(data)} of {size} bytes, then the connection closed")
    return data


def read_request(rfile: Reader) -> Request | None:
    """The next request on a kept-alive connection; None when the client closed it."""
    head = read_head(rfile)
    if head is None:
        return None
    first, fields, named = head
    method, target, version = first.split(" ", 2)
    if "chunked" in named.get("transfer-encoding", ""):
        raise BadMessage("a chunked request body")
    body = read_exactly(rfile, int(named.get("content-length") or 0))
    connection = named.get("connection", "").lower()
    keep_alive = connection == "keep-alive" if version == "HTTP/1.0" else connection != "close"
    return Request(method, target, fields, body, keep_alive)


def read_answer(rfile: Reader) -> tuple[int, bytes, bool]:
    """An upstream answer: its status, its body and whether the upstream closes after it."""
    head = read_head(rfile)
    if head is None:
        raise EOFError("the upstream closed the connection")
    first, _, named = head
    status = int(first.split(" ", 2)[1])
    closes = named.get("connection", "").lower() == "close"
    if "chunked" in named.get("transfer-encoding", ""):
        return status, _chunked(rfile), closes
    if "content-length" in named:
        return status, read_exactly(rfile, int(named["content-length"])), closes
    if status in (204, 304) or status < 200:
        return status, b"", closes
    return status, rfile.read(), True


def _chunked(rfile: Reader) -> bytes:
    parts = []
    while size := int(rfile.readline(HEAD_LIMIT).split(b";", 1)[0], 16):
        parts.append(read_exactly(rfile, size))
        read_exactly(rfile, 2)
    while rfile.readline(HEAD_LIMIT) not in (b"\r\n", b"\n", b""):  # trailers
        pass
    return b"".join(parts)


def answer(status: int, payload: dict | bytes) -> bytes:
    """The head http.server wrote (Server, Date, Content-Type, Content-Length), so that the
    sender parses as much of it as before."""
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    head = (f"HTTP/1.1 {status} {phrase}\r\nServer: sms-proxy\r\nDate: {_date()}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n")  # fmt: skip
    return head.encode("latin-1") + data


@functools.lru_cache(maxsize=1)
def _http_date(second: int) -> str:
    return formatdate(second, usegmt=True)


def _date() -> str:
    return _http_date(int(time.time()))


class Upstream:
    """One client connection's kept-alive connection to its Prism (opened on first use)."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.host, self.port = address
        self._sock: socket.socket | None = None
        self._rfile: io.BufferedReader | None = None

    def forward(self, request: Request) -> tuple[int, bytes]:
        """The upstream's answer to ``request``; a kept-alive connection the upstream closed
        meanwhile (Prism closes idle ones after 5 s) is opened again once."""
        lines = [f"{request.method} {request.target} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in request.headers if k.lower() not in HOP_BY_HOP]
        if request.body or request.method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(request.body)}")
        data = "\r\n".join([*lines, "", ""]).encode("latin-1") + request.body
        for attempt in (1, 2):
            try:
                return self._exchange(data)
            except (OSError, EOFError, ValueError, BadMessage):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _exchange(self, data: bytes) -> tuple[int, bytes]:
        if self._sock is None or self._rfile is None:
            self._sock = socket.create_connection((self.host, self.port), UPSTREAM_TIMEOUT_S)
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._rfile = self._sock.makefile("rb")
        self._sock.sendall(data)
        status, body, closes = read_answer(self._rfile)
        if closes:
            self.close()
        return status, body

    def close(self) -> None:
        if self._rfile is not None:
            self._rfile.close()
        if self._sock is not None:
            self._sock.close()
        self._sock = self._rfile = None


def _resource(m: Recorded, path: str) -> dict:
    account = path.split("/Accounts/")[1].split("/")[0] if "/Accounts/" in path else ""
    service = m.sender if m.sender.startswith("MG") else None
    return {
        "sid": m.sid,
        "account_sid": account,
        "to": m.to,
        "from": None if service else m.sender,
        "messaging_service_sid": service,
        "body": m.body,
        "status": "sent",
        "direction": "outbound-api",
        "date_created": format_datetime(m.at),
        "date_sent": format_datetime(m.at),
        "date_updated": format_datetime(m.at),
        "num_segments": "1",
        "num_media": "0",
        "error_code": None,
        "error_message": None,
        "price": None,
        "price_unit": "USD",
        "api_version": "2010-04-01",
        "uri": f"{path[:-5]}/{m.sid}.json",
        "subresource_uris": {},
    }


class Connection(socketserver.StreamRequestHandler):
    """One client connection: its requests one after another, each forwarded on its own
    upstream connection. A client that dies mid-request (a sender killed on purpose) or speaks
    something else is simply closed."""

    server: ProxyServer
    disable_nagle_algorithm = True

    def handle(self) -> None:
        upstream = Upstream(self.server.next_upstream())
        try:
            while (request := read_request(self.rfile)) is not None:
                reply = self.server.respond(request, upstream)
                if reply is None:  # dropped on purpose: recorded, never answered
                    break
                self.wfile.write(reply)
                if not request.keep_alive:
                    break
        except (OSError, EOFError, ValueError, BadMessage):
            pass
        finally:
            upstream.close()


class ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, port: int, upstream: str | list[str], record: Record | None = None) -> None:
        super().__init__(("127.0.0.1", port), Connection)
        urls = [upstream] if isinstance(upstream, str) else upstream
        self.upstreams = [(u.hostname or "127.0.0.1", u.port or 80) for u in map(urlsplit, urls)]
        self._turn = count()
        self.record = record or Record()
        self.ids = count(1)

    def next_upstream(self) -> tuple[str, int]:
        """The upstream for a new client connection: each in turn."""
        return self.upstreams[next(self._turn) % len(self.upstreams)]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def respond(self, request: Request, upstream: Upstream) -> bytes | None:
        """The answer to one request (None: none, the connection is dropped)."""
        path = request.path
        if request.method == "GET" and path == "/_stats":
            return answer(200, self.record.stats())
        if request.method == "POST" and path == "/_config":
            self.record.configure(**json.loads(request.body or b"{}"))
            return answer(200, self.record.stats())
        if request.method == "POST" and path.endswith("/Messages.json"):
            return self._message(request, upstream)
        status, data = upstream.forward(request)
        if request.method == "GET" and path.endswith("/Messages.json") and status == 200:
            return answer(200, _page(self.record, request.target))  # Prism checked the request
        return answer(status, data)

    def _message(self, request: Request, upstream: Upstream) -> bytes | None:
        arrived = datetime.now(UTC)  # when it reached the provider (the rate is measured on it)
        decision = self.record.decide()
        if decision in ("inject", "rate"):
            return answer(429, TOO_MANY)
        status, data = upstream.forward(request)
        if status == 201:
            form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
            sid = json.loads(data).get("sid") or f"SM{next(self.ids):032x}"
            sender = form.get("From") or form.get("MessagingServiceSid", "")
            self.record.add(
                Recorded(sid, form.get("To", ""), sender, form.get("Body", ""),
                         form.get("StatusCallback", ""), arrived)
            )  # fmt: skip
        return None if decision == "drop" else answer(status, data)

    def handle_error(self, request, client_address) -> None:
        """A client that died mid-request (the sender killed on purpose) is no error."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _page(record: Record, target: str) -> dict:
    """A page of the message log to one recipient (and from one sender), newest first."""
    path, query = urlsplit(target).path, parse_qs(urlsplit(target).query)
    with record.lock:
        record.lookups += 1
    to = (query.get("To") or [""])[0]
    sender = (query.get("From") or [""])[0] or None
    size = int((query.get("PageSize") or ["50"])[0])
    page = int((query.get("Page") or ["0"])[0])
    found = record.find(to, sender)
    chunk = found[page * size : (page + 1) * size]
    base = {"To": to, "PageSize": size} | ({"From": sender} if sender else {})
    more = (page + 1) * size < len(found)
    next_uri = f"{path}?{urlencode(base | {'Page': page + 1, 'PageToken': f'PA{page + 1}'})}"
    return {
        "messages": [_resource(m, path) for m in chunk],
        "page": page,
        "page_size": size,
        "first_page_uri": f"{path}?{urlencode(base | {'Page': 0})}",
        "next_page_uri": next_uri if more else None,
        "previous_page_uri": None,
        "uri": target,
        "start": page * size,
        "end": page * size + len(chunk),
    }


def start(upstream: str | list[str], port: int = 0, record: Record | None = None) -> ProxyServer:
    """The proxy, serving in a daemon thread (``shutdown()`` stops it)."""
    server = ProxyServer(port, upstream, record)
    threading.Thread(target=server.serve_forever, name="sms-proxy", daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--max-rate", type=float, default=0.0)
    parser.add_argument("--inject-429-every", type=int, default=0)
    args = parser.parse_args()
    record = Record(inject_429_every=args.inject_429_every, max_rate=args.max_rate)
    server = ProxyServer(args.port, args.upstream.split(","), record)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    server.server_close()


if __name__ == "__main__":
    main()
