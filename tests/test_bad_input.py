"""Bad setups give one clear line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from tests import stack


def huifang(env: dict[str, str], *args: str, module: str = "console.cli", timeout: float = 60):
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        env=env,
        cwd=stack.ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_one_clear_line(result, *fragments: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture
def env(tmp_path, sqlite_url):
    return stack.stack_env(tmp_path, sqlite_url, sipp_port=5999)


def test_an_unreachable_database_is_one_clear_line(env):
    env["HUIFANG_DATABASE_URL"] = "postgresql://nobody@127.0.0.1:1/huifang"
    assert_one_clear_line(huifang(env, "db", "upgrade"), "huifang: cannot reach the database")


def test_a_web_port_already_in_use_is_one_clear_line(env):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env["HUIFANG_PORT"] = str(taken.getsockname()[1])
        assert_one_clear_line(huifang(env, "web"), "already in use", env["HUIFANG_PORT"])


def test_a_sip_port_already_in_use_stops_the_seat_worker_with_one_line(env):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = str(taken.getsockname()[1])
        result = huifang(env, "--agent", "1", "--sip-port", port, module="dialer.seat_worker")
    assert_one_clear_line(result, "already in use", port)


def test_a_missing_sipp_is_one_clear_line(env, tmp_path):
    env["PATH"] = str(tmp_path)  # nothing on PATH, so no sipp
    assert_one_clear_line(huifang(env, "simulator"), "sipp not found", "sip-tester")


def test_the_demo_refuses_to_start_without_sipp(env, tmp_path):
    env["PATH"] = str(tmp_path)
    assert_one_clear_line(huifang(env, "run"), "sipp not found")


def test_a_malformed_setting_is_one_clear_line(env):
    env["HUIFANG_PORT"] = "fivethousand"
    assert_one_clear_line(huifang(env, "db", "upgrade"), "HUIFANG_PORT")


def test_a_malformed_plan_time_is_one_clear_line(env):
    assert_one_clear_line(huifang(env, "plan", "--at", "next tuesday"), "--at")
