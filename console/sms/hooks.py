"""The SMS provider's webhooks: delivery reports and replies. No session: each request is
checked against the provider's signature over our public URL (403 otherwise), exempt from
CSRF, and handled idempotently (the provider may deliver one twice). 404 while SMS are off."""

from __future__ import annotations

import logging
from functools import wraps

from flask import Blueprint, Response, abort, request
from sqlalchemy.exc import IntegrityError

from console import csrf
from console.db import config, transaction, utcnow
from console.services import sms_hooks
from dialer.sms.gateway import SmsGateway
from dialer.sms.wiring import gateway_for

bp = Blueprint("sms_hooks", __name__, url_prefix="/sms/hooks")
log = logging.getLogger("huifang.web")
SIGNATURE_HEADER = "X-Twilio-Signature"


def _gateway() -> SmsGateway:
    from flask import current_app

    gateway = current_app.extensions.get("huifang.sms_gateway")
    if gateway is None:
        gateway = gateway_for(config())
        if gateway is None:
            abort(404)
        current_app.extensions["huifang.sms_gateway"] = gateway
    return gateway


def signed_by_provider(view):
    """403 unless the request carries the provider's signature for the URL it called."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        sms = config().sms
        gateway = _gateway()
        query = request.query_string.decode()
        url = f"{sms.public_base_url if sms else ''}{request.path}" + (f"?{query}" if query else "")
        if not gateway.signature_ok(url, request.form, request.headers.get(SIGNATURE_HEADER, "")):
            log.warning("refused an SMS webhook without a valid signature for %s", url)
            abort(403)
        return view(*args, **kwargs)

    wrapper.signed_by_carrier = True  # read by tests/test_authorization.py
    return csrf.exempt(wrapper)


@bp.post("/status")
@signed_by_provider
def status():
    try:
        with transaction() as s:
            sms_hooks.delivery_report(s, _gateway(), request.form, request.args, utcnow())
    except IntegrityError:  # the same report twice at the same instant: kept once already
        pass
    return "", 204


@bp.post("/inbound")
@signed_by_provider
def inbound():
    try:
        with transaction() as s:
            received = sms_hooks.reply(s, _gateway(), request.form, utcnow())
    except IntegrityError:  # the same reply twice at the same instant
        received = None
    body, mimetype = _gateway().answer(received.acknowledgement if received else None)
    return Response(body, mimetype=mimetype)
