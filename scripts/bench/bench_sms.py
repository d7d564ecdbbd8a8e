"""SMS benchmark: a campaign of 100,000 recipients (``--smoke``: 5,000) sent by the real sending
process (``python -m schedulers.sms``) to the Twilio mock (Prism serving Twilio's description
with dynamic responses, ``-d``, so that every message gets its own SID) behind the recording
proxy (scripts/bench/sms_proxy.py), which counts what really reached the provider.

PASS when, counted at the proxy:
- the send rate holds at the configured limit (1,000/s; smoke 100/s): the median of the full
  seconds at 90% of it or more, no second above it by more than 10%, and no 429 caused by us
  (the proxy answers 429 to anything faster than the limit);
- the 429s the proxy injects (every 1,000th message) are backed off and those messages still go;
- after a kill -9 of the sender in the middle of the campaign and a restart, every recipient
  got exactly one message: none twice, none lost.
Also printed: our overhead per message (the sending processes' CPU time per message).
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

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
INJECT_EVERY = 1000
KILL_AT = 0.4  # of the campaign
TZ = ZoneInfo("Asia/Shanghai")


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


def start_prism(log: Path) -> tuple[subprocess.Popen, str]:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(PRISM), "mock", "-d", "-h", "127.0.0.1", "-p", str(port), str(SPEC)],
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


def sender(url: str, api_url: str, tmp: Path, name: str, workers: int) -> subprocess.Popen:
    env = os.environ | {
        "HUIFANG_DATABASE_URL": url, "HUIFANG_INSTANCE": str(tmp / "instance"),
        "HUIFANG_SECRET_KEY": "bench", "HUIFANG_INTERNAL_TOKEN": "bench", "HUIFANG_SMS": "twilio",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": "f" * 32,
        "TWILIO_SMS_FROM": "+8651268008001", "HUIFANG_PUBLIC_BASE_URL": "https://huifang.example.com",
        "HUIFANG_TWILIO_API_URL": api_url,
    }  # fmt: skip
    with (tmp / f"{name}.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "schedulers.sms", "--until-done", "--settle-s", "0",
             "--workers", str(workers)],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
        )  # fmt: skip


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
    args = parser.parse_args()
    n, rate = SMOKE if args.smoke else FULL
    rate = args.rate or rate
    workers = max(8, min(64, rate // 5))  # requests in flight: the mock answers in ~20-50 ms
    if not PRISM.exists():
        print(f"bench_sms: Prism is not installed at {PRISM}: run scripts/bootstrap.sh --test")
        return 1
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        url = f"sqlite:///{tmp / 'bench.db'}"
        upgrade(url)
        started = time.perf_counter()
        campaign_id = seed(url, n, rate)
        took = time.perf_counter() - started
        print(f"sms: {n} recipients seeded and the outbox built in {took:.1f} s")
        prism, prism_url = start_prism(tmp / "prism.log")
        record = sms_proxy.Record(inject_429_every=INJECT_EVERY, max_rate=rate * 1.1 + 1)
        proxy = sms_proxy.start(prism_url, record=record)
        try:
            return run(url, proxy, record, tmp, n, rate, workers, campaign_id)
        finally:
            proxy.shutdown()
            proxy.server_close()
            os.killpg(prism.pid, signal.SIGTERM)
            prism.wait(10)


def run(url, proxy, record, tmp, n, rate, workers, campaign_id) -> int:
    began = time.perf_counter()
    first = sender(url, proxy.url, tmp, "first", workers)
    while len(record.messages) < n * KILL_AT and first.poll() is None:
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    cpu = cpu_of(first)
    at_kill = len(record.messages)
    second = sender(url, proxy.url, tmp, "second", workers)
    cpu += cpu_of(second)
    took = time.perf_counter() - began
    stats = record.stats()
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as s:
        states = dict(s.execute(select(SmsOutbox.state, func.count()).where(
            SmsOutbox.campaign_id == campaign_id).group_by(SmsOutbox.state)).all())  # fmt: skip
    engine.dispose()
    seconds = per_second(record)
    median, peak = (statistics.median(seconds), max(seconds)) if seconds else (0, 0)
    own = resource.getrusage(resource.RUSAGE_SELF)
    print(f"sms: killed the sender (kill -9) after {at_kill} messages; the restart finished with "
          f"exit code {second.returncode}; {took:.1f} s in all")  # fmt: skip
    print(f"sms: at the proxy: {stats['messages']} messages to {stats['recipients']} recipients, "
          f"{stats['duplicates']} twice; {stats['injected_429']} injected 429s; "
          f"{stats['rate_429']} 429s for sending too fast")  # fmt: skip
    print(f"sms: outbox states {states}")
    print(f"sms: rate per full second: median {median}, peak {peak} (limit {rate}/s)")
    per_message = cpu / max(1, stats["messages"]) * 1000
    print(f"sms: our overhead: {per_message:.2f} ms CPU per message in the sending processes "
          f"(the proxy, in this process: {own.ru_utime + own.ru_stime:.0f} s CPU)")  # fmt: skip
    checks = {
        "every recipient got exactly one message (none twice, none lost)": (
            stats["messages"] == n and stats["recipients"] == n and stats["duplicates"] == 0
            and states.get(State.SENT, 0) == n
        ),
        "the kill came in the middle of the campaign": 0 < at_kill < n,
        "the restarted sender finished cleanly": second.returncode == 0,
        f"no 429 caused by us (limit {rate}/s)": stats["rate_429"] == 0,
        "injected 429s were backed off and their messages still went": (
            stats["injected_429"] >= n // INJECT_EVERY - 1
        ),
        f"the rate held at the limit (median >= {0.85 * rate:.0f}/s, peak <= {1.1 * rate:.0f}/s)": (
            median >= 0.85 * rate and peak <= 1.1 * rate + 2
        ),
    }  # fmt: skip
    for what, ok in checks.items():
        print(f"sms: {what}: {'PASS' if ok else 'FAIL'}")
    passed = all(checks.values())
    print(f"sms benchmark ({n} recipients at {rate}/s): {'PASS' if passed else 'FAIL'}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
