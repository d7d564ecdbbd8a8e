"""The settings routes: show a store's settings, save what changed. Each parses its input, calls
one service and renders; a refused value comes back next to its field and nothing is saved."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from console.access import Permission as P
from console.access import requires
from console.db import config, transaction, utcnow
from console.services import settings
from console.settings.forms import SettingsForm, error_text, texts
from storage.errors import DomainError, NotFound
from storage.settings import InvalidSettings

bp = Blueprint("settings", __name__, url_prefix="/settings")


@bp.get("/")
@requires(P.EDIT_SETTINGS)
def edit():
    store_id = request.args.get("store_id", type=int)
    with transaction() as s:
        result = settings.page(s, current_user.id, store_id, config().tz)
    return _page(SettingsForm(store_id=result["store_id"]), result)


@bp.post("/")
@requires(P.EDIT_SETTINGS)
def save():
    form = SettingsForm()
    values, errors = form.values(request.form), {}
    if form.validate_on_submit() and form.store is not None:
        try:
            with transaction() as s:
                changes = settings.save(s, current_user.id, form.store, values, utcnow())
        except InvalidSettings as exc:
            errors = exc.errors
        else:
            n = len(changes)
            flash(ngettext("%(num)s setting saved.", "%(num)s settings saved.", n) if n
                  else _("Nothing was changed."), "success")  # fmt: skip
            return redirect(url_for(".edit", store_id=form.store))
    with transaction() as s:
        result = settings.page(s, current_user.id, form.store, config().tz, values, errors)
    return _page(form, result), 400


def _page(form: SettingsForm, result: dict) -> str:
    return render_template(
        "settings/edit.html", form=form, result=result, texts=texts, error_text=error_text, tr=_
    )


@bp.errorhandler(DomainError)
def refused(exc: DomainError):
    status = {settings.Refused: 403, NotFound: 404}.get(type(exc), 400)
    return render_template("settings/error.html", message=_(exc.message), status=status), status
