"""The import screen's forms (Flask-WTF, CSRF on)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField

KINDS = [
    ("auto", _l("Detect from the columns")),
    ("customers", _l("Customers")),
    ("deliveries", _l("Deliveries")),
    ("repair-orders", _l("Repair orders")),
]


class UploadForm(FlaskForm):
    """The file, the store it belongs to, and what it holds. ``modified`` is the file's own
    modification time (milliseconds, set by the browser): when the DMS exported it."""

    file = FileField(_l("DMS export (CSV or XLSX)"), validators=[FileRequired()])
    store_id = SelectField(_l("Store"), coerce=int)
    kind = SelectField(_l("The file holds"), choices=KINDS, default="auto")
    modified = HiddenField()


class ConfirmForm(FlaskForm):
    """The checked upload, to import for real (or discard)."""

    store_id = HiddenField()
    kind = HiddenField()
    as_of = HiddenField()
