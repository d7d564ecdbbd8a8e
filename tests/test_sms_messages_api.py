"""Messages created by one form POST on a kept-alive connection per sending thread
(dialer/sms/messages_api.py), against a small HTTP server that behaves as told: what may have
reached Twilio (a lost answer: looked up, never resent) is told apart from what surely did not
(no connection; an idle connection the server had closed, which must be replaced, not used)."""

from __future__ import annotations

import json
import socketserver
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from dialer.sms.gateway import Ambiguous, NotTaken, OutboundSms, Refused
from dialer.sms.twilio import TwilioSms
from storage.sms.codes import Reason
from tests import stack
from tests.sms_mock import sms_settings


@dataclass
class Behaviour:
    answer: tuple[int, dict] = (201, {"sid": "", "status": "queued"})
    close_after_answer: bool = False  # as a server whose keep-alive timed out
    close_without_answer: bool = False  # the request read, then the connection lost
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)  # request lines
    forms: list[str] = field(default_factory=list)


class Handler(socketserver.StreamRequestHandler):
    server: Server

    def handle(self) -> None:
        how = self.server.behaviour
        how.connections += 1
        while True:
            line = self.rfile.readline()
            if not line:
                return
            how.requests.append(line.strip())
            length = 0
            while line not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
                line = self.rfile.readline()
            how.forms.append(self.rfile.read(length).decode())
            if how.close_without_answer:
                return
            status, payload = how.answer
            if status == 201:
                payload = payload | {"sid": f"SM{len(how.forms):032d}"}
            data = json.dumps(payload).encode()
            self.wfile.write(
                f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(data)}\r\n\r\n".encode()
                + data
            )
            self.wfile.flush()
            if how.close_after_answer:
                return


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.behaviour = Behaviour()


@pytest.fixture
def twilio() -> Iterator[Server]:
    server = Server()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def gateway_at(url: str) -> TwilioSms:
    return TwilioSms(sms_settings(url))


def message(n: int = 1) -> OutboundSms:
    return OutboundSms(n, f"+86139{n:08d}", "【姑苏汽车】张先生，冬至快乐！", f"1:{n}:x")


def test_a_thread_sends_its_messages_over_one_kept_alive_connection(twilio):
    gateway = gateway_at(f"http://127.0.0.1:{twilio.server_address[1]}")
    sids = {gateway.send(message(n)).provider_id for n in range(1, 6)}
    gateway.close()
    assert len(sids) == 5 and twilio.behaviour.connections == 1
    form = twilio.behaviour.forms[0]
    assert "To=%2B8613900000001" in form and "From=%2B8651268008001" in form
    assert "StatusCallback=https%3A%2F%2Fhuifang.example.com%2Fsms%2Fhooks%2Fstatus%3Fo%3D1" in form


def test_an_idle_connection_the_server_closed_is_replaced_not_taken_for_a_lost_answer(twilio):
    twilio.behaviour.close_after_answer = True
    gateway = gateway_at(f"http://127.0.0.1:{twilio.server_address[1]}")
    gateway.send(message(1))
    time.sleep(0.2)  # the server's close has reached us
    assert gateway.send(message(2)).provider_id  # not Ambiguous: the request never left
    gateway.close()
    assert twilio.behaviour.connections == 2 and len(twilio.behaviour.forms) == 2


def test_a_connection_lost_after_the_request_was_written_may_have_sent_it(twilio):
    twilio.behaviour.close_without_answer = True
    gateway = gateway_at(f"http://127.0.0.1:{twilio.server_address[1]}")
    with pytest.raises(Ambiguous):
        gateway.send(message())
    gateway.close()
    assert len(twilio.behaviour.forms) == 1


def test_no_connection_at_all_surely_sent_nothing():
    gateway = gateway_at(f"http://127.0.0.1:{stack.free_port()}")
    with pytest.raises(NotTaken) as refused:
        gateway.send(message())
    gateway.close()
    assert not refused.value.rate_limited


def test_an_https_proxy_from_the_environment_is_tunnelled_through(twilio, monkeypatch):
    """The deployment's outbound proxy, as requests honoured it; a tunnel it refuses (here: no
    "200 Connection established") sent nothing."""
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{twilio.server_address[1]}")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    gateway = gateway_at("https://api.twilio.com")
    with pytest.raises(NotTaken):
        gateway.send(message())
    gateway.close()
    assert twilio.behaviour.requests[0].startswith(b"CONNECT api.twilio.com:443 HTTP/")


@pytest.mark.parametrize(
    ("status", "payload", "raised", "check"),
    [
        (429, {"code": 20429, "message": "Too Many Requests"}, NotTaken,
         lambda e: e.rate_limited),
        (400, {"code": 21211, "message": "Invalid 'To' Phone Number"}, Refused,
         lambda e: e.reason == Reason.INVALID_NUMBER),
        (400, {"title": "Invalid request", "validation": [{"message": "must match pattern"}]},
         Refused, lambda e: "must match pattern" in e.detail),
        (500, {"code": 20500, "message": "Internal Server Error"}, Ambiguous, lambda e: True),
    ],
)  # fmt: skip
def test_twilios_error_answers_keep_their_meaning(twilio, status, payload, raised, check):
    twilio.behaviour.answer = (status, payload)
    gateway = gateway_at(f"http://127.0.0.1:{twilio.server_address[1]}")
    with pytest.raises(raised) as error:
        gateway.send(message())
    gateway.close()
    assert check(error.value)
