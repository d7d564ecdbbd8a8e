"""Twilio's webhooks and the agent's Voice SDK token. The webhooks carry no session: each is
checked against Twilio's signature over our public URL (403 otherwise) and is exempt from CSRF;
the logic is in dialer/twilio/webhooks.py, and for a store's pooled calls (the queue and the
agents' legs) in dialer/twilio/queue.py, their hold in dialer/twilio/hold.py. Outside Twilio
mode every route here is a 404."""

from __future__ import annotations

import logging
from functools import wraps

from flask import Blueprint, Response, abort, jsonify, request
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from console import csrf
from console.access import Permission, requires
from console.db import config, transaction, utcnow
from console.realtime.notifier import notifier
from dialer.twilio import hold, queue, webhooks
from dialer.twilio.status import StatusReport
from dialer.twilio.tokens import TokensUnavailable, agent_identity, voice_token
from storage.config import TwilioSettings

bp = Blueprint("twilio", __name__, url_prefix="/twilio")
log = logging.getLogger("huifang.web")


def _settings() -> TwilioSettings:
    settings = config().twilio
    if settings is None:
        abort(404)
    return settings


def signed_by_twilio(view):
    """403 unless X-Twilio-Signature is Twilio's, for the URL as Twilio called it."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        settings = _settings()
        url = webhooks.signed_url(
            settings.public_base_url, request.path, request.query_string.decode()
        )
        signature = request.headers.get(webhooks.SIGNATURE_HEADER)
        if not webhooks.is_signed(settings.auth_token, url, request.form, signature):
            log.warning("refused a Twilio webhook without a valid signature for %s", url)
            abort(403)
        return view(*args, **kwargs)

    wrapper.signed_by_carrier = True  # read by tests/test_authorization.py
    return csrf.exempt(wrapper)


@bp.post("/voice/answer")
@signed_by_twilio
def voice_answer():
    report = StatusReport.from_form(request.form)
    with transaction() as s:
        twiml, forward = webhooks.answer(s, _settings(), _attempt_id(), report, utcnow())
    _send(forward)
    return _twiml(twiml)


@bp.post("/voice/status")
@signed_by_twilio
def voice_status():
    report = StatusReport.from_form(request.form)
    try:
        with transaction() as s:
            forward = webhooks.record_status(
                s, report, _attempt_id(), request.form.to_dict(), utcnow()
            )
    except IntegrityError:  # the same callback, delivered twice at the same instant
        forward = None
    _send(forward)
    return "", 204


@bp.get("/token")
@requires(Permission.TAKE_CALLS)
def token():
    try:
        jwt = voice_token(_settings(), current_user.id)
    except TokensUnavailable:
        abort(404)  # the agents use their own phones (HUIFANG_TWILIO_AGENT_LEG=phone)
    return jsonify(token=jwt, identity=agent_identity(current_user.id))


# ---------- a store's pooled calls: the queue, and the agents' legs that take from it ----------


@bp.post("/queue/wait")
@signed_by_twilio
def queue_wait():
    turn = request.args.get("turn", 0, type=int)
    with transaction() as s:
        twiml = queue.wait(s, _settings(), _required("attempt"), turn, utcnow())
    return _twiml(twiml)


@bp.post("/queue/left")
@signed_by_twilio
def queue_left():
    result = request.form.get("QueueResult", "")
    with transaction() as s:
        twiml = queue.left(s, _required("attempt"), result, utcnow())
    return _twiml(twiml)


@bp.post("/queue/agent")
@signed_by_twilio
def queue_agent():
    with transaction() as s:
        twiml = queue.agent_twiml(s, _settings(), _required("agent"), _required("store"))
    return _twiml(twiml)


@bp.post("/queue/bridge")
@signed_by_twilio
def queue_bridge():
    caller = request.form.get("CallSid", "")
    try:
        with transaction() as s:
            agent_leg = request.form.get("DequeingCallSid", "")  # (sic: Twilio's spelling)
            news = queue.bridge(s, _required("agent"), caller, utcnow(), agent_leg)
    except IntegrityError:  # the same request twice at the same instant
        news = None
    _send(news)
    return _twiml(str(queue.VoiceResponse()))  # nothing to say: connect them at once


@bp.post("/queue/agent-status")
@signed_by_twilio
def queue_agent_status():
    report = StatusReport.from_form(request.form)
    try:
        with transaction() as s:
            news = queue.agent_leg_status(
                s, _required("agent"), report, request.form.to_dict(), utcnow()
            )
    except IntegrityError:
        news = None
    _send(news)
    return "", 204


@bp.post("/queue/after")
@signed_by_twilio
def queue_after():
    turn = request.args.get("turn", 0, type=int)
    with transaction() as s:
        twiml = hold.after_twiml(s, _settings(), _required("agent"), turn)
    return _twiml(twiml)


# ---------- hold on a pooled call: the caller in a queue of their own, then taken back ----------


@bp.post("/queue/hold")
@signed_by_twilio
def queue_hold():
    with transaction() as s:
        twiml = hold.hold_twiml(s, _settings(), _required("attempt"))
    return _twiml(twiml)


@bp.post("/queue/hold-wait")
@signed_by_twilio
def queue_hold_wait():
    turn = request.args.get("turn", 0, type=int)
    with transaction() as s:
        twiml = hold.hold_wait(s, _settings(), _required("attempt"), turn)
    return _twiml(twiml)


@bp.post("/queue/resume")
@signed_by_twilio
def queue_resume():
    with transaction() as s:
        twiml = hold.resume_twiml(s, _settings(), _required("agent"), _required("attempt"))
    return _twiml(twiml)


def _attempt_id() -> int | None:
    return request.args.get("attempt", type=int)


def _required(name: str) -> int:
    value = request.args.get(name, type=int)
    if value is None:
        abort(400)
    return value


def _twiml(twiml: str) -> Response:
    return Response(twiml, mimetype="text/xml")


def _send(news: webhooks.Forward | queue.AgentNews | None) -> None:
    """Forward a callback to the process that placed the call, or tell a pooled call's agent."""
    if isinstance(news, webhooks.Forward):
        notifier().carrier_status(news.agent_id, news.report.as_payload())
    elif news is not None:
        if news.say == queue.Say.SCREEN_POP and news.attempt_id is not None:
            notifier().screen_pop(news.agent_id, news.attempt_id)
        elif news.say == queue.Say.CALL_ENDED and news.attempt_id is not None:
            notifier().call_ended(news.agent_id, news.attempt_id, news.hung_up_by)
        notifier().agent_changed(news.agent_id)
