"""The import screen: upload -> check (nothing saved, the problems listed) -> confirm -> result,
with the rejected rows to download. Each route parses its input and calls one service."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from console.access import Permission as P
from console.access import requires
from console.db import config, transaction, utcnow
from console.imports.forms import ConfirmForm, UploadForm
from console.services import imports
from console.services.archive import store_names
from storage.archive.scope import store_ids_of
from storage.errors import N_, DomainError, InvalidInput, NotFound

bp = Blueprint("imports", __name__, url_prefix="/archive/import")
SHOWN_PROBLEMS = 500


def _folder():
    return config().instance_dir / "uploads"


@bp.route("/", methods=["GET", "POST"])
@requires(P.IMPORT_ARCHIVE)
def upload():
    form = UploadForm()
    with transaction() as s:
        stores = store_names(s, store_ids_of(s, current_user.id))
        batches = imports.recent_batches(s, tuple(stores), config().tz)
    form.store_id.choices = list(stores.items())
    if request.method == "GET" or not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("imports/upload.html", form=form, batches=batches), status
    try:
        with transaction() as s:
            store = imports.importable_store(s, tuple(stores), form.store_id.data)
        saved = imports.save_upload(_folder(), form.file.data.filename, form.file.data.stream)
    except InvalidInput as exc:
        form.file.errors = [*form.file.errors, _(exc.message)]
        return render_template("imports/upload.html", form=form, batches=batches), 400
    as_of = _modified(form.modified.data)
    return _check(saved, store.id, form.kind.data, as_of)


def _check(saved: imports.Upload, store_id: int, kind: str, as_of: datetime):
    """The dry run, shown as the preview; a file that cannot be read at all is discarded."""
    try:
        with transaction() as s:
            store = imports.importable_store(s, _my_stores(s), store_id)
            store_name = store.name  # the dry run's rollback expires the store
            report = imports.check(s, store, saved, kind, as_of)
    except InvalidInput as exc:
        imports.discard(saved)
        flash(_(exc.message) if exc.code != "unreadable_file" else exc.message, "danger")
        return redirect(url_for(".upload"))
    confirm = ConfirmForm(store_id=store_id, kind=kind, as_of=as_of.isoformat())
    return render_template(
        "imports/preview.html",
        upload=saved,
        report=report,
        store_name=store_name,
        as_of=as_of.astimezone(config().tz),
        form=confirm,
        shown=SHOWN_PROBLEMS,
    )


@bp.post("/<token>/confirm")
@requires(P.IMPORT_ARCHIVE)
def confirm(token: str):
    form = ConfirmForm()
    saved = imports.find_upload(_folder(), token)
    if imports.kept_report(saved) is not None:  # confirmed already (a second click, a resend)
        return redirect(url_for(".result", token=token))
    if not form.validate_on_submit():
        flash(_("The form expired; check the file again."), "warning")
        return redirect(url_for(".upload"))
    as_of = datetime.fromisoformat(form.as_of.data)
    with transaction() as s:
        store = imports.importable_store(s, _my_stores(s), int(form.store_id.data))
        report = imports.confirm(s, store, saved, form.kind.data, as_of, current_user.id)
    imports.keep_report(saved, report, as_of)
    return redirect(url_for(".result", token=token))


@bp.post("/<token>/discard")
@requires(P.IMPORT_ARCHIVE)
def discard(token: str):
    if ConfirmForm().validate_on_submit():
        imports.discard(imports.find_upload(_folder(), token))
        flash(_("Nothing was imported; the file was discarded."), "secondary")
    return redirect(url_for(".upload"))


@bp.get("/<token>")
@requires(P.IMPORT_ARCHIVE)
def result(token: str):
    saved = imports.find_upload(_folder(), token)
    report = imports.kept_report(saved)
    if report is None:
        raise NotFound(N_("This file was checked but not imported."), code="not_imported")
    return render_template("imports/result.html", upload=saved, report=report, shown=SHOWN_PROBLEMS)


@bp.get("/<token>/rejects")
@requires(P.IMPORT_ARCHIVE)
def rejects(token: str):
    path = imports.find_upload(_folder(), token).rejects
    if path is None:
        raise NotFound(N_("No row of this file was rejected."), code="no_rejects")
    return send_file(path, as_attachment=True, download_name=path.name, max_age=0)


def _my_stores(s) -> tuple[int, ...]:
    return store_ids_of(s, current_user.id)


def _modified(millis: str | None) -> datetime:
    """When the DMS exported the file, as the browser read it; never later than now."""
    now = utcnow()
    try:
        moment = datetime.fromtimestamp(int(millis or "") / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        return now
    return min(moment, now)


@bp.errorhandler(DomainError)
def refused(exc: DomainError):
    status = 404 if isinstance(exc, NotFound) else 400
    return render_template("archive/error.html", message=_(exc.message), status=status), status
