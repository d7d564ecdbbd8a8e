"""A real Huifang stack for end-to-end tests: the web tier and the dialer as processes,
SIPp as customers, a throwaway SQLite database; helpers to sign in like a browser."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
import socketio

ROOT = Path(__file__).resolve().parents[1]


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stack_env(tmp_path: Path, database_url: str, sipp_port: int, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HUIFANG_INSTANCE=str(tmp_path / "instance"),
        HUIFANG_DATABASE_URL=database_url,
        HUIFANG_PORT=str(free_port()),
        HUIFANG_SIP_DIAL_URI=f"sip:{{number}}@127.0.0.1:{sipp_port}",
        HUIFANG_SIP_PORT_BASE=str(free_port(socket.SOCK_DGRAM)),
        HUIFANG_RING_TIMEOUT="4",
        HUIFANG_INTERNAL_TOKEN="test-internal-token",
        HUIFANG_SECRET_KEY="test-secret-key",
        HUIFANG_TESTING="1",
    )
    env.update(extra)
    return env


def start(env: dict[str, str], *args: str, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "console.cli", *args],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def web_url(env: dict[str, str]) -> str:
    return f"http://127.0.0.1:{env['HUIFANG_PORT']}"


def wait_for_web(env: dict[str, str], proc: subprocess.Popen, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"web tier exited with {proc.returncode}")
        try:
            requests.get(web_url(env) + "/login", timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError("web tier did not start")


def stop(*procs: subprocess.Popen) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def sign_in(env: dict[str, str], username: str, password: str) -> requests.Session:
    """Sign in through the login form, CSRF token and all, as a browser would."""
    http = requests.Session()
    page = http.get(web_url(env) + "/login", timeout=5).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    token = token or re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "login form without a CSRF token"
    reply = http.post(
        web_url(env) + "/login",
        timeout=5,
        allow_redirects=False,
        data={"csrf_token": token.group(1), "username": username, "password": password},
    )
    assert reply.status_code == 302, f"login failed: {reply.status_code}"
    return http


def socket_for(env: dict[str, str], http: requests.Session, namespace: str, *events: str):
    """A Socket.IO client signed in with ``http``'s cookies, recording ``events`` from the
    moment it connects."""
    client = socketio.Client(reconnection=False)
    recorder = Recorder(client, namespace, *events)
    cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
    client.connect(
        web_url(env), namespaces=[namespace], headers={"Cookie": cookie}, wait_timeout=10
    )
    return client, recorder


class Recorder:
    """Records a namespace's events; ``wait_for`` blocks until one matches."""

    def __init__(self, client: socketio.Client, namespace: str, *events: str) -> None:
        import threading

        self.seen: list[tuple[str, dict]] = []
        self.cond = threading.Condition()
        for name in events:
            client.on(name, self._recorder(name), namespace=namespace)

    def _recorder(self, name: str):
        def record(data=None):
            with self.cond:
                self.seen.append((name, data or {}))
                self.cond.notify_all()

        return record

    def wait_for(self, name: str, match=lambda d: True, timeout: float = 20.0) -> dict:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for event, data in self.seen:
                    if event == name and match(data):
                        self.seen.remove((event, data))
                        return data
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"no {name} event matched within {timeout}s; "
                        f"seen: {[e for e, _ in self.seen]}"
                    )
                self.cond.wait(left)
