"""The customer simulator: SIPp playing customers' phones, and agents' phones, advisors'
phones and a registrar for the tests (scenarios in scripts/sipp/)."""

import errno
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from dialer.tones import mu_law, tone

SCENARIO_DIR = Path(__file__).resolve().parent / "sipp"
SIPP_MISSING = "sipp not found: install the Debian package sip-tester (scripts/bootstrap.sh does)"
START_TIMEOUT_S = 5.0
STOP_TIMEOUT_S = 5.0
PROC_NET = {"udp": Path("/proc/net/udp"), "tcp": Path("/proc/net/tcp")}
TCP_LISTEN = "0A"  # socket state in /proc/net/tcp
SOCKET_KINDS = {"udp": socket.SOCK_DGRAM, "tcp": socket.SOCK_STREAM}
TRANSPORT_ARGS = {"udp": ["-t", "u1"], "tcp": ["-t", "t1"]}
# What the customer says in scenarios that talk (SIPp's rtp_stream): our own 1 kHz tone, raw
# G.711 mu-law, written into SIPp's working folder. Tests look for it on the agent's side.
TONE_FILE, TONE_HZ = "tone-1khz.pcmu", 1000


class SimulatorError(Exception):
    """The simulator cannot run; the message is one line, fit for an operator."""


class SippProcess(subprocess.Popen[bytes]):
    """A running SIPp. Its screen output is in `log_path`, unexpected messages in `error_path`."""

    log_path: Path
    error_path: Path
    messages_path: Path
    media_port: int


def find_sipp() -> str:
    """Path of the sipp binary, or SimulatorError."""
    path = shutil.which("sipp")
    if path is None:
        raise SimulatorError(SIPP_MISSING)
    return path


def scenario_path(scenario: str) -> Path:
    """scripts/sipp/<scenario>.xml, which must exist."""
    path = SCENARIO_DIR / f"{scenario}.xml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in SCENARIO_DIR.glob("*.xml")))
        raise SimulatorError(f"unknown SIPp scenario {scenario!r} (have: {known})")
    return path


def free_udp_port(host: str = "127.0.0.1", transport: str = "udp") -> int:
    """A UDP (or TCP) port on host that nothing is bound to right now."""
    with socket.socket(socket.AF_INET, SOCKET_KINDS[transport]) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def start_sipp(
    scenario: str,
    port: int,
    *,
    media_port: int | None = None,
    extra_args: Sequence[str] = (),
    host: str = "127.0.0.1",
    log_dir: Path | None = None,
    transport: str = "udp",
    trace_messages: bool = False,
) -> SippProcess:
    """Run SIPp in the foreground on host:port (UDP or TCP); return once it listens.

    It runs in `log_dir` (a new temporary folder by default), which holds its output and the
    tone talking scenarios stream. `media_port` defaults to a free port (each SIPp needs its
    own for -rtp_echo). With `trace_messages`, every SIP message is kept in
    `proc.messages_path`. `extra_args` come last, e.g. ("-set", "hangup_ms", "3000").
    """
    sipp, path = find_sipp(), scenario_path(scenario)
    _check_port_free(host, port, transport)
    folder = log_dir or Path(tempfile.mkdtemp(prefix="huifang-sipp-"))
    log_path, error_path = folder / f"sipp-{port}.log", folder / f"sipp-{port}-errors.log"
    messages_path = folder / f"sipp-{port}-messages.log"
    (folder / TONE_FILE).write_bytes(mu_law(tone(TONE_HZ, 1.0)))
    media = media_port if media_port is not None else free_udp_port(host)
    command = [sipp, "-sf", str(path), "-i", host, "-p", str(port), "-mp", str(media)]
    command += ["-bind_local", "-nostdin", "-trace_err", "-error_file", str(error_path)]
    command += TRANSPORT_ARGS[transport]
    if trace_messages:
        command += ["-trace_msg", "-message_file", str(messages_path)]
    command += extra_args
    with log_path.open("wb") as log:
        proc = SippProcess(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=folder)
    proc.log_path, proc.error_path, proc.messages_path = log_path, error_path, messages_path
    proc.media_port = media
    _wait_until_listening(proc, host, port, transport)
    return proc


def start_agent_phone(
    port: int,
    *,
    audio_port: int | None = None,
    extra_args: Sequence[str] = (),
    **options,
) -> SippProcess:
    """SIPp as an agent's phone (agent_phone.xml) on port. Its SDP names `audio_port` for
    our RTP (default: its own media port, so that -rtp_echo works)."""
    media = options.pop("media_port", None) or free_udp_port(options.get("host", "127.0.0.1"))
    wanted = ["-set", "audio_port", str(audio_port or media), *extra_args]
    return start_sipp("agent_phone", port, media_port=media, extra_args=wanted, **options)


def stop_sipp(proc: subprocess.Popen[bytes]) -> None:
    """Stop SIPp (SIGTERM, SIGKILL after a few seconds); safe to call twice."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _check_port_free(host: str, port: int, transport: str = "udp") -> None:
    with socket.socket(socket.AF_INET, SOCKET_KINDS[transport]) as sock:
        try:
            sock.bind((host, port))
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                raise SimulatorError(f"SIP port {host}:{port} is already in use") from None
            raise SimulatorError(f"cannot use SIP port {host}:{port}: {err.strerror}") from None


def _wait_until_listening(proc: SippProcess, host: str, port: int, transport: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not _port_bound(port, transport):
        if proc.poll() is not None:
            raise SimulatorError(_exit_reason(proc, host, port))
        if time.monotonic() > deadline:
            stop_sipp(proc)
            raise SimulatorError(f"sipp did not bind {host}:{port} within {START_TIMEOUT_S:g} s")
        time.sleep(0.02)


def _port_bound(port: int, transport: str = "udp") -> bool:
    """Whether some socket is bound to this UDP port, or listens on this TCP port (Linux
    /proc; elsewhere: after a pause)."""
    table = PROC_NET[transport]
    if not table.exists():
        time.sleep(0.5)
        return True
    suffix = f":{port:04X}"
    rows = [line.split() for line in table.read_text().splitlines()[1:]]
    return any(
        len(row) > 3 and row[1].endswith(suffix) and (transport == "udp" or row[3] == TCP_LISTEN)
        for row in rows
    )


def _exit_reason(proc: SippProcess, host: str, port: int) -> str:
    output = proc.log_path.read_text(errors="replace")
    if "Address already in use" in output:
        return f"SIP port {host}:{port} is already in use"
    errors = [line for line in output.splitlines() if "rror" in line or "nable" in line]
    detail = errors[-1].strip() if errors else "see " + str(proc.log_path)
    return f"sipp exited with code {proc.returncode}: {detail}"
