"""Socket.IO handlers: check who is asking, call one service, let the notifier emit."""

from __future__ import annotations

import hmac
import ipaddress
import logging
from functools import wraps

from flask import Flask, request
from flask_babel import get_locale
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, Namespace, SocketIO, join_room

from console.access import Permission, can
from console.db import config, transaction, utcnow
from console.errors import ack_error
from console.realtime.notifier import (
    AGENT_NS,
    INTERNAL_NS,
    SUPERVISOR_NS,
    SUPERVISORS_ROOM,
    Notifier,
    agent_room,
    notifier,
)
from console.services import call_control, desk, preview
from dialer.events import (
    CALL_TESTS_ROOM,
    DIALERS_ROOM,
    ROLE_CALL_TEST,
    ROLE_DIALER,
    ROLE_SCHEDULER,
    ROLE_SEAT,
    SEATS_ROOM,
    ToSeat,
    seat_room,
)
from storage.codes import AgentState
from storage.errors import N_, DomainError
from storage.models import User

log = logging.getLogger("huifang.web")
OK = {"ok": True}


def _needs(permission: Permission):
    """Checks the permission again on each event, not only on connect: a socket opened before
    the role was taken away, or the user deactivated, reaches no handler."""

    def decorate(handler):
        @wraps(handler)
        def guarded(self, *args):
            if not can(permission):
                return ack_error(DomainError(N_("Please sign in."), code="forbidden"))
            return handler(self, *args)

        guarded.required_permissions = frozenset({permission})
        return guarded

    return decorate


class AgentNamespace(Namespace):
    def on_connect(self, auth=None):
        if not current_user.is_authenticated or not current_user.is_agent:
            raise ConnectionRefusedError("sign in as an agent")
        agent_id = current_user.id
        join_room(agent_room(agent_id))
        with transaction() as s:
            s.get_one(User, agent_id).locale = str(get_locale())
            status = desk.status_of(s, agent_id)
            attempt_id = status.attempt_id if status.state in _POPPED else None
        notifier().agent_state(agent_id, to=request.sid)
        if attempt_id is not None:  # a reload mid-call: show the record and the draft again
            notifier().screen_pop(agent_id, attempt_id, to=request.sid)
        notifier().control_seat(agent_id, ToSeat.REPORT, {})  # how is the agent's phone?

    @_needs(Permission.TAKE_CALLS)
    def on_set_state(self, data=None):  # {"state": "ready" | "paused", "reason": PauseReason}
        data = data if isinstance(data, dict) else {}
        target = data.get("state")
        try:
            with transaction() as s:
                desk.set_state(s, current_user.id, target, utcnow(), data.get("reason"))
        except DomainError as exc:
            return ack_error(exc)
        _after_agent_change(current_user.id, wake=target == AgentState.READY)
        return OK

    @_needs(Permission.TAKE_CALLS)
    def on_hangup(self, data=None):
        notifier().hangup_seat(current_user.id)
        return OK

    @_needs(Permission.TAKE_CALLS)
    def on_hold(self, data=None):
        return _control(ToSeat.HOLD, lambda s: {"hold": call_control.hold_request(s, *_me(data))})

    @_needs(Permission.TAKE_CALLS)
    def on_transfer(self, data=None):
        return _control(
            ToSeat.TRANSFER, lambda s: {"extension": call_control.transfer_request(s, *_me(data))}
        )

    @_needs(Permission.TAKE_CALLS)
    def on_dtmf(self, data=None):
        return _control(ToSeat.DTMF, lambda s: {"digits": call_control.dtmf_request(s, *_me(data))})

    # -- preview dialing: Dial (F9) and Skip on the previewed record --
    @_needs(Permission.TAKE_CALLS)
    def on_dial(self, data=None):
        try:
            with transaction() as s:
                attempt_id = preview.dial(s, current_user.id, utcnow())
        except DomainError as exc:
            return ack_error(exc)
        notifier().control_seat(current_user.id, ToSeat.DIAL, {"attempt_id": attempt_id})
        _after_agent_change(current_user.id, wake=False)
        return OK

    @_needs(Permission.TAKE_CALLS)
    def on_skip(self, data=None):
        try:
            with transaction() as s:
                preview.skip(s, current_user.id, utcnow())
        except DomainError as exc:
            return ack_error(exc)
        _after_agent_change(current_user.id, wake=True)
        return OK

    @_needs(Permission.TAKE_CALLS)
    def on_advisors(self, data=None):
        with transaction() as s:
            return OK | {"advisors": call_control.advisors(s, current_user.id)}

    @_needs(Permission.TAKE_CALLS)
    def on_draft(self, data=None):
        try:
            with transaction() as s:
                desk.save_draft(s, current_user.id, data or {})
        except DomainError as exc:
            return ack_error(exc)
        return OK

    @_needs(Permission.TAKE_CALLS)
    def on_wrap_up(self, data=None):
        try:
            with transaction() as s:
                status = desk.wrap_up(s, current_user.id, data or {}, utcnow())
                ready = desk.status_of(s, current_user.id).state == AgentState.READY
        except DomainError as exc:
            return ack_error(exc)
        _after_agent_change(current_user.id, wake=ready)
        notifier().outcome_recorded(current_user.id, status.attempt_id)  # cases it opened
        return OK | {"outcome_id": status.id}


_POPPED = (AgentState.PREVIEW, AgentState.ON_CALL, AgentState.WRAP_UP)


def _me(data) -> tuple[int, dict]:
    return current_user.id, data if isinstance(data, dict) else {}


def _control(command: ToSeat, check) -> dict:
    """Check the request in a transaction, then hand it to the agent's seat worker, whose
    result arrives later as a ``call_control`` event."""
    try:
        with transaction() as s:
            payload = check(s)
    except DomainError as exc:
        return ack_error(exc)
    notifier().control_seat(current_user.id, command, payload)
    return OK


def _after_agent_change(agent_id: int, *, wake: bool) -> None:
    notifier().agent_changed(agent_id)
    if wake:
        notifier().wake_seat(agent_id)


class SupervisorNamespace(Namespace):
    def on_connect(self, auth=None):
        if not current_user.is_authenticated or not current_user.is_supervisor:
            raise ConnectionRefusedError("sign in as a supervisor")
        join_room(SUPERVISORS_ROOM)
        notifier().stats(to=request.sid)


class InternalNamespace(Namespace):
    """Huifang's own processes: authenticated by the service token, from a private network.
    Handler names follow ``dialer.events.ToWeb``."""

    def on_connect(self, auth=None):
        auth = auth or {}
        if not _private(request.remote_addr) or not hmac.compare_digest(
            str(auth.get("token", "")), config().internal_token
        ):
            log.warning("refused an /internal connection from %s", request.remote_addr)
            raise ConnectionRefusedError("not allowed")
        role = auth.get("role")
        if role == ROLE_SEAT:
            join_room(seat_room(int(auth["agent_id"])))
            join_room(SEATS_ROOM)
        elif role == ROLE_DIALER:
            join_room(DIALERS_ROOM)
            notifier().seats(to=request.sid)
        elif role == ROLE_CALL_TEST:
            join_room(CALL_TESTS_ROOM)
        elif role != ROLE_SCHEDULER:
            raise ConnectionRefusedError("unknown role")

    def on_agent_changed(self, data):
        notifier().agent_changed(int(data["agent_id"]))

    def on_call_ringing(self, data):
        agent_id = int(data["agent_id"])
        attempt_id = int(data["attempt_id"])
        notifier().ringing(agent_id, attempt_id)
        notifier().agent_changed(agent_id)
        notifier().prepare_soon(agent_id, attempt_id)  # ready for the answer (prepared.py)

    def on_call_answered(self, data):
        agent_id = int(data["agent_id"])
        notifier().answered(agent_id, int(data["attempt_id"]))
        notifier().agent_changed(agent_id)

    def on_call_preview(self, data):  # preview dialing: the record before the Dial
        agent_id = int(data["agent_id"])
        notifier().screen_pop(agent_id, int(data["attempt_id"]))
        notifier().agent_changed(agent_id)

    def on_call_ended(self, data):
        agent_id = int(data["agent_id"])
        notifier().call_ended(agent_id, int(data["attempt_id"]), data.get("hung_up_by"))
        notifier().agent_changed(agent_id)

    def on_agent_phone(self, data):
        notifier().agent_phone(int(data["agent_id"]), str(data.get("phone")))

    def on_call_control(self, data):
        notifier().call_control(int(data["agent_id"]), data)

    def on_tasks_planned(self, data):
        notifier().wake_all_seats()
        notifier().stats_soon()


def _private(addr: str | None) -> bool:
    try:
        ip = ipaddress.ip_address(addr or "")
    except ValueError:
        return False
    return ip.is_loopback or ip.is_private


def register_namespaces(app: Flask, socketio: SocketIO) -> None:
    cfg = app.config["HUIFANG"]
    app.extensions["huifang.notifier"] = Notifier(
        socketio, app.extensions["huifang.sessions"], cfg.tz, cfg.telephony
    )
    socketio.on_namespace(AgentNamespace(AGENT_NS))
    socketio.on_namespace(SupervisorNamespace(SUPERVISOR_NS))
    socketio.on_namespace(InternalNamespace(INTERNAL_NS))
