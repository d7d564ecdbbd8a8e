"""Screen-pop benchmark: from the answer event at the seat worker to the customer's record and
the script in the agent's browser, along the product's real path: seat worker -> the web
tier's ``/internal`` namespace (service token) -> lookup (console/services/screen_pop.py) ->
push to the agent's ``/agent`` room.

Set-up: a throwaway database (SQLite; ``--database-url`` for PostgreSQL) with the demo
dealership's archive, N agents (200; ``--smoke`` 20) each on an answered call, one real
``huifang web`` process, N python-socketio clients signed in as the agents (in a process of
their own: scripts/bench/screen_pop_clients.py) and ONE real Chromium page signed in as the
first agent. The load generator speaks the seat worker's side of ``/internal`` with the
product's own ``dialer.link.InternalLink`` (200 SIP seats do not fit on one test machine), as a
seat worker does (dialer/seat_worker.py): seconds before the answer the customer's phone rings
(the ringing recorded on the attempt, then ``call_ringing``; ring-to-answer times around
``dialer.pacing.CallStats``: 3 s at least, 8 s on average); at t0 it records the answer in the
database and emits ``call_answered``. Answers arrive as a Poisson stream, each agent in turn.

Measured from t0 (the bench's ``time.time()``; the page's ``Date.now()`` on the same machine):
- push: the ``screen_pop`` reaching each agent's client, which checks it carries the record and
  the script;
- browser: the record and the script rendered in the page's DOM (a MutationObserver on the
  customer's name and the script), and the next frame after it;
- baseline, a 1 s poll (how VICIdial's agent screen learns of a call): the same answer stream
  with N clients polling a throwaway status route served from the same database by the bench
  (scripts/bench/screen_pop_poll.py, never the product), then fetching the record; and the
  latency a 1 s poll would see analytically (uniform phase) from the push run's answer times.
PASS when p99 <= 50 ms with 200 agents, for the push and for the browser's render, and every
answer reached its agent with the record and the script.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, update
from werkzeug.security import generate_password_hash

from console.realtime.notifier import POP_REPORT_EVERY
from console.services import desk
from dialer.events import ROLE_SEAT, ToWeb
from dialer.link import InternalLink
from dialer.pacing import CallStats
from dialer.seat import record_answer, start_attempt
from schedulers.planner import plan_store
from scripts.bench import web_process as web
from scripts.demo_data import load_demo
from storage.codes import AgentState, Role
from storage.db import make_engine, make_session_factory, session_scope
from storage.migrate import upgrade
from storage.models import CallAttempt, Store, User, UserRole, UserStore

ROOT = Path(__file__).resolve().parents[2]
TARGET_MS = 50.0
T0 = time.monotonic()
PASSWORD = "bench-pass"
TOKEN = "bench-internal-token"
DIAL = "sip:{number}@127.0.0.1:5070"
# (agents, answers per agent, answers per second, browser pops)
FULL, SMOKE = (200, 5, 20.0, 100), (20, 3, 10.0, 10)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]


@dataclass(frozen=True)
class Seat:
    agent_id: int
    username: str
    attempt_id: int


@dataclass
class Answer:
    seat: Seat
    t0: float = 0.0
    write_ms: float = 0.0


# ---------- set-up -------------------------------------------------------------------------


def seed(url: str, agents: int) -> list[Seat]:
    """The demo archive, planned; ``agents`` agents each on an answered call of a due task."""
    upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    now = datetime.now(UTC)
    with session_scope(sessions) as s:
        load_demo(s, now=now, customers=max(500, 3 * agents))
        store = s.scalars(select(Store)).one()
        plan_store(s, store, now)
        secret = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
        users = [
            User(
                username=f"bench{i:03d}",
                display_name=f"坐席{i:03d}",
                password_hash=secret,
                roles=[UserRole(role=Role.AGENT)],
                stores=[UserStore(store_id=store.id)],
            )
            for i in range(1, agents + 1)
        ]
        s.add_all(users)
        s.flush()
        seats = [_answered_call(s, user, now) for user in users]
    engine.dispose()
    return seats


def _answered_call(s, user: User, now: datetime) -> Seat:
    desk.log_in(s, user.id, now)
    desk.set_state(s, user.id, AgentState.READY, now)
    order = start_attempt(s, user.id, DIAL, now)
    if order is None:
        raise SystemExit("not enough due follow-ups in the demo archive for the agents")
    record_answer(s, user.id, order.attempt_id, now)
    return Seat(user.id, user.username, order.attempt_id)


def start_clients(tmp: Path, mode: str, url: str, agents: list[dict]) -> subprocess.Popen:
    spec = tmp / f"{mode}.json"
    spec.write_text(json.dumps({"mode": mode, "url": url, "agents": agents}))
    proc = subprocess.Popen(
        [sys.executable, "-m", "scripts.bench.screen_pop_clients", str(spec), str(spec) + ".out"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    if line.strip() != "ready":
        raise SystemExit(f"the {mode} clients did not start (exit {proc.poll()})")
    return proc


def stop_clients(proc: subprocess.Popen, tmp: Path, mode: str) -> list:
    proc.stdin.close()
    proc.wait(60)
    return json.loads((tmp / f"{mode}.json.out").read_text())


# ---------- the browser --------------------------------------------------------------------

OBSERVE = """() => {
  window.__renders = [];
  const name = document.getElementById('customer-name');
  const script = document.getElementById('script');
  const seen = () => {
    const at = Date.now();
    const entry = {at, name: name.textContent.trim(),
                   lines: document.querySelectorAll('#script-lines li').length,
                   paint: null};
    window.__renders.push(entry);
    requestAnimationFrame(() => { entry.paint = Date.now(); });
  };
  const observer = new MutationObserver(seen);
  const options = {childList: true, subtree: true, characterData: true};
  observer.observe(name, options);
  observer.observe(script, options);
}"""


def open_browser(playwright, env: dict, seat: Seat):
    path = shutil.which("chromium") or "/usr/bin/chromium"
    browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
    page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page.goto(web.url_of(env) + "/login")
    page.fill("#username", seat.username)
    page.fill("#password", PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_function(  # the pop of the call in progress, sent on connect
        "document.querySelectorAll('#script-lines li').length > 0", timeout=30000
    )
    page.evaluate(OBSERVE)
    return browser, page


# ---------- the load generator -------------------------------------------------------------


def schedule(seats: list[Seat], per_agent: int, browser_pops: int, seed_: int) -> list[Answer]:
    """Each agent answers ``per_agent`` times, in shuffled rounds; the browser's agent also
    answers ``browser_pops`` times spread over the run."""
    rng = random.Random(seed_)
    answers = []
    for _ in range(per_agent):
        order = seats[:]
        rng.shuffle(order)
        answers += [Answer(seat) for seat in order]
    step = max(1, len(answers) // max(1, browser_pops))
    for i in range(browser_pops):
        answers.insert(i * (step + 1) + step // 2, Answer(seats[0]))
    return answers


def ring_times(answers: list[Answer], dues: list[float], seed_: int) -> tuple[list[float], int]:
    """When each call's phone starts ringing, as the real seat worker reports it
    (dialer/seat_worker.py: ``call_ringing`` on the 180 Ringing of its agent's call, then
    ``call_answered`` on the answer): ``dues[i]`` minus a ring-to-answer time drawn around the
    dialer's own figures (``dialer.pacing.CallStats``: hardly any under ``fastest_answer_s``,
    ``answer_after_s`` on average, none past the no-answer timeout). A seat rings its agent's
    next call only once the previous one is over, so a ring never starts before the same
    agent's previous answer: those rings are shortened (the bench's calls are far shorter than
    real ones). Returns the ring times and how many were shortened."""
    stats = CallStats()
    rng = random.Random(seed_)
    mean_extra = stats.answer_after_s - stats.fastest_answer_s
    last: dict[int, float] = {}
    rings, shortened = [], 0
    for answer, due in zip(answers, dues, strict=True):
        lead = min(stats.fastest_answer_s + rng.expovariate(1 / mean_extra),
                   stats.no_answer_after_s)  # fmt: skip
        ring = due - lead
        previous = last.get(answer.seat.agent_id)
        if previous is not None and ring <= previous:
            ring, shortened = previous + 0.5 * (due - previous), shortened + 1
        last[answer.seat.agent_id] = due
        rings.append(ring)
    return rings, shortened


def run_answers(
    answers: list[Answer], rate: float, url: str, links: list[InternalLink] | None
) -> int:
    """Answer each call at its time: record it in the database, then tell the web tier. With
    links, each call first rings as at a real seat: the ringing recorded (``record_ringing``
    writes the attempt), then ``call_ringing``; latency is still measured from the answer.
    Returns how many rings were shortened (``ring_times``)."""
    engine = make_engine(url)
    rng = random.Random(7)
    dues, due = [], 0.0
    for _ in answers:
        due += rng.expovariate(rate)
        dues.append(due)
    events = [(due, 1, i) for i, due in enumerate(dues)]  # 1: answer, 0: ringing
    shortened = 0
    if links is not None:
        rings, shortened = ring_times(answers, dues, 11)
        events += [(ring, 0, i) for i, ring in enumerate(rings)]
    start = time.time() + 0.5 - min(t for t, _, _ in events)
    with engine.connect() as conn:
        for at, kind, i in sorted(events):
            time.sleep(max(0.0, start + at - time.time()))
            answer = answers[i]
            seat = answer.seat
            data = {"agent_id": seat.agent_id, "attempt_id": seat.attempt_id}
            link = links[seat.agent_id % len(links)] if links is not None else None
            if kind == 0:
                conn.execute(
                    update(CallAttempt)
                    .where(CallAttempt.id == seat.attempt_id)
                    .values(setup_ms=int(1000 * (dues[i] - at)))
                )
                conn.commit()
                if link is not None:  # one link per agent keeps its order
                    link.emit(ToWeb.CALL_RINGING, data)
                continue
            answer.t0 = time.time()
            conn.execute(
                update(CallAttempt)
                .where(CallAttempt.id == seat.attempt_id)
                .values(answered_at=datetime.fromtimestamp(answer.t0, UTC))
            )
            conn.commit()
            answer.write_ms = (time.time() - answer.t0) * 1000
            if link is not None:
                link.emit(ToWeb.CALL_ANSWERED, data)
    engine.dispose()
    return shortened


def connect_links(env: dict, seats: list[Seat], count: int) -> list[InternalLink]:
    links = []
    for seat in seats[:count]:
        link = InternalLink(web.url_of(env), TOKEN, ROLE_SEAT, agent_id=seat.agent_id)
        link.connect_once()
        links.append(link)
    return links


# ---------- matching and figures -----------------------------------------------------------


def match(answers: list[Answer], arrivals: dict[int, list[float]]) -> list[float | None]:
    """Each answer's latency in ms: the first arrival for its agent at or after t0 not taken
    by an earlier answer; None when it never arrived."""
    taken: dict[int, int] = {}
    latencies: list[float | None] = []
    for answer in sorted(answers, key=lambda a: a.t0):
        times = arrivals.get(answer.seat.agent_id, [])
        i = taken.get(answer.seat.agent_id, 0)
        while i < len(times) and times[i] < answer.t0:
            i += 1
        latencies.append((times[i] - answer.t0) * 1000 if i < len(times) else None)
        taken[answer.seat.agent_id] = i + 1
    return latencies


def by_agent(rows, at: int = 1) -> dict[int, list[float]]:
    arrivals: dict[int, list[float]] = {}
    for row in rows:
        arrivals.setdefault(row[0], []).append(row[at])
    return {k: sorted(v) for k, v in arrivals.items()}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def line(label: str, values: list[float], expected: int) -> str:
    if not values:
        return f"  {label:<42} no samples (expected {expected})"
    return (
        f"  {label:<42} p50 {pct(values, 50):7.1f} ms   p99 {pct(values, 99):7.1f} ms   "
        f"max {max(values):7.1f} ms   n={len(values)}/{expected}"
    )


def analytic_poll(answers: list[Answer], push: list[float | None], seed_: int) -> list[float]:
    """What a 1 s poll would see for the same answers: the wait for the agent's next poll
    (each agent's phase uniform in [0, 1 s)) plus the lookup and transfer, taken as the
    push's own latency for that answer."""
    rng = random.Random(seed_)
    phase = {a.seat.agent_id: rng.random() for a in answers}
    ordered = sorted(answers, key=lambda a: a.t0)
    return [
        ((phase[a.seat.agent_id] - a.t0) % 1.0) * 1000 + latency
        for a, latency in zip(ordered, push, strict=True)
        if latency is not None
    ]


# ---------- the run ------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="20 agents, a few pops each")
    parser.add_argument("--agents", type=int)
    parser.add_argument("--per-agent", type=int, help="answers per agent")
    parser.add_argument("--rate", type=float, help="answers per second, all agents together")
    parser.add_argument("--links", type=int, default=4, help="/internal links answering")
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default SQLite)")
    parser.add_argument("--no-poll", action="store_true", help="skip the polling baseline run")
    args = parser.parse_args()
    agents, per_agent, rate, browser_pops = SMOKE if args.smoke else FULL
    agents, per_agent = args.agents or agents, args.per_agent or per_agent
    rate = args.rate or rate
    started = T0
    with tempfile.TemporaryDirectory(prefix="bench-pop-") as tmp_name:
        tmp = Path(tmp_name)
        url = args.database_url or f"sqlite:///{tmp / 'huifang.db'}"
        seats = seed(url, agents)
        print(f"seeded {agents} agents on answered calls in {time.monotonic() - started:.1f} s")
        env = web.web_env(tmp / "instance", url, TOKEN)
        web_proc = web.start_web(env, tmp / "web.log")
        try:
            ok = bench(tmp, env, url, seats, per_agent, rate, browser_pops, args)
        finally:
            web.stop(web_proc)
            log = (tmp / "web.log").read_text(errors="replace")
            if "Traceback" in log:
                print("web tier log had errors:\n" + log[-3000:])
                ok = False
    print(f"{'PASS' if ok else 'FAIL'} ({time.monotonic() - started:.1f} s in all)")
    return 0 if ok else 1


def bench(tmp, env, url, seats, per_agent, rate, browser_pops, args) -> bool:
    from playwright.sync_api import sync_playwright

    agents = [
        {"agent_id": seat.agent_id, "cookie": web.session_cookie(env, seat.username, PASSWORD)}
        for seat in seats
    ]
    answers = schedule(seats, per_agent, browser_pops, 2026)
    print(
        f"{len(answers)} answers at {rate:g}/s ({per_agent} per agent, {browser_pops} more for "
        f"the browser's agent), {args.links} /internal links, one web process"
    )
    print(f"  agents signed in at {time.monotonic() - T0:.1f} s")
    clients = start_clients(tmp, "push", web.url_of(env), agents)
    with sync_playwright() as playwright:
        browser, page = open_browser(playwright, env, seats[0])
        links = connect_links(env, seats, args.links)
        print(f"  clients and browser up at {time.monotonic() - T0:.1f} s")
        shortened = run_answers(answers, rate, url, links)
        print(f"  each call rang before its answer ({shortened} rings shortened to fit)")
        time.sleep(1.0)
        renders = page.evaluate("window.__renders")
        pops = stop_clients(clients, tmp, "push")
        print(f"  answers done, results in at {time.monotonic() - T0:.1f} s")
        browser.close()
        closing = [threading.Thread(target=link.close) for link in links]
        for thread in closing:  # each waits for its goodbye: together, not in turn
            thread.start()
        for thread in closing:
            thread.join()

    push = match(answers, by_agent(pops))
    push_ms = [v for v in push if v is not None]
    mine = [a for a in answers if a.seat is seats[0]]
    complete = [r for r in renders if r["name"] and r["lines"] > 0]
    dom = _matched(match(mine, {seats[0].agent_id: [r["at"] / 1000 for r in complete]}))
    paint = _matched(
        match(mine, {seats[0].agent_id: [r["paint"] / 1000 for r in complete if r["paint"]]})
    )
    carried = sum(1 for p in pops if p[3])
    sizes = [p[4] for p in pops]
    print(f"\nscreen pop, {len(seats)} agents on one web process (target p99 <= {TARGET_MS} ms)")
    print(line("push: answer -> screen_pop at the agent", push_ms, len(answers)))
    print(line("browser: answer -> record+script in DOM", dom, len(mine)))
    print(line("browser: answer -> next frame painted", paint, len(mine)))
    print(
        f"  pops carrying the record and the script: {carried}/{len(pops)}; payload "
        f"{statistics.median(sizes) / 1024:.1f} KiB median; answer's DB write p50 "
        f"{pct([a.write_ms for a in answers], 50):.1f} ms"
    )
    reports = re.findall(r"screen pops so far: (\d+) prepared at ringing, (\d+) looked up",
                         (tmp / "web.log").read_text(errors="replace"))  # fmt: skip
    if reports:
        ready, looked_up = map(int, reports[-1])
        print(f"  pops prepared at ringing: {ready}, looked up at the answer: {looked_up} "
              f"(web log, every {POP_REPORT_EVERY} answers)")  # fmt: skip
    print(line("baseline, 1 s poll (analytic)", analytic_poll(answers, push, 1), len(answers)))
    print(f"  push run done at {time.monotonic() - T0:.1f} s")
    if not args.no_poll:
        polled = poll_baseline(tmp, url, seats, answers, rate)
        print(line("baseline, 1 s poll (measured)", polled, len(answers)))
    delivered = len(push_ms) == len(answers) and len(dom) == len(mine) and carried == len(pops)
    fast = pct(push_ms, 99) <= TARGET_MS and pct(dom, 99) <= TARGET_MS
    print(f"  every answer popped with record and script: {delivered}; p99 within target: {fast}")
    if args.smoke:  # too few samples for a p99: the smoke run checks the path, not the target
        return delivered
    return delivered and fast


def poll_baseline(tmp, url, seats, answers, rate) -> list[float]:
    port = web.free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "scripts.bench.screen_pop_poll", url, str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    poll_url = f"http://127.0.0.1:{port}"
    try:
        web.wait_until_up(poll_url + "/status/0", server)
        agents = [{"agent_id": seat.agent_id} for seat in seats]
        clients = start_clients(tmp, "poll", poll_url, agents)
        time.sleep(1.2)  # every client has its first answer time
        fresh = [Answer(a.seat) for a in answers]
        run_answers(fresh, rate, url, None)
        time.sleep(1.5)
        rows = stop_clients(clients, tmp, "poll")
    finally:
        web.stop(server)
    seen = {(row[0], round(row[2], 3)): row[1] for row in rows}
    return [
        (seen[key] - a.t0) * 1000
        for a in fresh
        if (key := (a.seat.agent_id, round(a.t0, 3))) in seen
    ]


def _matched(values: list[float | None]) -> list[float]:
    return [v for v in values if v is not None]


if __name__ == "__main__":
    sys.exit(main())
