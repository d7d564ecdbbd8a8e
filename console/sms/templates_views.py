"""Message templates (短信模板): the list, the editor with a live preview and part counter (the
preview asks the server, which renders a sample customer and counts the parts with the store's
signature and, for marketing, the opt-out line), and a template's versions, read-only."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from console.access import Permission as P
from console.access import requires
from console.db import config, transaction, utcnow
from console.services import sms, sms_versions
from console.sms.common import LABELS, error_page, label
from storage.errors import DomainError, InvalidInput
from storage.sms.render import FIELDS

bp = Blueprint("sms_templates", __name__, url_prefix="/sms/templates")


@bp.get("/")
@requires(P.SEND_SMS)
def index():
    template_id = request.args.get("id", type=int)
    with transaction() as s:
        templates = sms.template_list(s, current_user.id)
        current = sms.template_of(s, current_user.id, template_id) if template_id else None
        stores = sms.stores(s, current_user.id)
    return _page(templates, current, stores, request.args.to_dict() if not current else None)


@bp.post("/")
@requires(P.SEND_SMS)
def save():
    template_id = request.form.get("id", type=int)
    try:
        with transaction() as s:
            saved = sms_versions.save(
                s, current_user.id, template_id, request.form.to_dict(), utcnow()
            )
            saved_id, version = saved.id, saved.version
    except InvalidInput as exc:
        with transaction() as s:
            templates = sms.template_list(s, current_user.id)
            current = sms.template_of(s, current_user.id, template_id) if template_id else None
            stores = sms.stores(s, current_user.id)
        error = _(exc.message, **{k: str(v) for k, v in exc.details.items()})
        return _page(
            templates, current, stores, request.form.to_dict(), error, exc.details.get("field")
        ), 400
    flash(_("Template saved (version %(version)s).", version=version), "success")
    return redirect(url_for(".index", id=saved_id))


@bp.get("/<int:template_id>/versions")
@requires(P.SEND_SMS)
def versions(template_id: int):
    with transaction() as s:
        result = sms_versions.history(s, current_user.id, template_id)
    return render_template(
        "sms/versions.html", r=result, labels=LABELS, label=label, tz=config().tz
    )


@bp.post("/preview")
@requires(P.SEND_SMS)
def preview():
    form = request.form
    with transaction() as s:
        result = sms.preview(
            s, current_user.id, form.get("store_id", type=int), form.get("body", ""),
            form.get("kind", ""), form.get("language", "zh_Hans"),
        )  # fmt: skip
    if not result["ok"]:
        result["error"] = _(result["error"], **{k: str(v) for k, v in result["details"].items()})
    return jsonify(result)


def _page(templates, current, stores, values, error=None, error_field=None):
    return render_template(
        "sms/templates.html", templates=templates, current=current, stores=stores,
        values=values or {}, error=error, error_field=error_field, labels=LABELS, label=label,
        fields=FIELDS,
    )  # fmt: skip


@bp.errorhandler(DomainError)
def refused(exc: DomainError):
    return error_page(exc)
