"""The seat worker: one process per logged-in agent, holding that agent's calls.

Its main thread owns the voice backend (pjsua2 is driven from one thread) and the loop:
pump the backend, run commands from the web tier, dial when the agent is ready and a task
is due. Database work happens in short transactions between carrier calls, never during.
With a backend that bridges calls (SIP), the agent's own phone is a call of this worker too
(dialer.seat_audio): customers are dialled only while it is up.
"""

from __future__ import annotations

import argparse
import logging
import queue
import signal
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from dialer.backend import (
    CallControl,
    CallControlError,
    CallEvent,
    CallEventKind,
    HungUpBy,
    TelephonyError,
    VoiceBackend,
)
from dialer.dialing import (
    PACE_EVERY,
    DialingMode,
    SeatPolicy,
    recent_stats,
    seat_policy,
    seat_snapshot,
)
from dialer.events import ROLE_SEAT, ToSeat, ToWeb
from dialer.link import InternalLink
from dialer.pacing import ABANDON_AFTER_S, CallStats
from dialer.seat import (
    AgentNotReady,
    DialOrder,
    PooledCalls,
    abandon,
    agent_extension,
    attach_recording,
    note_answer,
    open_leg,
    previewed_order,
    record_end,
    record_ringing,
    recover_seat,
    take_call,
)
from dialer.seat_audio import Handover, Phone, SeatAudio, repair_recording
from dialer.tones import apology_prompt, recording_notice, wav_seconds
from storage.codes import AgentState, NetworkOutcome
from storage.config import Config, ConfigError, load_config
from storage.db import (
    DatabaseUnavailable,
    check_connection,
    make_engine,
    make_session_factory,
    session_scope,
)
from storage.models import AgentStatus
from storage.queue import agent_store_ids, next_due_at

log = logging.getLogger("huifang.seat")
IDLE_RECHECK = timedelta(seconds=60)
TAKE_EVERY_S = 0.1  # an answered call waiting for the agent looks this often
RECORDINGS = "recordings"  # in the instance folder: <attempt id>.wav
CONTROL_ACTIONS = {ToSeat.HOLD: "hold", ToSeat.TRANSFER: "transfer", ToSeat.DTMF: "dtmf"}


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Leg:
    """One customer call of this seat: ringing, with the agent, or answered and waiting for
    the agent (``answered``, monotonic), or hearing the apology until ``apology_until``."""

    attempt_id: int
    dialled: float
    answered: float | None = None
    apology_until: float | None = None
    next_take: float = 0.0  # while waiting: when to look again whether the agent is free


def _apology(call_ref: str) -> str:
    """The port that plays the apology to an abandoned call."""
    return f"apology:{call_ref}"


class SeatWorker:
    def __init__(
        self,
        config: Config,
        agent_id: int,
        backend: VoiceBackend,
        pooled: PooledCalls | None = None,
    ) -> None:
        self.config = config
        self.agent_id = agent_id
        self.backend = backend
        self.pooled = pooled  # the agent's calls from the store's pool (Twilio), not ours
        engine = make_engine(config.database_url)
        check_connection(engine)
        self.sessions = make_session_factory(engine)
        self.commands: queue.Queue[tuple[str, dict]] = queue.Queue()
        self.link = InternalLink(
            config.web_url,
            config.internal_token,
            ROLE_SEAT,
            agent_id=agent_id,
            on_command=lambda name, data: self.commands.put((name, data)),
            commands=tuple(ToSeat),
        )
        self.call: tuple[str, int] | None = None  # (call_ref, attempt_id): the agent's call
        self.legs: dict[str, Leg] = {}  # every customer call of the seat, the agent's too
        self.policy = SeatPolicy()
        self.wake_at: datetime | None = now()
        self.audio: SeatAudio | None = None  # the agent's phone and the bridge (SIP only)

    def run(self, stop: threading.Event) -> None:
        self.backend.start()
        try:
            with session_scope(self.sessions) as s:
                closed = recover_seat(s, self.agent_id, now())
                extension = agent_extension(s, self.agent_id)
            if closed:
                log.warning("closed attempts %s left open by an earlier worker", closed)
            for attempt_id in closed:  # its recordings were cut short
                repair_recording(self.instance / RECORDINGS / f"{attempt_id}.wav")
            self.audio = self._seat_audio(extension)
            if not self.link.connect(stop):
                return
            self.link.emit(ToWeb.AGENT_CHANGED, {"agent_id": self.agent_id})
            self._report_phone()
            while not stop.is_set():
                self.step()
        finally:
            self.backend.stop()
            self.link.close()

    def step(self) -> None:
        for event in self.backend.poll(20):
            self.on_call_event(event)
        while not self.commands.empty():
            self.on_command(*self.commands.get_nowait())
        if self.audio is not None:
            self.audio.tick()
        self.tend_legs()
        due = self.wake_at is not None and now() >= self.wake_at
        if due and self._agent_can_hear():
            self.pace()

    def on_command(self, name: str, data: dict) -> None:
        if name == ToSeat.WAKE:
            self.wake_at = now()
        elif name == ToSeat.HANGUP and self.call is not None:
            self.backend.hangup(self.call[0])
        elif name == ToSeat.HANGUP:
            self.hang_up_pooled()
        elif name == ToSeat.REPORT:
            self._report_phone()
        elif name == ToSeat.DIAL:
            self.dial_previewed(int(data.get("attempt_id") or 0))
        elif name in (ToSeat.HOLD, ToSeat.TRANSFER, ToSeat.DTMF):
            self.on_control(name, data)

    def on_control(self, name: str, data: dict) -> None:
        """Hold, transfer, DTMF on the live customer's call; the web tier hears how it went."""
        action = CONTROL_ACTIONS[ToSeat(name)]
        if name == ToSeat.HOLD and not data.get("hold"):
            action = "unhold"
        if name == ToSeat.HOLD and self.call is None and self.pooled is not None:
            self.hold_pooled(bool(data.get("hold")), action)
            return
        try:
            if self.audio is None or self.call is None:
                raise CallControlError("no customer on the line")
            if name == ToSeat.HOLD:
                self.audio.hold(bool(data.get("hold")))
            elif name == ToSeat.TRANSFER:
                self.audio.transfer_to(self._phone_uri(str(data.get("extension", ""))))
            else:
                self.audio.send_dtmf(str(data.get("digits", "")))
                log.info("DTMF %s sent to the customer", data.get("digits"))
        except TelephonyError as exc:
            log.warning("%s refused: %s", action, exc.message)
            self._report_control(action, ok=False, detail=exc.message)
            return
        self._report_control(action, ok=True, detail="ringing" if action == "transfer" else None)

    # -- the agent's call from the store's pool (Twilio): no leg of this seat ---------------
    def hang_up_pooled(self) -> None:
        if self.pooled is None:
            return
        with session_scope(self.sessions) as s:
            call = self.pooled.current(s, self.agent_id)
            if call is not None:
                self.pooled.mark_hangup(s, call, now())
        if call is not None:  # its end arrives as the customer's final status callback
            self.pooled.hangup(call)

    def hold_pooled(self, held: bool, action: str) -> None:
        assert self.pooled is not None
        with session_scope(self.sessions) as s:
            call = self.pooled.current(s, self.agent_id)
        try:
            if call is None:
                raise CallControlError("no customer on the line")
            self.pooled.hold(call, held)
        except TelephonyError as exc:
            log.warning("%s refused: %s", action, exc.message)
            attempt_id = call.attempt_id if call else None
            self._report_control(action, ok=False, detail=exc.message, attempt_id=attempt_id)
            return
        self._report_control(action, ok=True, attempt_id=call.attempt_id)

    def _next_wake(self, session: Session) -> datetime | None:
        status = session.get(AgentStatus, self.agent_id)
        if status is None or status.state != AgentState.READY:
            return None  # woken by the web tier when the agent is ready again
        due = next_due_at(session, agent_store_ids(session, self.agent_id))
        return min(due, now() + IDLE_RECHECK) if due else now() + IDLE_RECHECK

    # -- dialing modes: pacing, preview, customer legs, abandoned calls ----------------------
    def pace(self) -> None:
        """Start what the seat's mode calls for now, then say when to look again."""
        with session_scope(self.sessions) as s:
            self.policy = seat_policy(s, self.agent_id, self.config.telephony)
            status = s.get(AgentStatus, self.agent_id)
            if status is None:
                self.wake_at = None
                return
            if self.policy.mode == DialingMode.PREVIEW:
                wanted = int(status.state == AgentState.READY and not self.legs)
            else:
                snap = seat_snapshot(
                    s,
                    status,
                    self.policy,
                    ringing_s=self._ringing_s(),
                    waiting=len(self._waiting()),
                    now=now(),
                    tz=self.config.tz,
                    stats=self._stats(s),
                )
                wanted = self.policy.pacer().calls_to_start(snap)
        started = 0
        while started < wanted and self.start_leg():
            started += 1
        with session_scope(self.sessions) as s:
            self.wake_at = self._next_pace(s)

    def _stats(self, session: Session) -> CallStats:
        """The predictive pacer's estimates from the stores' recent calls; progressive's
        early start needs only the defaults (the fastest answer time)."""
        if self.policy.mode != DialingMode.PREDICTIVE:
            return CallStats(no_answer_after_s=self.config.ring_timeout_s)
        return recent_stats(session, list(self.policy.store_ids), self.config.ring_timeout_s)

    def start_leg(self) -> bool:
        """Claim a task and dial it (preview: show it to the agent and wait for Dial)."""
        preview = self.policy.mode == DialingMode.PREVIEW
        try:
            with session_scope(self.sessions) as s:
                order = open_leg(
                    s,
                    self.agent_id,
                    self.config.dial_template,
                    now(),
                    self.config.telephony,
                    preview=preview,
                )
        except AgentNotReady:
            return False
        if order is None:
            return False
        if order.for_agent:
            self.link.emit(ToWeb.AGENT_CHANGED, {"agent_id": self.agent_id})
        if preview:
            payload = {"agent_id": self.agent_id, "attempt_id": order.attempt_id}
            self.link.emit(ToWeb.CALL_PREVIEW, payload)
            return True
        return self._dial(order)

    def dial_previewed(self, attempt_id: int) -> None:
        """The agent pressed Dial (the web tier moved them from Preview to Ringing)."""
        with session_scope(self.sessions) as s:
            order = previewed_order(s, self.agent_id, attempt_id)
        if order is None or self.call is not None:
            log.warning("Dial for attempt %s ignored: not the previewed call", attempt_id)
            return
        self._dial(order)

    def _dial(self, order: DialOrder) -> bool:
        try:
            call_ref = self.backend.dial_attempt(
                order.attempt_id, order.uri, self.config.ring_timeout_s
            )
        except TelephonyError as exc:
            log.error("dialling %s failed: %s", order.uri, exc)
            failed = CallEvent(CallEventKind.ENDED, "", outcome=NetworkOutcome.FAILED)
            if order.for_agent:
                self._end(order.attempt_id, failed)
            else:
                self._end_leg(order.attempt_id, failed)
            return False
        self.legs[call_ref] = Leg(order.attempt_id, time.monotonic())
        if order.for_agent:
            self.call = (call_ref, order.attempt_id)
        return True

    def _next_pace(self, session: Session) -> datetime | None:
        status = session.get(AgentStatus, self.agent_id)
        state = status.state if status is not None else None
        timed_wrap = state == AgentState.WRAP_UP and self.policy.wrap_up_s > 0
        busy = state in (AgentState.RINGING, AgentState.ON_CALL)
        predictive = self.policy.mode == DialingMode.PREDICTIVE
        if self.legs or timed_wrap or (predictive and busy):
            return now() + PACE_EVERY
        return self._next_wake(session)

    def _ringing_s(self) -> tuple[float, ...]:
        t = time.monotonic()
        return tuple(t - leg.dialled for leg in self.legs.values() if leg.answered is None)

    def _waiting(self) -> list[str]:
        """Answered legs the agent does not have, not yet abandoned."""
        agent_ref = self.call[0] if self.call else None
        return [
            ref
            for ref, leg in self.legs.items()
            if leg.answered is not None and leg.apology_until is None and ref != agent_ref
        ]

    def tend_legs(self) -> None:
        """Answered legs waiting for the agent: theirs if they are free, abandoned after
        ABANDON_AFTER_S; apologies played to the end: hung up."""
        t = time.monotonic()
        for ref in self._waiting():
            leg = self.legs[ref]
            if self.call is None and t >= leg.next_take:
                leg.next_take = t + TAKE_EVERY_S
                if self._take(ref, leg.attempt_id):
                    continue
            if t - leg.answered >= ABANDON_AFTER_S:  # type: ignore[operator]
                self._abandon(ref, leg)
        for ref, leg in list(self.legs.items()):
            if leg.apology_until is not None and t >= leg.apology_until:
                leg.apology_until = float("inf")  # hung up once
                if isinstance(self.backend, CallControl):
                    self.backend.close_port(_apology(ref))
                self.backend.hangup(ref)

    def _take(self, ref: str, attempt_id: int) -> bool:
        """Give an answered leg to the agent if they are free; bridge it, pop the record."""
        with session_scope(self.sessions) as s:
            if not take_call(s, self.agent_id, attempt_id, now()):
                return False
            recording = self._recording_path(attempt_id)
            if recording is not None:
                attach_recording(s, attempt_id, str(recording.relative_to(self.instance)))
        self.call = (ref, attempt_id)
        if self.audio is not None:
            self.audio.customer_answered(ref, recording)
        self.link.emit(ToWeb.CALL_ANSWERED, {"agent_id": self.agent_id, "attempt_id": attempt_id})
        return True

    def _abandon(self, ref: str, leg: Leg) -> None:
        """No agent within 2 s: the apology, then the hang-up; the task goes back."""
        with session_scope(self.sessions) as s:
            abandon(s, leg.attempt_id, now())
        log.warning("attempt %s abandoned: no agent free within %ss", leg.attempt_id, 2)
        leg.apology_until = time.monotonic()
        if not isinstance(self.backend, CallControl):
            return
        prompt = apology_prompt(self.instance)
        try:
            self.backend.open_announcement(_apology(ref), prompt)
            self.backend.connect(_apology(ref), ref)
        except TelephonyError as exc:
            log.error("the apology is not played: %s", exc.message)
            return
        leg.apology_until += wav_seconds(prompt) + 0.2

    def on_call_event(self, event: CallEvent) -> None:
        if self.audio is not None and (
            event.kind == CallEventKind.DTMF or self.audio.owns(event.call_ref)
        ):
            self.audio.on_event(event)  # the agent's phone, an advisor's, a DTMF digit
            return
        leg = self.legs.get(event.call_ref)
        if leg is None:
            return
        attempt_id = leg.attempt_id
        mine = self.call is not None and self.call[0] == event.call_ref
        if event.kind == CallEventKind.RINGING:
            with session_scope(self.sessions) as s:
                record_ringing(s, attempt_id, event)
            if mine:
                payload = {"agent_id": self.agent_id, "attempt_id": attempt_id}
                self.link.emit(ToWeb.CALL_RINGING, payload)
        elif event.kind == CallEventKind.ANSWERED:
            agent_free = self.call is None or self.legs[self.call[0]].answered is None
            with session_scope(self.sessions) as s:
                note_answer(s, attempt_id, now())
            leg.answered = time.monotonic()
            if not (agent_free and self._take(event.call_ref, attempt_id)):
                log.info("attempt %s answered; the agent is busy: waiting", attempt_id)
        elif event.kind == CallEventKind.ENDED:
            del self.legs[event.call_ref]
            if mine:
                if self.audio is not None:
                    self.audio.customer_ended(event.call_ref)
                self._end(attempt_id, event)
            else:
                if leg.answered is not None and leg.apology_until is None:
                    with session_scope(self.sessions) as s:  # hung up while waiting
                        abandon(s, attempt_id, now())
                self._end_leg(attempt_id, event)

    def _end_leg(self, attempt_id: int, event: CallEvent) -> None:
        """A call the agent never had ended: stored and re-queued; the browser hears nothing."""
        with session_scope(self.sessions) as s:
            record_end(s, self.agent_id, attempt_id, event, now())
        self.wake_at = now()

    # -- the agent's phone and the bridge ---------------------------------------------------
    @property
    def instance(self) -> Path:
        return self.config.instance_dir

    def _seat_audio(self, extension: str | None) -> SeatAudio | None:
        if not isinstance(self.backend, CallControl):
            return None
        if extension is None:
            log.warning(
                "agent %s has no SIP extension: calls are placed without audio here", self.agent_id
            )
        return SeatAudio(
            self.backend,  # type: ignore[arg-type]  # a VoiceBackend that is a CallControl
            self._phone_uri(extension) if extension else None,
            self.config.ring_timeout_s,
            on_phone=lambda phone: self._report_phone(),
            on_handover=self._on_handover,
            announcement=recording_notice(self.instance) if self.config.recording else None,
        )

    def _agent_can_hear(self) -> bool:
        """No customer is dialled for an agent whose phone is down."""
        return self.audio is None or self.audio.ready

    def _phone_uri(self, extension: str) -> str:
        """A phone on the PBX: a SIP URI as written, or an extension through the dial plan."""
        if not extension:
            raise CallControlError("no extension to call")
        if extension.startswith("sip:"):
            return extension
        return self.config.sip_dial_uri.format(number=extension)

    def _recording_path(self, attempt_id: int) -> Path | None:
        if not self.config.recording or self.audio is None:
            return None
        return self.instance / RECORDINGS / f"{attempt_id}.wav"

    def _report_phone(self) -> None:
        phone = self.audio.phone if self.audio is not None else Phone.NONE
        self.link.emit(ToWeb.AGENT_PHONE, {"agent_id": self.agent_id, "phone": phone})
        if phone == Phone.CONNECTED and self.call is None and self.wake_at is None:
            self.wake_at = now()  # dial if the agent is ready and was waiting for the phone

    def _report_control(
        self, action: str, *, ok: bool, detail: str | None = None, attempt_id: int | None = None
    ) -> None:
        attempt_id = attempt_id or (self.call[1] if self.call else None)
        self.link.emit(
            ToWeb.CALL_CONTROL,
            {
                "agent_id": self.agent_id,
                "attempt_id": attempt_id,
                "action": action,
                "ok": ok,
                "detail": detail,
            },
        )

    def _on_handover(self, handover: Handover) -> None:
        """The advisor answered (the agent's call ends here) or did not (back to the agent)."""
        if self.call is None or self.call[0] != handover.customer_ref:
            return
        if not handover.ok:
            self._report_control("transfer", ok=False, detail=handover.outcome)
            return
        self._report_control("transfer", ok=True, detail="done")
        self.legs.pop(handover.customer_ref, None)  # the advisor's now (SeatAudio.pairs)
        event = CallEvent(
            CallEventKind.ENDED,
            handover.customer_ref,
            sip_status=handover.sip_status,
            outcome=NetworkOutcome.ANSWERED,
            hung_up_by=HungUpBy.TRANSFER,
        )
        self._end(self.call[1], event)

    def _end(self, attempt_id: int, event: CallEvent) -> None:
        with session_scope(self.sessions) as s:
            answered = record_end(s, self.agent_id, attempt_id, event, now())
        self.call = None
        self.wake_at = now()  # pace: a timed wrap-up may start the next call early
        self.link.emit(
            ToWeb.CALL_ENDED,
            {
                "agent_id": self.agent_id,
                "attempt_id": attempt_id,
                "answered": answered,
                "hung_up_by": event.hung_up_by,
            },
        )


def main(argv: list[str] | None = None) -> int:
    """``python -m dialer.seat_worker --agent ID --sip-port PORT`` (started by the dialer
    supervisor)."""
    parser = argparse.ArgumentParser(prog="huifang-seat-worker")
    parser.add_argument("--agent", type=int, required=True)
    parser.add_argument("--sip-port", type=int, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s seat[{args.agent}] %(message)s")
    from dialer.sip.account import SipSettings
    from dialer.sip.backend import SipBackend

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        config = load_config()
        backend: VoiceBackend
        pooled: PooledCalls | None = None
        if config.telephony == "twilio":
            from dialer.twilio.wiring import pooled_controls, seat_backend

            twilio = seat_backend(config, args.agent)
            backend, pooled = twilio, pooled_controls(config, twilio)
        else:
            settings = SipSettings.for_seat(config, args.sip_port)
            backend = SipBackend(config.sip_host, args.sip_port, config.sip_caller_id, settings)
        SeatWorker(config, args.agent, backend, pooled).run(stop)
    except (ConfigError, DatabaseUnavailable, TelephonyError) as exc:
        print(f"huifang seat worker: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
