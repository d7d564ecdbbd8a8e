"""The simulated agents of the screen-pop benchmark, in a process of their own so that their
receiving does not compete with the load generator for the bench process's interpreter.

``python -m scripts.bench.screen_pop_clients SPEC OUT``: SPEC is a JSON file
``{"mode": "push" | "poll", "url", "agents": [{"agent_id", "cookie"}]}``. Push mode connects one
python-socketio client per agent to the web tier's ``/agent`` namespace (signed in with the
agent's session cookie) and records when each ``screen_pop`` arrives and whether it carries the
customer's record and the script. Poll mode is the baseline: each agent asks ``url`` for its
status once a second (a random phase per agent, like a browser's ``setInterval``) and, when the
answer time changes, fetches the record, as VICIdial's agent screen does. Prints ``ready`` once
every client is connected, and writes what it recorded to OUT when stdin closes.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
from datetime import datetime

import aiohttp
import socketio

AGENT_NS = "/agent"
POLL_S = 1.0


def carries_record_and_script(pop: dict) -> bool:
    customer, script = pop.get("customer") or {}, pop.get("script") or {}
    return bool(customer.get("name")) and bool(script.get("lines"))


async def push_agent(url: str, agent: dict, seen: list) -> socketio.AsyncClient:
    client = socketio.AsyncClient(reconnection=False)
    agent_id = agent["agent_id"]

    async def on_pop(data=None) -> None:
        at = time.time()
        pop = data or {}
        size = len(json.dumps(pop, ensure_ascii=False).encode())
        seen.append([agent_id, at, pop.get("attempt_id"), carries_record_and_script(pop), size])

    client.on("screen_pop", on_pop, namespace=AGENT_NS)
    await client.connect(
        url,
        namespaces=[AGENT_NS],
        headers={"Cookie": agent["cookie"]},
        transports=["websocket"],
        wait_timeout=30,
    )
    return client


async def run_push(spec: dict, stop: asyncio.Event) -> list:
    seen: list = []
    clients = []
    agents = spec["agents"]
    for start in range(0, len(agents), 20):  # 20 at a time: a centre does not log in at once
        batch = agents[start : start + 20]
        clients += await asyncio.gather(*(push_agent(spec["url"], a, seen) for a in batch))
    print("ready", flush=True)
    await stop.wait()
    return seen  # the process exits without waiting for each goodbye


async def poll_agent(http, url: str, agent_id: int, stop: asyncio.Event, seen: list) -> None:
    last = None
    tick = time.time() + random.random() * POLL_S
    while not stop.is_set():
        await asyncio.sleep(max(0.0, tick - time.time()))
        tick += POLL_S
        async with http.get(f"{url}/status/{agent_id}") as reply:
            status = await reply.json()
        answered = status.get("answered_at")
        if answered != last and last is not None and status.get("attempt_id"):
            async with http.get(f"{url}/pop/{status['attempt_id']}") as reply:
                pop = await reply.json()
            at = time.time()
            t0 = datetime.fromisoformat(answered).timestamp()
            seen.append([agent_id, at, t0, carries_record_and_script(pop)])
        last = answered
        while tick < time.time():  # fell behind: skip the ticks that passed, as a timer would
            tick += POLL_S


async def run_poll(spec: dict, stop: asyncio.Event) -> list:
    seen: list = []
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        tasks = [
            asyncio.create_task(poll_agent(http, spec["url"], a["agent_id"], stop, seen))
            for a in spec["agents"]
        ]
        print("ready", flush=True)
        await stop.wait()
        for task in tasks:
            task.cancel()
    return seen


async def main(spec_path: str, out_path: str) -> None:
    with open(spec_path) as f:
        spec = json.load(f)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_reader(sys.stdin.fileno(), lambda: sys.stdin.read() or stop.set())
    run = run_push if spec["mode"] == "push" else run_poll
    seen = await run(spec, stop)
    with open(out_path, "w") as f:
        json.dump(seen, f)
    os._exit(0)  # no need to say goodbye to each connection


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
