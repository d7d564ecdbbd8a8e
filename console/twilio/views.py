"""Twilio's webhooks and the agent's Voice SDK token. The webhooks carry no session: each is
checked against Twilio's signature over our public URL (403 otherwise) and is exempt from CSRF;
the logic is in dialer/twilio/webhooks.py. Outside Twilio mode every route here is a 404."""

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
from dialer.twilio import webhooks
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
        twiml, forward = webhooks.answer(s, _settings(), _attempt_id(), report)
    _send(forward)
    return Response(twiml, mimetype="text/xml")


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


def _attempt_id() -> int | None:
    return request.args.get("attempt", type=int)


def _send(forward: webhooks.Forward | None) -> None:
    if forward is not None:
        notifier().carrier_status(forward.agent_id, forward.report.as_payload())
