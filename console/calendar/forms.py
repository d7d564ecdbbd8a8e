"""The calendar screen's forms: CSRF (Flask-WTF) and the values as typed. The values are checked
in one place, ``console.services.calendar``, which names the field a refused value belongs to."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField


class OverrideForm(FlaskForm):
    """A day made a holiday or a working day (``kind`` is a ``<select>`` in the template)."""

    day = StringField()
    kind = StringField()
    name = StringField()


class RemoveForm(FlaskForm):
    """One override's day, given back to the library."""

    day = HiddenField()
