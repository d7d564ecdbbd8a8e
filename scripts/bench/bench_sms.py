"""SMS benchmark: a campaign of 100,000 recipients (``--smoke``: 5,000) sent by the real sending
process (``python -m schedulers.sms``) to the Twilio mock (Prism serving Twilio's description
with dynamic responses, ``-d``, so that every message gets its own SID) behind the recording
proxy (scripts/bench/sms_proxy.py), which counts what really reached the provider.

PASS when, counted at the proxy:
- the send rate holds at the configured limit (1,000/s; smoke 100/s): the median of the full
  seconds at 90% of it or more, no second above it by more than 10%, and no 429 caused by us
  (the proxy answers 429 to anything faster than the limit);
- the 429s the proxy injects (one every ``INJECT_EVERY_S`` seconds of sending at the limit:
  every 1,000th message at 100/s, every 10,000th at 1,000/s) are backed off: after each, no
  message reaches the proxy once the requests already in flight have arrived
  (``IN_FLIGHT_S``) until the first backoff (``BACKOFF_FIRST_S``) is nearly over, and those
  messages still go. (Injected at a fixed count instead, every 1,000th at 1,000/s would pause
  the sender for 1 s every second: the rate could never hold.)
- after a kill -9 of the sender in the middle of the campaign and a restart, every recipient
  got exactly one message: none twice, none lost.
Also printed: our overhead per message (the sending processes' CPU time per message), the CPU
the proxy and the mock spent per message, the machine's cores and load average before and
after, and, when the rate is not held, whether the CPU it takes fits this machine at all.

One Prism process serves a few hundred messages a second; ``--prisms`` (default: one per
``PRISM_PER_S`` of the rate) starts several behind the proxy, which hands each connection to
the next in turn, so that the mock is not what limits the run.

``--senders N`` runs N sending processes side by side, sharing the sender's rate through Redis
(``--redis-url``, default the local one; a fresh sender number per run, so its key is the
run's own); the kill -9 then hits one of them (``--kill all``: every one) and only those are
restarted. With several, rows are settled as left by a gone run after ``SETTLE_S`` (a live
run sends a claimed row within half of it), not at once.
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import math
import os
import resource
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from dialer.sms.rate import BACKOFF_FIRST_S
from dialer.sms.sender import MIN_SETTLE_S
from scripts.bench import sms_proxy
from storage.consent import Channel, Purpose
from storage.db import make_engine, make_session_factory, session_scope
from storage.migrate import upgrade
from storage.models import Consent, Customer, Phone, SmsCampaign, SmsOutbox, Store, StoreSetting
from storage.sms import audience
from storage.sms.codes import Audience, CampaignState, Kind, State, purpose_of

ROOT = Path(__file__).resolve().parents[2]
PRISM = ROOT / ".tools" / "prism" / "node_modules" / ".bin" / "prism"
SPEC = ROOT / "tests" / "twilio_api" / "twilio_api_v2010_calls_messages.json"
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
FULL, SMOKE = (100_000, 1000), (5_000, 100)  # (recipients, messages per second)
INJECT_EVERY_S = 10  # seconds of sending at the limit between injected 429s
IN_FLIGHT_S = 0.3  # requests sent before a 429 came back may still arrive this long after it
KILL_AT = 0.4  # of the campaign
TZ = ZoneInfo("Asia/Shanghai")
PRISM_PER_S = 300  # what one Prism process served here (about 350/s), with a margin
# Prism logs each request at "info" (several lines, pretty-printed): a fifth of its CPU per
# message (side by side under the same load: 3.1 ms -> 2.5 ms). Warnings and errors (a request
# that fails Twilio's description) are still logged; no browser calls it, so no CORS either.
PRISM_FLAGS = ("-v", "warn", "--cors", "false")
SETTLE_S = MIN_SETTLE_S  # with several senders (dialer/sms/sender.py)
REDIS_URL = "redis://127.0.0.1:6379/0"


def seed(url: str, n: int, rate: int) -> int:
    engine = make_engine(url)
    now = datetime.now(UTC)
    try:
        with session_scope(make_session_factory(engine)) as s:
            store = Store(
                code="SZ01", name="姑苏汽车", timezone="Asia/Shanghai", hotline="0512-6000-8000"
            )
            s.add(store)
            s.flush()
            settings = {"sms.rate_per_s": str(rate), "sms.send_window": "00:00-23:59"}
            s.add_all(
                [StoreSetting(store_id=store.id, key=k, value=v) for k, v in settings.items()]
            )
            for start in range(0, n, 10_000):
                ids = range(start + 1, min(n, start + 10_000) + 1)
                s.execute(insert(Customer), [
                    {"id": i, "store_id": store.id, "name": f"张{i}", "gender": "MF"[i % 2],
                     "is_company": False, "source": "import", "created_at": now, "updated_at": now}
                    for i in ids])  # fmt: skip
                s.execute(insert(Phone), [
                    {"customer_id": i, "e164": f"+86139{i:08d}", "kind": "mobile", "position": 0,
                     "validity": "unverified"} for i in ids])  # fmt: skip
                s.execute(insert(Consent), [
                    {"customer_id": i, "channel": Channel.SMS, "purpose": Purpose.MARKETING,
                     "granted": True, "source": "delivery", "at": now} for i in ids])  # fmt: skip
            campaign = SmsCampaign(
                store_id=store.id, name="冬至问候", kind=Kind.HOLIDAY,
                purpose=purpose_of(Kind.HOLIDAY),
                body="{customer}，冬至快乐！{store}祝您阖家安康。", audience=Audience.UPLOAD,
                state=CampaignState.SENDING,
            )  # fmt: skip
            s.add(campaign)
            s.flush()
            audience.build(s, campaign, [audience.Target(i) for i in range(1, n + 1)], TZ)
            return campaign.id
    finally:
        engine.dispose()


def cpu_of_session(leader: int) -> float:
    """CPU seconds (user + system, with reaped children) of the live processes of the session
    ``leader`` started (Prism runs under node)."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == leader:  # the session id (field 6 of stat)
            total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return total / tick


def start_prism(log: Path) -> tuple[subprocess.Popen, str]:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(PRISM), "mock", "-d", *PRISM_FLAGS, "-h", "127.0.0.1", "-p", str(port), str(SPEC)],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    import requests

    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"{url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json", timeout=1)
            return proc, url
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit("bench_sms: Prism did not start: run scripts/bootstrap.sh --test")


@dataclass(frozen=True)
class Senders:
    """How the sending processes run: how many, their threads, where they share the rate."""

    count: int
    workers: int
    redis_url: str | None
    sms_from: str

    @property
    def settle_s(self) -> float:
        return 0.0 if self.count == 1 else SETTLE_S


def sender(url: str, api_url: str, tmp: Path, name: str, how: Senders) -> subprocess.Popen:
    env = os.environ | {
        "HUIFANG_DATABASE_URL": url, "HUIFANG_INSTANCE": str(tmp / "instance"),
        "HUIFANG_SECRET_KEY": "bench", "HUIFANG_INTERNAL_TOKEN": "bench", "HUIFANG_SMS": "twilio",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": "f" * 32,
        "TWILIO_SMS_FROM": how.sms_from, "HUIFANG_PUBLIC_BASE_URL": "https://huifang.example.com",
        "HUIFANG_TWILIO_API_URL": api_url, "HUIFANG_REDIS_URL": how.redis_url or "",
    }  # fmt: skip
    with (tmp / f"{name}.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "schedulers.sms", "--until-done", "--settle-s",
             str(how.settle_s), "--workers", str(how.workers)],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
        )  # fmt: skip


def redis_for(senders: int, url: str) -> str | None:
    """The Redis the senders share their rate through (None for one sender)."""
    if senders == 1:
        return None
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        raise SystemExit(f"bench_sms: {senders} senders share their rate through Redis, and "
                         f"{url} does not answer: {exc}") from None  # fmt: skip
    return url


def cpu_of(proc: subprocess.Popen) -> float:
    """Wait for ``proc`` and return its CPU seconds (user + system)."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime


def per_second(record: sms_proxy.Record) -> list[int]:
    stamps = sorted(m.at.timestamp() for m in record.messages)
    bins = Counter(int(t) for t in stamps)
    seconds = range(int(stamps[0]) + 1, int(stamps[-1]))  # full seconds only
    return [bins.get(s, 0) for s in seconds]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="5,000 recipients at 100/s (CI)")
    parser.add_argument("--rate", type=int, help="messages per second (default 1,000; smoke 100)")
    parser.add_argument("--count", type=int, help="recipients (default 100,000; smoke 5,000)")
    parser.add_argument(
        "--prisms", type=int, help=f"Prism processes (default: rate / {PRISM_PER_S})"
    )
    parser.add_argument("--senders", type=int, default=1, help="sending processes (default 1)")
    parser.add_argument("--kill", choices=("one", "all"), default="one",
                        help="which senders the kill -9 hits (default: one)")  # fmt: skip
    parser.add_argument("--redis-url", default=REDIS_URL, help="where several senders meet")
    args = parser.parse_args()
    n, rate = SMOKE if args.smoke else FULL
    n, rate = args.count or n, args.rate or rate
    prisms = args.prisms or math.ceil(rate / PRISM_PER_S)
    workers = max(8, min(64, rate // 5))  # requests in flight: the mock answers in ~20-50 ms
    how = Senders(
        args.senders, max(8, math.ceil(workers / args.senders)),
        redis_for(args.senders, args.redis_url), f"+86512{secrets.randbelow(10**8):08d}",
    )  # fmt: skip
    if not PRISM.exists():
        print(f"bench_sms: Prism is not installed at {PRISM}: run scripts/bootstrap.sh --test")
        return 1
    keep = os.environ.get("BENCH_SMS_KEEP")  # keep the database and the logs, for a look
    folder = contextlib.nullcontext(tempfile.mkdtemp()) if keep else tempfile.TemporaryDirectory()
    with folder as name:
        print(f"sms: logs in {name}")
        tmp = Path(name)
        url = f"sqlite:///{tmp / 'bench.db'}"
        upgrade(url)
        started = time.perf_counter()
        campaign_id = seed(url, n, rate)
        took = time.perf_counter() - started
        print(f"sms: {n} recipients seeded and the outbox built in {took:.1f} s")
        started_prisms = [start_prism(tmp / f"prism-{i}.log") for i in range(prisms)]
        inject_every = rate * INJECT_EVERY_S
        record = sms_proxy.Record(inject_429_every=inject_every, max_rate=rate * 1.1 + 1)
        proxy = sms_proxy.start([url for _, url in started_prisms], record=record)
        mock = Mock([proc for proc, _ in started_prisms])
        print(f"sms: {prisms} Prism process(es) behind the proxy; {os.cpu_count()} cores, load "
              f"average {_load()} before the run")  # fmt: skip
        try:
            return run(url, proxy, record, tmp, n, rate, how, args.kill, campaign_id, mock)
        finally:
            proxy.shutdown()
            proxy.server_close()
            for proc, _ in started_prisms:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(10)


class Mock:
    """CPU spent by the proxy (this process's threads, from the first message) and by Prism."""

    def __init__(self, prisms: list[subprocess.Popen]) -> None:
        self.prisms = prisms
        self.prism_start = self.prism_cpu()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        self.own_start = usage.ru_utime + usage.ru_stime

    def prism_cpu(self) -> float:
        return sum(cpu_of_session(p.pid) for p in self.prisms)

    def spent(self) -> tuple[float, float]:
        """(proxy, Prism) CPU seconds since the run began."""
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime - self.own_start, self.prism_cpu() - self.prism_start


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def run(url, proxy, record, tmp, n, rate, how: Senders, kill, campaign_id, mock: Mock) -> int:
    began = time.perf_counter()
    first = [sender(url, proxy.url, tmp, f"first-{i}", how) for i in range(how.count)]
    while len(record.messages) < n * KILL_AT and all(p.poll() is None for p in first):
        time.sleep(0.01)
    killed = first if kill == "all" else first[:1]
    for proc in killed:
        proc.send_signal(signal.SIGKILL)
    killed_at = datetime.now(UTC)
    cpu = sum(cpu_of(proc) for proc in killed)
    at_kill = len(record.messages)
    restarted = [sender(url, proxy.url, tmp, f"second-{i}", how) for i in range(len(killed))]
    finishing = first[len(killed) :] + restarted
    cpu += sum(cpu_of(proc) for proc in finishing)
    took = time.perf_counter() - began
    proxy_cpu, prism_cpu = mock.spent()
    load_after = _load()
    stats = record.stats()
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as s:
        states = dict(s.execute(select(SmsOutbox.state, func.count()).where(
            SmsOutbox.campaign_id == campaign_id).group_by(SmsOutbox.state)).all())  # fmt: skip
    engine.dispose()
    seconds = per_second(record)
    median, peak = (statistics.median(seconds), max(seconds)) if seconds else (0, 0)
    resumed = _resumed_after(record, killed_at)
    codes = [p.returncode for p in finishing]
    print(f"sms: {how.count} sending process(es), {how.workers} threads each"
          f"{', sharing the rate through Redis' if how.redis_url else ''}; killed {len(killed)} "
          f"(kill -9) after {at_kill} messages; the next message went {resumed:.2f} s after the "
          f"last one before the kill; the senders finished with exit codes {codes}; {took:.1f} s "
          f"in all, {n / took:.0f} messages/s on average")  # fmt: skip
    print(f"sms: at the proxy: {stats['messages']} messages to {stats['recipients']} recipients, "
          f"{stats['duplicates']} twice; {stats['injected_429']} injected 429s; "
          f"{stats['rate_429']} 429s for sending too fast")  # fmt: skip
    print(f"sms: outbox states {states}")
    quiet = _quiet_after_429s(record)
    print(
        f"sms: after each injected 429 (one per {record.inject_429_every} messages), the "
        f"senders sent nothing for {quiet:.2f} s at least (in-flight requests aside)"
    )
    _show_twice(record, killed_at)
    print(f"sms: rate per full second: median {median}, peak {peak} (limit {rate}/s)")
    sent = max(1, stats["messages"])
    per_message = cpu / sent * 1000
    proxy_ms, prism_ms = proxy_cpu / sent * 1000, prism_cpu / sent * 1000
    print(f"sms: our overhead: {per_message:.2f} ms CPU per message in the sending processes; "
          f"the mock's: {proxy_ms:.2f} ms in the proxy (one Python process), {prism_ms:.2f} ms "
          f"in Prism")  # fmt: skip
    print(f"sms: load average {load_after} after the run ({os.cpu_count()} cores)")
    checks = {
        "every recipient got exactly one message (none twice, none lost)": (
            stats["messages"] == n and stats["recipients"] == n and stats["duplicates"] == 0
            and states.get(State.SENT, 0) == n
        ),
        "the kill came in the middle of the campaign": 0 < at_kill < n,
        "the restarted and surviving senders finished cleanly": codes == [0] * len(codes),
        f"no 429 caused by us (limit {rate}/s)": stats["rate_429"] == 0,
        f"each injected 429 was backed off (nothing sent for {BACKOFF_FIRST_S - 0.1:.1f} s but "
        f"what was in flight) and its message still went": (
            stats["injected_429"] >= n // record.inject_429_every - 1
            and quiet >= BACKOFF_FIRST_S - 0.1
        ),
        f"the rate held at the limit (median >= {0.85 * rate:.0f}/s, peak <= {1.1 * rate:.0f}/s)": (
            median >= 0.85 * rate and peak <= 1.1 * rate + 2
        ),
    }  # fmt: skip
    for what, ok in checks.items():
        print(f"sms: {what}: {'PASS' if ok else 'FAIL'}")
    if not checks[next(k for k in checks if k.startswith("the rate held"))]:
        _why_not(rate, per_message, proxy_ms, prism_ms, how.count)
    passed = all(checks.values())
    print(f"sms benchmark ({n} recipients at {rate}/s): {'PASS' if passed else 'FAIL'}")
    return 0 if passed else 1


def _show_twice(record: sms_proxy.Record, killed_at: datetime, most: int = 5) -> None:
    """The first recipients who got two messages: when each reached the proxy (seconds from the
    kill) and for which outbox row (its status callback)."""
    twice = [to for to, count in record.per_to.items() if count > 1][:most]
    for to in twice:
        seen = [f"{(m.at - killed_at).total_seconds():+.2f} s, outbox "
                f"{m.status_callback.rsplit('=', 1)[-1]}" for m in record.by_to[to]]  # fmt: skip
        print(f"sms: twice: {to}: " + "; ".join(seen))


def _quiet_after_429s(record: sms_proxy.Record) -> float:
    """The shortest time from an injected 429 to the next message that was not already in
    flight (``IN_FLIGHT_S``) when the 429 was answered: the backoff the senders kept."""
    stamps = sorted(m.at.timestamp() for m in record.messages)
    quiet = math.inf
    for at in (t.timestamp() for t in record.injected_at):
        i = bisect.bisect_right(stamps, at + IN_FLIGHT_S)
        if i < len(stamps):
            quiet = min(quiet, stamps[i] - at)
    return quiet


def _resumed_after(record: sms_proxy.Record, killed_at: datetime) -> float:
    """Seconds between the last message that reached the proxy before the kill and the first
    after it (the restarted sender's start and its reconciliation)."""
    before = [m.at for m in record.messages if m.at <= killed_at]
    after = [m.at for m in record.messages if m.at > killed_at]
    return (min(after) - max(before)).total_seconds() if before and after else 0.0


def _why_not(rate: int, sender_ms: float, proxy_ms: float, prism_ms: float, senders: int) -> None:
    """Whether the CPU the measured rate needs fits on this machine, from what was measured."""
    cores = os.cpu_count() or 1
    needed = rate * (sender_ms + proxy_ms + prism_ms) / 1000
    print(f"sms: why not: at {rate}/s, {sender_ms:.2f} + {proxy_ms:.2f} + {prism_ms:.2f} ms CPU "
          f"per message (sender, proxy, Prism) need {needed:.1f} cores, this machine has "
          f"{cores} shared ones (load average {_load()}); the senders need "
          f"{rate * sender_ms / 1000:.1f} cores ({senders} process(es)) and the proxy "
          f"{rate * proxy_ms / 1000:.1f}, one Python process that the GIL keeps to about one "
          f"core")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
