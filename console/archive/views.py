"""The archive's routes: each parses its input, calls one service and renders. Domain errors
become pages with the status they deserve (403 refused, 404 unknown, 400 bad input)."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from console.access import Permission as P
from console.access import requires
from console.archive.forms import CustomerForm
from console.archive.segment_form import SegmentForm
from console.db import config, transaction, utcnow
from console.labels import (
    CONVERSATION_OUTCOMES,
    NETWORK_OUTCOMES,
    REPAIR_TYPES,
    SATISFACTION,
    TASK_TYPES,
    pick,
)
from console.services import (
    archive,
    archive_audit,
    archive_edit,
    archive_export,
    archive_quality,
    archive_segments,
)
from console.services.archive_record import record
from storage.errors import DomainError, InvalidInput, NotFound

bp = Blueprint("archive", __name__, url_prefix="/archive")


def _access(session) -> archive.Access:
    return archive.access_for(session, current_user.id, current_user.permissions, utcnow())


@bp.get("/")
@requires(P.VIEW_ARCHIVE, P.TAKE_CALLS)
def search():
    with transaction() as s:
        result = archive.search(s, _access(s), request.args.get("q", ""), config().tz)
    return render_template("archive/search.html", result=result)


@bp.get("/customers/<int:customer_id>")
@requires(P.VIEW_ARCHIVE, P.TAKE_CALLS)
def customer(customer_id: int):
    with transaction() as s:
        rec = record(s, _access(s), customer_id)
    return render_template("archive/customer.html", rec=rec, labels=_labels())


@bp.route("/customers/<int:customer_id>/edit", methods=["GET", "POST"])
@requires(P.EDIT_ARCHIVE)
def edit(customer_id: int):
    form = CustomerForm()
    if request.method == "GET":
        with transaction() as s:
            form.fill(archive_edit.editable(s, _access(s), customer_id))
        return _edit_page(form, customer_id)
    if form.validate_on_submit():
        try:
            with transaction() as s:
                changed = archive_edit.apply_edit(s, _access(s), customer_id, form.edit(), utcnow())
        except InvalidInput as exc:
            if not form.show_error(str(exc.details.get("field") or ""), _(exc.message)):
                flash(_(exc.message), "danger")
        except archive_edit.Stale as exc:
            flash(_(exc.message), "warning")
        else:
            flash(_("Saved.") if changed else _("Nothing was changed."), "success")
            return redirect(url_for(".customer", customer_id=customer_id))
    return _edit_page(form, customer_id), 400


def _edit_page(form: CustomerForm, customer_id: int) -> str:
    return render_template("archive/edit.html", form=form, customer_id=customer_id)


@bp.get("/export")
@requires(P.EXPORT_ARCHIVE)
def export():
    texts = {
        "header": _("No.|Name|Private or company|Phones|Plates|VINs|Models|City|Store|Last visit"),
        "private": _("Private"),
        "company": _("Company"),
        "wrong": _("Wrong number"),
        "empty": _("Empty number"),
    }
    fmt, text = request.args.get("format", "csv"), request.args.get("q", "")
    with transaction() as s:
        out = archive_export.export(s, _access(s), text, fmt, texts, config().tz, utcnow())
    return Response(
        out.content,
        mimetype=out.mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{out.filename}"',
            "Cache-Control": "no-store",
        },
    )


@bp.get("/audit")
@requires(P.VIEW_AUDIT)
def audit():
    action, page = request.args.get("action") or None, request.args.get("page", 1, type=int)
    with transaction() as s:
        result = archive_audit.audit_page(s, _access(s), action, page or 1, config().tz)
    return render_template("archive/audit.html", result=result)


@bp.get("/quality")
@requires(P.VIEW_ARCHIVE)
def quality():
    problem, page = request.args.get("problem") or None, request.args.get("page", 1, type=int)
    with transaction() as s:
        result = archive_quality.quality(s, _access(s), problem, page or 1)
    return render_template("archive/quality.html", result=result)


@bp.get("/segments")
@requires(P.VIEW_ARCHIVE)
def segments():
    with transaction() as s:
        result = archive_segments.listing(s, _access(s), config().tz)
    return render_template("archive/segments.html", result=result)


@bp.get("/segments/<int:segment_id>")
@requires(P.VIEW_ARCHIVE)
def segment(segment_id: int):
    with transaction() as s:
        result = archive_segments.page(s, _access(s), segment_id, utcnow(), config().tz)
    return render_template("archive/segment.html", result=result)


@bp.route("/segments/new", methods=["GET", "POST"])
@bp.route("/segments/<int:segment_id>/edit", methods=["GET", "POST"])
@requires(P.EDIT_ARCHIVE)
def segment_builder(segment_id: int | None = None):
    """Build a filter, preview who it selects (the default button), save it by name."""
    form = SegmentForm()
    store_id = request.values.get("store_id", type=int)
    with transaction() as s:
        access = _access(s)
        if request.method == "GET" and segment_id is not None:
            saved = archive_segments.saved(s, access, segment_id)
            form.fill(saved["name"], saved["store_id"], saved["filters"])
            store_id = saved["store_id"]
        choices = archive_segments.builder(s, access, store_id)
    form.offer(choices)
    if request.method == "GET":
        form.store_id.data = choices["store_id"]
        return _builder_page(form, segment_id, None)
    f = form.filter() if form.validate_on_submit() else None
    if f is None:
        return _builder_page(form, segment_id, None), 400
    try:
        with transaction() as s:
            if request.form.get("step") != "save":
                found = archive_segments.preview(
                    s, _access(s), form.store_id.data, f, utcnow(), config().tz
                )
                return _builder_page(form, segment_id, found)
            saved_id = archive_segments.save(
                s, _access(s), segment_id, form.name.data.strip(), form.store_id.data, f, utcnow()
            )
    except InvalidInput as exc:
        form.name.errors = [*form.name.errors, _(exc.message)]
        return _builder_page(form, segment_id, None), 400
    flash(_("Segment saved."), "success")
    return redirect(url_for(".segment", segment_id=saved_id))


def _builder_page(form: SegmentForm, segment_id: int | None, found: dict | None) -> str:
    return render_template(
        "archive/segment_builder.html", form=form, segment_id=segment_id, found=found
    )


def _labels() -> dict:
    locale = str(get_locale())
    return {
        "network": pick(NETWORK_OUTCOMES, locale),
        "outcome": pick(CONVERSATION_OUTCOMES, locale),
        "satisfaction": pick(SATISFACTION, locale),
        "task_types": pick(TASK_TYPES, locale),
        "repair_types": pick(REPAIR_TYPES, locale),
    }


@bp.errorhandler(DomainError)
def refused(exc: DomainError):
    status = {archive.Refused: 403, NotFound: 404}.get(type(exc), 400)
    return render_template("archive/error.html", message=_(exc.message), status=status), status
