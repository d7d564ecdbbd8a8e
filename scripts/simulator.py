"""The customer simulator: SIPp playing customers' phones (scenarios in scripts/sipp/)."""

import errno
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

SCENARIO_DIR = Path(__file__).resolve().parent / "sipp"
SIPP_MISSING = "sipp not found: install the Debian package sip-tester (scripts/bootstrap.sh does)"
START_TIMEOUT_S = 5.0
STOP_TIMEOUT_S = 5.0
PROC_NET_UDP = Path("/proc/net/udp")


class SimulatorError(Exception):
    """The simulator cannot run; the message is one line, fit for an operator."""


class SippProcess(subprocess.Popen[bytes]):
    """A running SIPp. Its screen output is in `log_path`, unexpected messages in `error_path`."""

    log_path: Path
    error_path: Path


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


def free_udp_port(host: str = "127.0.0.1") -> int:
    """A UDP port on host that nothing is bound to right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
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
) -> SippProcess:
    """Run SIPp in the foreground as the customer side on host:port; return once it listens.

    Output goes to files in `log_dir` (a new temporary folder by default). `media_port`
    defaults to a free port (each SIPp needs its own for -rtp_echo). `extra_args` come last,
    e.g. ("-set", "hangup_ms", "3000") or ("-rtp_echo",).
    """
    sipp, path = find_sipp(), scenario_path(scenario)
    _check_port_free(host, port)
    folder = log_dir or Path(tempfile.mkdtemp(prefix="huifang-sipp-"))
    log_path, error_path = folder / f"sipp-{port}.log", folder / f"sipp-{port}-errors.log"
    media = media_port if media_port is not None else free_udp_port(host)
    command = [sipp, "-sf", str(path), "-i", host, "-p", str(port), "-mp", str(media)]
    command += ["-bind_local", "-nostdin", "-trace_err", "-error_file", str(error_path)]
    command += extra_args
    with log_path.open("wb") as log:
        proc = SippProcess(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    proc.log_path, proc.error_path = log_path, error_path
    _wait_until_listening(proc, host, port)
    return proc


def stop_sipp(proc: subprocess.Popen[bytes]) -> None:
    """Stop SIPp (SIGTERM, SIGKILL after a few seconds); safe to call twice."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                raise SimulatorError(f"SIP port {host}:{port} is already in use") from None
            raise SimulatorError(f"cannot use SIP port {host}:{port}: {err.strerror}") from None


def _wait_until_listening(proc: SippProcess, host: str, port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not _udp_port_bound(port):
        if proc.poll() is not None:
            raise SimulatorError(_exit_reason(proc, host, port))
        if time.monotonic() > deadline:
            stop_sipp(proc)
            raise SimulatorError(f"sipp did not bind {host}:{port} within {START_TIMEOUT_S:g} s")
        time.sleep(0.02)


def _udp_port_bound(port: int) -> bool:
    """Whether some socket is bound to this UDP port (Linux /proc; elsewhere: after a pause)."""
    if not PROC_NET_UDP.exists():
        time.sleep(0.5)
        return True
    suffix = f":{port:04X}"
    lines = PROC_NET_UDP.read_text().splitlines()[1:]
    return any(line.split()[1].endswith(suffix) for line in lines if len(line.split()) > 1)


def _exit_reason(proc: SippProcess, host: str, port: int) -> str:
    output = proc.log_path.read_text(errors="replace")
    if "Address already in use" in output:
        return f"SIP port {host}:{port} is already in use"
    errors = [line for line in output.splitlines() if "rror" in line or "nable" in line]
    detail = errors[-1].strip() if errors else "see " + str(proc.log_path)
    return f"sipp exited with code {proc.returncode}: {detail}"
