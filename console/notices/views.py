"""The notices routes: list one's notices, mark one or all read. Each calls one service."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from console.access import Permission as P
from console.access import can, requires
from console.db import config, transaction, utcnow
from console.labels import COMPLAINT_CATEGORIES, pick
from console.services import notices
from storage.errors import NotFound

bp = Blueprint("notices", __name__, url_prefix="/notices")


class ReadForm(FlaskForm):
    """CSRF only: the notice is in the URL."""


@bp.get("/")
@requires(P.READ_NOTICES)
def index():
    with transaction() as s:
        page = notices.page(s, current_user.id, config().tz)
    categories = pick(COMPLAINT_CATEGORIES, str(get_locale()))
    return render_template("notices/index.html", page=page, form=ReadForm(), categories=categories)


@bp.post("/<int:notice_id>/read")
@requires(P.READ_NOTICES)
def read(notice_id: int):
    if ReadForm().validate_on_submit():
        with transaction() as s:
            notices.mark_read(s, current_user.id, notice_id, utcnow())
    return redirect(url_for(".index"))


@bp.post("/read-all")
@requires(P.READ_NOTICES)
def read_all():
    if ReadForm().validate_on_submit():
        with transaction() as s:
            notices.mark_all_read(s, current_user.id, utcnow())
    return redirect(url_for(".index"))


@bp.errorhandler(NotFound)
def not_found(exc: NotFound):
    return render_template("notices/error.html", message=_(exc.message)), 404


@bp.app_context_processor
def unread_notices() -> dict:
    """The unread count beside the navigation's link (every page of a signed-in user)."""
    if not current_user.is_authenticated or not can(P.READ_NOTICES):
        return {}
    with transaction() as s:
        return {"unread_notices": notices.unread_count(s, current_user.id)}
