"""The calendar routes: show the two years, save an override, remove one. Each parses its input,
calls one service and renders; a refused value comes back next to its field, nothing saved."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from console.access import Permission as P
from console.access import requires
from console.calendar.forms import OverrideForm, RemoveForm
from console.db import config, transaction, utcnow
from console.services import calendar
from storage.errors import DomainError, NotFound

bp = Blueprint("calendar", __name__, url_prefix="/calendar")


@bp.get("/")
@requires(P.EDIT_CALENDAR)
def index():
    return _page(OverrideForm(formdata=None))


@bp.post("/")
@requires(P.EDIT_CALENDAR)
def save():
    form = OverrideForm()
    if not form.validate_on_submit():
        return _page(form, expired=True), 400
    try:
        with transaction() as s:
            changed = calendar.save_override(
                s, current_user.id, form.day.data or "", form.kind.data or "",
                form.name.data or "", _today(), utcnow(),
            )  # fmt: skip
    except DomainError as exc:
        return _page(form, error=exc), 400
    flash(_("Saved.") if changed else _("Nothing was changed."), "success")
    return redirect(url_for(".index"))


@bp.post("/remove")
@requires(P.EDIT_CALENDAR)
def remove():
    form = RemoveForm()
    if not form.validate_on_submit():
        return _page(OverrideForm(formdata=None), expired=True), 400
    try:
        with transaction() as s:
            calendar.remove_override(s, current_user.id, form.day.data or "", utcnow())
    except DomainError as exc:
        status = 404 if isinstance(exc, NotFound) else 400
        return _page(OverrideForm(formdata=None), error=exc), status
    flash(_("Entry removed: the day is as the built-in calendar has it again."), "success")
    return redirect(url_for(".index"))


def _today() -> date:
    return utcnow().astimezone(config().tz).date()


def _page(form: OverrideForm, error: DomainError | None = None, expired: bool = False) -> str:
    with transaction() as s:
        result = calendar.page(s, _today(), config().tz)
    field = str(error.details.get("field") or "") if error else ""
    message = _(error.message) if error else ""
    return render_template(
        "calendar/index.html", form=form, remove_form=RemoveForm(formdata=None), result=result,
        error_field=field, error=message, expired=expired,
    )  # fmt: skip
