"""One seat for the SIP capacity benchmark (scripts/bench/bench_sip_capacity.py), in its own
process as a seat worker is: the product's SipBackend (pjsua2, null audio, the seat's own SIP
port and RTP range) and SeatAudio (the agent's phone kept up, each answered customer bridged
to it), pumped by the seat worker's loop (poll 20 ms, then tick). What it leaves out of a
real seat worker is the database and the web tier's Socket.IO link, which do nothing while
a call is up.

Started with ``python -m scripts.bench.sip_seat --sip-port P --rtp-port R --rtp-range N
--agent URI --customer URI``. It calls the agent's phone, and once it is up dials the
customer; stdin lines: ``dial`` (hang up the customer, if any, and dial a new one), ``stop``.
End of stdin (the benchmark gone) stops it too. stdout: one JSON object per line,
``{"ev": "up"}``, ``{"ev": "agent", "ms": ...}``, ``{"ev": "customer", "ok": ..., "ms": ...}``
(``ms``: from the INVITE to the 200 OK, as this seat saw it).
"""

from __future__ import annotations

import argparse
import json
import os
import select
import sys
import time

from dialer.backend import CallEventKind, DialError, TelephonyError
from dialer.seat_audio import Phone, SeatAudio
from dialer.sip.account import SipSettings
from dialer.sip.backend import SipBackend

RING_TIMEOUT_S = 10.0


def say(**fields) -> None:
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sip-port", type=int, required=True)
    parser.add_argument("--rtp-port", type=int, required=True)
    parser.add_argument("--rtp-range", type=int, required=True)
    parser.add_argument("--agent", required=True)
    parser.add_argument("--customer", required=True)
    args = parser.parse_args()
    settings = SipSettings(rtp_port=args.rtp_port, rtp_port_range=args.rtp_range)
    backend = SipBackend("127.0.0.1", args.sip_port, "huifang", settings)
    try:
        backend.start()
    except TelephonyError as exc:
        say(ev="error", detail=exc.message)
        return 2
    agent_dialled = 0.0
    audio = SeatAudio(backend, args.agent, RING_TIMEOUT_S)
    customer: str | None = None
    dialled_at = 0.0
    want_customer = True
    say(ev="up", pid=os.getpid())
    stdin = sys.stdin.fileno()
    try:
        while True:
            for event in backend.poll(20):
                if audio.owns(event.call_ref):
                    was = audio.phone
                    audio.on_event(event)
                    if was != Phone.CONNECTED and audio.phone == Phone.CONNECTED:
                        say(ev="agent", ms=round((time.monotonic() - agent_dialled) * 1000, 1))
                    continue
                if event.call_ref != customer:
                    continue
                if event.kind == CallEventKind.ANSWERED:
                    ms = round((time.monotonic() - dialled_at) * 1000, 1)
                    audio.customer_answered(event.call_ref)
                    say(ev="customer", ok=True, ms=ms)
                elif event.kind == CallEventKind.ENDED:
                    if audio.customer != event.call_ref:  # ended before the answer
                        say(ev="customer", ok=False, detail=f"SIP {event.sip_status}")
                    else:
                        say(ev="dropped", detail=f"SIP {event.sip_status}")
                    audio.customer_ended(event.call_ref)
                    customer = None
            was = audio.phone
            audio.tick()  # calls the agent's phone when it is down
            if was != Phone.DIALLING and audio.phone == Phone.DIALLING:
                agent_dialled = time.monotonic()
            if want_customer and audio.ready and audio.phone == Phone.CONNECTED:
                want_customer = False
                dialled_at = time.monotonic()
                try:
                    customer = backend.dial(args.customer, RING_TIMEOUT_S)
                except DialError as exc:
                    say(ev="customer", ok=False, detail=exc.message)
            readable, _, _ = select.select([stdin], [], [], 0)
            if readable:
                line = os.read(stdin, 4096).decode()
                if not line or "stop" in line:
                    return 0
                if "dial" in line:
                    if customer is not None:
                        audio.customer_ended(customer)
                        backend.hangup(customer)
                        customer = None
                    want_customer = True
    finally:
        backend.stop()


if __name__ == "__main__":
    sys.exit(main())
