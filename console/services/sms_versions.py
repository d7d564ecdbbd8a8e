"""SMS template versions for the screens: saving a template keeps the version it makes, and a
template's history reads every version with the campaigns approved on it, each with what the
sample customer would read (signature, and the opt-out line on marketing) and its parts.

``save`` is how the template screen saves: ``sms.save_template`` checks and numbers, then the
new number is kept here in the same transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from console.services import sms
from storage.models import SmsTemplate, Store
from storage.sms import render, text, versions


def save(
    session: Session, user_id: int, template_id: int | None, values: dict[str, str], now: datetime
) -> SmsTemplate:
    t = sms.save_template(session, user_id, template_id, values, now)
    versions.record(session, t, user_id, now)
    return t


def history(session: Session, user_id: int, template_id: int) -> dict:
    t = sms.template_of(session, user_id, template_id)
    store = session.get_one(Store, t.store_id)
    listed = versions.history(session, t)
    return {
        "template": t,
        "store": store,
        "versions": listed,
        "samples": {v.number: _sample(v, store) for v in listed if v.stored},
    }


def _sample(v: versions.Version, store: Store) -> dict | None:
    """What the sample customer reads in Chinese, and its parts; None when the sample lacks a
    field the text uses."""
    try:
        body = render.render(
            v.body_zh or "", render.SAMPLE, render.StoreInfo(store.name, store.hotline)
        )
    except render.MissingField:
        return None
    full = text.compose(body, store.name, v.purpose or "")
    return {"text": full, "count": text.count(full)}
