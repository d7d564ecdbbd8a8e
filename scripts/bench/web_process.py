"""A real ``huifang web`` process for the benchmarks, and signing in to it as a browser does
(the same steps as tests/stack.py, which the benchmarks cannot import: ``tests`` is not an
installed package)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def web_env(instance: Path, database_url: str, token: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HUIFANG_INSTANCE=str(instance),
        HUIFANG_DATABASE_URL=database_url,
        HUIFANG_PORT=str(free_port()),
        HUIFANG_INTERNAL_TOKEN=token,
        HUIFANG_SECRET_KEY="bench-secret-key",
    )
    return env


def url_of(env: dict[str, str]) -> str:
    return f"http://127.0.0.1:{env['HUIFANG_PORT']}"


def start_web(env: dict[str, str], log: Path, timeout: float = 30) -> subprocess.Popen:
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "console.cli", "web"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    wait_until_up(url_of(env) + "/login", proc, timeout)
    return proc


def wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def session_cookie(env: dict[str, str], username: str, password: str) -> str:
    """Sign in through the login form, CSRF token and all; the Cookie header it earned."""
    http = requests.Session()
    page = http.get(url_of(env) + "/login", timeout=5).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    token = token or re.search(r'name="csrf_token" value="([^"]+)"', page)
    if token is None:
        raise RuntimeError("login form without a CSRF token")
    reply = http.post(
        url_of(env) + "/login",
        timeout=5,
        allow_redirects=False,
        data={"csrf_token": token.group(1), "username": username, "password": password},
    )
    if reply.status_code != 302:
        raise RuntimeError(f"signing in as {username} failed: {reply.status_code}")
    return "; ".join(f"{k}={v}" for k, v in http.cookies.items())
