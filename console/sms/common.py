"""What the SMS screens share: the labels of codes (translated where shown) and the handler that
turns a refused action into the screen's error page."""

from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _

from console.services.sms import Refused
from storage.errors import DomainError, NotFound
from storage.sms.codes import (
    CAMPAIGN_STATE_LABELS,
    KIND_LABELS,
    OCCASION_LABELS,
    REASON_LABELS,
    STATE_LABELS,
    UPLOAD_REASON_LABELS,
)

LABELS = {
    "kinds": KIND_LABELS,
    "occasions": OCCASION_LABELS,
    "campaign_states": CAMPAIGN_STATE_LABELS,
    "states": STATE_LABELS,
    "reasons": REASON_LABELS,
    "upload_reasons": UPLOAD_REASON_LABELS,
}


def label(group: str, code: str | None) -> str:
    text = LABELS[group].get(code) if code else None  # type: ignore[call-overload]
    return _(text) if text else (code or "")


def error_page(exc: DomainError):
    status = {Refused: 403, NotFound: 404}.get(type(exc), 400)
    message = _(exc.message, **{k: v for k, v in exc.details.items() if isinstance(v, str | int)})
    return render_template("sms/error.html", message=message, status=status), status
