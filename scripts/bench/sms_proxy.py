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

Run alone: ``python -m scripts.bench.sms_proxy --port 4600 --upstream http://127.0.0.1:4010``
(``--upstream`` takes a comma-separated list).
"""

from __future__ import annotations

import argparse
import http.client
import json
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from urllib.parse import parse_qs, urlencode, urlsplit

TOO_MANY = {"code": 20429, "message": "Too Many Requests", "more_info": "", "status": 429}


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


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ProxyServer

    def log_message(self, format, *args) -> None:  # quiet
        pass

    # ---------- plumbing ----------

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _answer(self, status: int, payload: dict | bytes, headers: dict | None = None) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    upstream: http.client.HTTPConnection | None = None  # one per client connection

    def finish(self) -> None:
        if self.upstream is not None:
            self.upstream.close()
        super().finish()

    def _forward(self, body: bytes) -> tuple[int, bytes]:
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        for attempt in (1, 2):
            if self.upstream is None:
                host, port = self.server.next_upstream()
                self.upstream = http.client.HTTPConnection(host, port, timeout=30)
            try:
                self.upstream.request(self.command, self.path, body=body or None, headers=headers)
                reply = self.upstream.getresponse()
                return reply.status, reply.read()
            except (OSError, http.client.HTTPException):
                self.upstream.close()
                self.upstream = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    # ---------- the API ----------

    def do_GET(self) -> None:
        path = urlsplit(self.path)
        if path.path == "/_stats":
            self._answer(200, self.server.record.stats())
            return
        if path.path.endswith("/Messages.json"):
            status, data = self._forward(b"")  # Prism checks the request
            if status != 200:
                self._answer(status, data)
                return
            self._answer(200, self._page(path.path, parse_qs(path.query)))
            return
        status, data = self._forward(b"")
        self._answer(status, data)

    def _page(self, path: str, query: dict[str, list[str]]) -> dict:
        record = self.server.record
        with record.lock:
            record.lookups += 1
        to = (query.get("To") or [""])[0]
        sender = (query.get("From") or [None])[0]
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
            "uri": self.path,
            "start": page * size,
            "end": page * size + len(chunk),
        }

    def do_POST(self) -> None:
        path = urlsplit(self.path)
        body = self._body()
        if path.path == "/_config":
            self.server.record.configure(**json.loads(body or b"{}"))
            self._answer(200, self.server.record.stats())
            return
        if not path.path.endswith("/Messages.json"):
            status, data = self._forward(body)
            self._answer(status, data)
            return
        arrived = datetime.now(UTC)  # when it reached the provider (the rate is measured on it)
        decision = self.server.record.decide()
        if decision in ("inject", "rate"):
            self._answer(429, TOO_MANY)
            return
        status, data = self._forward(body)
        if status == 201:
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            sid = json.loads(data).get("sid") or f"SM{next(self.server.ids):032x}"
            sender = form.get("From") or form.get("MessagingServiceSid", "")
            self.server.record.add(
                Recorded(sid, form.get("To", ""), sender, form.get("Body", ""),
                         form.get("StatusCallback", ""), arrived)
            )  # fmt: skip
        if decision == "drop":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self._answer(status, data)


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


class ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, port: int, upstream: str | list[str], record: Record | None = None) -> None:
        super().__init__(("127.0.0.1", port), Handler)
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

    def handle_error(self, request, client_address) -> None:
        """A client that died mid-request (the sender killed on purpose) is no error."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


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
    server.serve_forever()


if __name__ == "__main__":
    main()
