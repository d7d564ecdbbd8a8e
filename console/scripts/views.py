"""The scripts routes: the store's scripts, one script's editor with its history, an old
version, saving an edit as a new version. Each parses its input, calls one service, renders."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from console.access import Permission as P
from console.access import requires
from console.db import config, transaction, utcnow
from console.labels import ANSWER_KINDS, CUSTOMER_KINDS, TASK_TYPES, pick
from console.script_content import FIELDS, LANGS, TEXT_STEPS
from console.scripts.forms import BLANK_ROWS, ScriptForm, posted_content, row_field
from console.services import script_editor
from console.services.scripts import NothingChanged
from storage.errors import DomainError, InvalidInput, NotFound

bp = Blueprint("scripts", __name__, url_prefix="/scripts")


@bp.get("/")
@requires(P.EDIT_SCRIPTS)
def index():
    with transaction() as s:
        result = script_editor.overview(
            s, current_user.id, request.args.get("store_id", type=int), config().tz
        )
    return render_template("scripts/index.html", result=result, **_labels())


@bp.get("/<task_type>/<kind>")
@requires(P.EDIT_SCRIPTS)
def edit(task_type: str, kind: str):
    store_id = request.args.get("store_id", type=int)
    start = request.args.get("from", type=int)
    with transaction() as s:
        result = script_editor.editor(
            s, current_user.id, store_id, task_type, kind, config().tz, start
        )
    return _editor(ScriptForm(store_id=result["store_id"]), result)


@bp.post("/<task_type>/<kind>")
@requires(P.EDIT_SCRIPTS)
def save(task_type: str, kind: str):
    form = ScriptForm()
    content, rows = posted_content(request.form)
    if not form.validate_on_submit():
        return _refused(
            form, task_type, kind, content, _("The form expired. Reload the page and try again.")
        )
    try:
        with transaction() as s:
            version = script_editor.save(
                s, current_user.id, form.store, task_type, kind, content,
                form.note.data or "", utcnow(),
            )  # fmt: skip
    except NothingChanged:
        flash(_("Nothing was changed."), "info")
        return redirect(url_for(".edit", task_type=task_type, kind=kind, store_id=form.store))
    except InvalidInput as exc:
        field = row_field(str(exc.details.get("field", "")), rows)
        return _refused(form, task_type, kind, content, _(exc.message, **_params(exc)), field)
    flash(_("Saved as version %(number)s.", number=version.number), "success")
    return redirect(url_for(".edit", task_type=task_type, kind=kind, store_id=form.store))


@bp.get("/versions/<int:version_id>")
@requires(P.EDIT_SCRIPTS)
def version(version_id: int):
    with transaction() as s:
        result = script_editor.version_page(s, current_user.id, version_id, config().tz)
    return render_template("scripts/version.html", result=result, **_labels())


def _refused(form, task_type, kind, content, message, field=""):
    with transaction() as s:
        result = script_editor.editor(s, current_user.id, form.store, task_type, kind, config().tz)
    result["content"] = content
    return _editor(form, result, message, field), 400


def _editor(form: ScriptForm, result: dict, error: str = "", error_field: str = "") -> str:
    return render_template(
        "scripts/edit.html", form=form, result=result, error=error, error_field=error_field,
        steps=TEXT_STEPS, langs=LANGS, fields=FIELDS, blank_rows=BLANK_ROWS, **_labels(),
    )  # fmt: skip


def _labels() -> dict:
    locale = str(get_locale())
    return {
        "task_types": pick(TASK_TYPES, locale),
        "kinds": pick(CUSTOMER_KINDS, locale),
        "answer_kinds": pick(ANSWER_KINDS, locale),
    }


def _params(exc: DomainError) -> dict:
    return {k: v for k, v in exc.details.items() if isinstance(v, str | int)}


@bp.errorhandler(DomainError)
def refused(exc: DomainError):
    status = {script_editor.Refused: 403, NotFound: 404}.get(type(exc), 400)
    return render_template("scripts/error.html", message=_(exc.message), status=status), status
