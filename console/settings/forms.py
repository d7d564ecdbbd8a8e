"""The settings form: CSRF and the chosen store (Flask-WTF). The values are the registry's keys,
posted as text and checked all at once by ``storage.settings``; this module also puts the
registry's English labels, units and rules into the reader's language."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import InputRequired

from storage.errors import InvalidInput
from storage.settings import REGISTRY, Kind, Setting, rule_of, rule_params, setting

PARAMS = ("min", "max", "value")  # an error's details that its rule names


class SettingsForm(FlaskForm):
    store_id = HiddenField(validators=[InputRequired()])

    @property
    def store(self) -> int | None:
        text = self.store_id.data or ""
        return int(text) if text.isdigit() else None

    @staticmethod
    def values(formdata: Mapping[str, str]) -> dict[str, str]:
        """The posted value of every setting the form carried, as typed."""
        return {key: formdata[key] for key in REGISTRY if key in formdata}


def texts(s: Setting) -> dict[str, str]:
    """A setting's label, unit, help and accepted form, translated."""
    return {
        "label": _(s.label),
        "unit": _(s.unit) if s.unit else "",
        "help": _(s.help) if s.help else "",
        "rule": _(rule_of(s), **rule_params(s)),
        "range": f"{s.min}–{s.max}" if s.kind is Kind.INT else "",
    }


def error_text(exc: InvalidInput) -> str:
    """What to write next to a refused value: what the setting accepts."""
    rule = str(exc.details.get("rule") or "")
    if not rule:
        return _(exc.message)
    params: dict[str, object] = {k: v for k, v in exc.details.items() if k in PARAMS}
    if "other" in exc.details:
        params["other"] = _(setting(str(exc.details["other"])).label)
    return _("Expected %(rule)s.", rule=_(rule, **params))
