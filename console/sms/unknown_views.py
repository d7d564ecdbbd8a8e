"""Messages whose fate is unknown (发送状态不明): a crash left them ``sending`` and the provider
could not tell whether they went out. A supervisor decides each: send again, or count it as
sent. Nothing here is resent without that decision."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from console.access import Permission as P
from console.access import requires
from console.db import config, transaction, utcnow
from console.services import sms
from console.sms.common import error_page
from storage.errors import DomainError

bp = Blueprint("sms_unknown", __name__, url_prefix="/sms/unknown")


@bp.get("/")
@requires(P.APPROVE_CAMPAIGN)
def index():
    with transaction() as s:
        rows = sms.unknown(s, current_user.id)
    return render_template("sms/unknown.html", rows=rows, tz=config().tz)


@bp.post("/<int:outbox_id>")
@requires(P.APPROVE_CAMPAIGN)
def resolve(outbox_id: int):
    resend = request.form.get("decision") == "resend"
    with transaction() as s:
        sms.resolve(s, current_user.id, outbox_id, resend, utcnow())
    flash(
        _("The message will be sent again.") if resend else _("The message counts as sent."),
        "success",
    )
    return redirect(url_for(".index"))


@bp.errorhandler(DomainError)
def refused(exc: DomainError):
    return error_page(exc)
