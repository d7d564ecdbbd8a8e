"""Campaigns (短信活动): the list, the builder (a template, a saved segment or an uploaded list
of numbers, a send time), the campaign's page (what customers will read, the audience, the
rejected lines of the list, the report), approval by a supervisor, cancelling, and the report's
export (its figures and its recipients) as CSV or XLSX."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from console.access import Permission as P
from console.access import can, requires
from console.db import config, transaction, utcnow
from console.services import sms, sms_export
from console.sms.common import LABELS, error_page, label
from storage.errors import DomainError, InvalidInput
from storage.sms.codes import REASON_LABELS, STATE_LABELS

bp = Blueprint("sms_campaigns", __name__, url_prefix="/sms/campaigns")
MAX_LIST_BYTES = 10 * 1024 * 1024


@bp.get("/")
@requires(P.SEND_SMS, P.APPROVE_CAMPAIGN)
def index():
    with transaction() as s:
        campaigns = sms.campaign_list(s, current_user.id)
        context = sms.builder(s, current_user.id)
    return _list(campaigns, context, request.args.to_dict())


@bp.post("/")
@requires(P.SEND_SMS)
def create():
    upload = None
    file = request.files.get("file")
    if file and file.filename:
        data = file.read(MAX_LIST_BYTES + 1)
        upload = (file.filename, sms.read_list(file.filename, data[:MAX_LIST_BYTES]))
    try:
        with transaction() as s:
            campaign = sms.create_campaign(
                s, current_user.id, request.form.to_dict(), upload, config().tz, utcnow()
            )
            campaign_id = campaign.id
    except InvalidInput as exc:
        with transaction() as s:
            campaigns = sms.campaign_list(s, current_user.id)
            context = sms.builder(s, current_user.id)
        error = _(exc.message, **{k: str(v) for k, v in exc.details.items()})
        return _list(
            campaigns, context, request.form.to_dict(), error, exc.details.get("field")
        ), 400
    flash(_("Draft saved. A supervisor approves it before it goes out."), "success")
    return redirect(url_for(".show", campaign_id=campaign_id))


@bp.get("/<int:campaign_id>")
@requires(P.SEND_SMS, P.APPROVE_CAMPAIGN)
def show(campaign_id: int):
    with transaction() as s:
        result = sms.detail(s, current_user.id, campaign_id, utcnow())
    return render_template(
        "sms/campaign.html", r=result, labels=LABELS, label=label,
        may_approve=can(P.APPROVE_CAMPAIGN), may_send=can(P.SEND_SMS), tz=config().tz,
    )  # fmt: skip


@bp.post("/<int:campaign_id>/approve")
@requires(P.APPROVE_CAMPAIGN)
def approve(campaign_id: int):
    with transaction() as s:
        counts = sms.approve(s, current_user.id, campaign_id, utcnow(), config().tz)
    queued = counts.get("queued", 0)
    flash(_("Approved: %(queued)s messages will go out, %(excluded)s customers are excluded.",
            queued=queued, excluded=sum(counts.values()) - queued), "success")  # fmt: skip
    return redirect(url_for(".show", campaign_id=campaign_id))


@bp.post("/<int:campaign_id>/cancel")
@requires(P.APPROVE_CAMPAIGN)
def cancel(campaign_id: int):
    with transaction() as s:
        dropped = sms.cancel(s, current_user.id, campaign_id, utcnow())
    flash(_("Cancelled: %(num)s queued messages will not go out.", num=dropped), "success")
    return redirect(url_for(".show", campaign_id=campaign_id))


@bp.get("/<int:campaign_id>/export")
@requires(P.SEND_SMS, P.APPROVE_CAMPAIGN)
def export(campaign_id: int):
    fmt = "xlsx" if request.args.get("format") == "xlsx" else "csv"
    header = [
        _("Customer"),
        _("Phone"),
        _("State"),
        _("Reason"),
        _("Parts"),
        _("Sent at"),
        _("Provider id"),
    ]
    texts = {k: _(v) for k, v in {**STATE_LABELS, **REASON_LABELS}.items()}
    labels = {k: _(v) for k, v in sms_export.FIGURE_LABELS.items()}
    with transaction() as s:
        data, name, mimetype = sms_export.export(
            s, current_user.id, campaign_id, fmt, header, texts, labels, config().tz
        )
    return Response(
        data, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={name}"}
    )


def _list(campaigns, context, values, error=None, error_field=None):
    return render_template(
        "sms/campaigns.html", campaigns=campaigns, c=context, values=values, error=error,
        error_field=error_field, labels=LABELS, label=label, may_send=can(P.SEND_SMS),
    )  # fmt: skip


@bp.errorhandler(DomainError)
def refused(exc: DomainError):
    return error_page(exc)
