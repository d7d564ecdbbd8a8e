"""SIP capacity benchmark: how many agent seats one machine carries, each in its own process
as a seat worker is (scripts/bench/sip_seat.py: the product's SipBackend and SeatAudio in the
seat worker's loop), each holding its agent's phone call bridged to a talking customer.

SIPp plays both sides on loopback: one SIPp is every agent's headset (scripts/sipp/
agent_phone.xml, answering at once; its SDP sends our RTP to this benchmark's UDP counter),
one is every customer (scripts/sipp/talk.xml: rings 300 ms, answers and talks, a 1 kHz tone
with rtp_stream). Seats are added in steps (10, 20, 30, ...; ``--smoke``: one step of 3);
at each step, with every seat bridged:

- seats up: agent's phone connected and customer answered and bridged;
- CPU % (of one core) and RSS of each seat process over a listening window, read in /proc;
  the whole machine's CPU busy % and SIPp's own CPU are printed for context;
- set-up time INVITE -> 200 OK, p50/p99, as the seats saw it: the agent legs (SIPp answers at
  once) and the customer legs, less talk.xml's 300 ms of ringing before its 200 OK;
- RTP per bridged pair: packets of the customer's tone reaching the agent's phone in the
  window (the counter tells seats apart by the RTP source port of each seat's range); a pair
  passes with >= 90% of the 50 packets/s expected and >= 90% of them carrying the tone;
- a burst: every seat hangs up its customer and dials a new one at the same moment; calls
  per second = answered calls / time from the burst to the last answer (a lower bound: it
  includes the 300 ms ringing; "net" leaves the ringing out), PASS only with no failed call;
  RTP is checked again after it.

A step passes when all of this holds; the ramp stops at the first step that fails. PASS when
a step of >= 50 seats (``--smoke``: 3) passed. Every process started is stopped at the end,
also on failure, and each seat exits on its own when this benchmark's pipe to it closes.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from scripts.simulator import (  # noqa: E402
    free_udp_port,
    start_agent_phone,
    start_sipp,
    stop_sipp,
)

TARGET = 50
RTP_RANGE = 20  # the product's default HUIFANG_RTP_PORTS_PER_SEAT
PTIME_PPS = 50  # PCMU at 20 ms per packet
RTP_SHARE = 0.9
RING_S = 0.3  # talk.xml rings this long before its 200 OK
LOUD = 2000  # mean |sample| of a tone packet (the tone's is ~10,000; silence ~0)
UP_TIMEOUT_S = 60.0
BURST_TIMEOUT_S = 30.0
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def mu_law_decode(byte: int) -> int:
    byte = ~byte & 0xFF
    magnitude = (((byte & 0x0F) << 3) + 0x84) << ((byte & 0x70) >> 4)
    return (0x84 - magnitude) if byte & 0x80 else (magnitude - 0x84)


MU_ABS = [abs(mu_law_decode(b)) for b in range(256)]


# -- RTP at the agents' phones ---------------------------------------------------------------
class RtpCounter:
    """The UDP socket the agents' phones name in their SDP: counts PCMU packets per source
    port, and those carrying the tone."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.packets: dict[int, int] = {}
        self.loud: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                data, (_, port) = self.sock.recvfrom(2048)
            except TimeoutError:
                continue
            if len(data) <= 12 or data[1] & 0x7F != 0:
                continue
            self.packets[port] = self.packets.get(port, 0) + 1
            payload = data[12:]
            if sum(MU_ABS[b] for b in payload) / len(payload) > LOUD:
                self.loud[port] = self.loud.get(port, 0) + 1

    def snapshot(self) -> tuple[dict[int, int], dict[int, int]]:
        return dict(self.packets), dict(self.loud)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


# -- /proc -----------------------------------------------------------------------------------
def cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def rss_mb(pid: int) -> float:
    try:
        pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except OSError:
        return 0.0
    return pages * PAGE / 2**20


def machine_ticks() -> tuple[int, int]:
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


# -- seats -----------------------------------------------------------------------------------
@dataclass
class Seat:
    index: int
    proc: subprocess.Popen
    rtp_port: int
    agent_ms: list[float] = field(default_factory=list)
    customer_ms: list[float] = field(default_factory=list)
    answered: int = 0
    failed: list[str] = field(default_factory=list)
    agent_up: bool = False
    error: str | None = None

    def send(self, line: str) -> None:
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(line.encode() + b"\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass


class Rig:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.seats: list[Seat] = []
        self.sipps: list[subprocess.Popen] = []
        self.events: queue.Queue[tuple[float, int, dict]] = queue.Queue()
        self.counter = RtpCounter()
        self.agent_port = free_udp_port()
        self.agents = start_agent_phone(
            self.agent_port, audio_port=self.counter.port, log_dir=folder
        )
        self.sipps.append(self.agents)
        self.customer_port = free_udp_port()
        self.customers = start_sipp("talk", self.customer_port, log_dir=folder)
        self.sipps.append(self.customers)
        self._next_rtp = 20000

    def _rtp_range(self) -> int:
        """The first port of RTP_RANGE consecutive UDP ports that are free now."""
        while self._next_rtp + RTP_RANGE < 65000:
            base, self._next_rtp = self._next_rtp, self._next_rtp + RTP_RANGE
            if all(port_free(p) for p in range(base, base + RTP_RANGE)):
                return base
        raise RuntimeError("no free RTP port range left")

    def add_seat(self) -> Seat:
        index = len(self.seats)
        rtp = self._rtp_range()
        command = [sys.executable, "-m", "scripts.bench.sip_seat"]
        command += ["--sip-port", str(free_udp_port()), "--rtp-port", str(rtp)]
        command += ["--rtp-range", str(RTP_RANGE)]
        command += ["--agent", f"sip:{8000 + index}@127.0.0.1:{self.agent_port}"]
        command += ["--customer", f"sip:1390000{index:04d}@127.0.0.1:{self.customer_port}"]
        with (self.folder / f"seat-{index}.log").open("wb") as log:
            proc = subprocess.Popen(
                command,
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
        seat = Seat(index, proc, rtp)
        self.seats.append(seat)
        threading.Thread(target=self._read, args=(seat,), daemon=True).start()
        return seat

    def _read(self, seat: Seat) -> None:
        assert seat.proc.stdout is not None
        for line in seat.proc.stdout:
            try:
                self.events.put((time.monotonic(), seat.index, json.loads(line)))
            except ValueError:
                continue
        self.events.put((time.monotonic(), seat.index, {"ev": "exit"}))

    def pump(self, until: float, done) -> list[float]:
        """Apply the seats' events until done() or the deadline; return the times of the
        customer answers seen."""
        answers = []
        while not done() and time.monotonic() < until:
            try:
                at, index, event = self.events.get(timeout=0.1)
            except queue.Empty:
                continue
            seat = self.seats[index]
            kind = event["ev"]
            if kind == "agent":
                seat.agent_up = True
                seat.agent_ms.append(event["ms"])
            elif kind == "customer" and event["ok"]:
                seat.answered += 1
                seat.customer_ms.append(event["ms"])
                answers.append(at)
            elif kind == "customer":
                seat.failed.append(event["detail"])
            elif kind in ("error", "dropped", "exit"):
                seat.error = seat.error or event.get("detail", kind)
        return answers

    def seat_of_port(self, port: int) -> int | None:
        for seat in self.seats:
            if seat.rtp_port <= port < seat.rtp_port + RTP_RANGE:
                return seat.index
        return None

    def rtp_window(self, seconds: float) -> dict[int, tuple[int, int]]:
        """Per seat: (packets, tone packets) reaching its agent's phone in the window."""
        before_p, before_l = self.counter.snapshot()
        time.sleep(seconds)
        after_p, after_l = self.counter.snapshot()
        per_seat: dict[int, list[int]] = {s.index: [0, 0] for s in self.seats}
        for port, count in after_p.items():
            index = self.seat_of_port(port)
            if index is not None:
                per_seat[index][0] += count - before_p.get(port, 0)
                per_seat[index][1] += after_l.get(port, 0) - before_l.get(port, 0)
        return {i: (p, lo) for i, (p, lo) in per_seat.items()}

    def close(self) -> None:
        for seat in self.seats:
            seat.send("stop")
            try:
                assert seat.proc.stdin is not None
                seat.proc.stdin.close()
            except OSError:
                pass
        deadline = time.monotonic() + 10
        for seat in self.seats:
            try:
                seat.proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                seat.proc.kill()
                seat.proc.wait()
        for proc in self.sipps:
            stop_sipp(proc)
        self.counter.close()


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def rtp_ok(counts: dict[int, tuple[int, int]], seconds: float) -> tuple[int, int]:
    """(pairs passing, the fewest packets per second any pair got)."""
    expected = PTIME_PPS * seconds * RTP_SHARE
    good = sum(1 for p, lo in counts.values() if p >= expected and lo >= RTP_SHARE * p)
    least = min((p for p, _ in counts.values()), default=0) / seconds
    return good, round(least)


# -- one step --------------------------------------------------------------------------------
def run_step(rig: Rig, seats: int, window: float) -> dict:
    start = time.monotonic()
    new = [rig.add_seat() for _ in range(seats - len(rig.seats))]
    rig.pump(
        start + UP_TIMEOUT_S,
        lambda: all(s.answered >= 1 or s.error or s.failed for s in new),
    )
    up = sum(1 for s in rig.seats if s.agent_up and s.answered >= 1 and not s.error)
    time.sleep(1.0)  # past the first packets of the new bridges
    pids = [s.proc.pid for s in rig.seats]
    sipp_pids = [p.pid for p in rig.sipps]
    ticks0 = {pid: cpu_ticks(pid) for pid in pids + sipp_pids}
    busy0, total0 = machine_ticks()
    t0 = time.monotonic()
    counts = rig.rtp_window(window)
    wall = time.monotonic() - t0
    busy1, total1 = machine_ticks()
    cpu = [100 * (cpu_ticks(pid) - ticks0[pid]) / CLK_TCK / wall for pid in pids]
    sipp_cpu = sum(100 * (cpu_ticks(p) - ticks0[p]) / CLK_TCK / wall for p in sipp_pids)
    rss = [rss_mb(pid) for pid in pids]
    rtp_good, rtp_least = rtp_ok(counts, wall)

    # the burst: every seat drops its customer and dials a new one at once
    answered_before = sum(s.answered for s in rig.seats)
    failed_before = sum(len(s.failed) for s in rig.seats)
    burst_at = time.monotonic()
    for seat in rig.seats:
        seat.send("dial")
    answers = rig.pump(
        burst_at + BURST_TIMEOUT_S,
        lambda: (
            sum(s.answered for s in rig.seats) + sum(len(s.failed) for s in rig.seats)
            >= answered_before + failed_before + len(rig.seats)
        ),
    )
    burst_ok = sum(s.answered for s in rig.seats) - answered_before
    burst_failed = len(rig.seats) - burst_ok
    span = (max(answers) - burst_at) if answers else float("inf")
    cps = burst_ok / span if answers else 0.0
    net = span - RING_S
    cps_net = burst_ok / net if answers and net > 0 else float("nan")
    time.sleep(1.0)
    after = rig.rtp_window(2.0)
    after_good, _ = rtp_ok(after, 2.0)

    agent_ms = [ms for s in rig.seats for ms in s.agent_ms]
    customer_ms = [ms for s in rig.seats for ms in s.customer_ms]
    row = {
        "seats": seats,
        "up": up,
        "cpu_mean": statistics.mean(cpu),
        "cpu_max": max(cpu),
        "rss_mean": statistics.mean(rss),
        "rss_max": max(rss),
        "machine_cpu": 100 * (busy1 - busy0) / max(1, total1 - total0),
        "sipp_cpu": sipp_cpu,
        "agent_p50": pct(agent_ms, 0.5),
        "agent_p99": pct(agent_ms, 0.99),
        "cust_p50": pct(customer_ms, 0.5) - RING_S * 1000,
        "cust_p99": pct(customer_ms, 0.99) - RING_S * 1000,
        "cps": cps,
        "cps_net": cps_net,
        "burst_failed": burst_failed,
        "rtp_good": rtp_good,
        "rtp_least_pps": rtp_least,
        "rtp_after_burst": after_good,
        "errors": sorted({s.error for s in rig.seats if s.error}),
    }
    row["pass"] = up == seats and rtp_good == seats and after_good == seats and burst_failed == 0
    return row


HEADER = (
    f"{'seats':>5} {'up':>4} {'CPU%/seat':>10} {'max':>5} {'RSS MB':>7} {'max':>5} "
    f"{'machine%':>8} {'SIPp%':>6} {'agent p50/p99 ms':>17} {'cust p50/p99 ms':>16} "
    f"{'burst cps':>9} {'net':>5} {'fail':>4} {'RTP pairs':>9} {'min pps':>7} {'after':>5}  result"
)


def fmt(row: dict) -> str:
    return (
        f"{row['seats']:>5} {row['up']:>4} {row['cpu_mean']:>10.1f} {row['cpu_max']:>5.1f} "
        f"{row['rss_mean']:>7.1f} {row['rss_max']:>5.1f} {row['machine_cpu']:>8.0f} "
        f"{row['sipp_cpu']:>6.0f} "
        f"{row['agent_p50']:>8.1f}/{row['agent_p99']:<8.1f} "
        f"{row['cust_p50']:>7.1f}/{row['cust_p99']:<8.1f} "
        f"{row['cps']:>9.1f} {row['cps_net']:>5.0f} {row['burst_failed']:>4} "
        f"{row['rtp_good']:>4}/{row['seats']:<4} {row['rtp_least_pps']:>7} "
        f"{row['rtp_after_burst']:>5}  {'ok' if row['pass'] else 'FAIL'}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="one step of 3 seats (CI)")
    parser.add_argument("--step", type=int, default=10)
    parser.add_argument("--max", type=int, default=70, help="last step's seats")
    parser.add_argument("--window", type=float, default=5.0, help="seconds of RTP per step")
    args = parser.parse_args()
    steps = [3] if args.smoke else list(range(args.step, args.max + 1, args.step))
    window = 2.0 if args.smoke else args.window
    target = 3 if args.smoke else TARGET

    def terminate(*_) -> None:
        raise SystemExit(1)

    signal.signal(signal.SIGTERM, terminate)
    began = time.monotonic()
    print(
        f"SIP capacity: {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.2f} at the start; steps {steps}; target >= {target} seats"
    )
    best = 0
    with tempfile.TemporaryDirectory(prefix="huifang-bench-sip-") as tmp:
        rig = Rig(Path(tmp))
        try:
            print(HEADER, flush=True)
            for seats in steps:
                row = run_step(rig, seats, window)
                print(fmt(row), flush=True)
                if row["errors"]:
                    print(f"      seat errors: {'; '.join(row['errors'])}")
                if not row["pass"]:
                    break
                best = seats
        finally:
            rig.close()
    passed = best >= target
    print(
        f"{'PASS' if passed else 'FAIL'}: {best} seats carried with RTP on every bridged "
        f"pair and no failed call (target >= {target}); {time.monotonic() - began:.1f} s"
    )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
