"""``huifang call-test``: one test call through the SIP backend, JSON only on stdout."""

from __future__ import annotations

import json
import socket

import pytest

from scripts.simulator import start_sipp, stop_sipp
from tests import stack
from tests.test_bad_input import huifang

pytestmark = pytest.mark.sip


@pytest.mark.parametrize(
    ("scenario", "outcome", "sip_status"),
    [("answer", "answered", 200), ("busy", "busy", 486), ("noanswer", "no_answer", 487)],
)
def test_call_test_prints_one_json_object_with_the_outcome(
    tmp_path, sqlite_url, scenario, outcome, sip_status
):
    port = stack.free_port(socket.SOCK_DGRAM)
    sipp = start_sipp(scenario, port, media_port=stack.free_port(socket.SOCK_DGRAM))
    try:
        env = stack.stack_env(tmp_path, sqlite_url, port)
        uri = f"sip:+8613800138000@127.0.0.1:{port}"
        result = huifang(env, "call-test", uri, "--ring-timeout", "2", "--json")
    finally:
        stop_sipp(sipp)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)  # nothing else on stdout
    assert set(report) == {"outcome", "sip_status", "setup_ms"}
    assert (report["outcome"], report["sip_status"]) == (outcome, sip_status)
    assert isinstance(report["setup_ms"], int) and report["setup_ms"] >= 0
