"""The SMS screens' services: templates (a new version on each change, a live preview with the
part counter), campaigns (drafted on a segment or an uploaded list, approved by a supervisor,
reported; exported by sms_export.py), and the messages a crash left unknown. Every read and
write is limited to the user's stores."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.archive.normalise import readable_phone
from storage.archive.scope import store_ids_of
from storage.errors import N_, DomainError, InvalidInput, NotFound
from storage.models import (
    Customer,
    Segment,
    SmsCampaign,
    SmsOutbox,
    SmsTemplate,
    SmsUploadLine,
    Store,
)
from storage.sms import campaigns, outbox, render, report, text
from storage.sms.audience import message_for
from storage.sms.codes import (
    RSVP_KINDS,
    Audience,
    CampaignState,
    Kind,
    Occasion,
    State,
    UploadReason,
    purpose_of,
)

MAX_BODY = 500
# what the daily job picks recipients for (schedulers/sms_daily.py)
AUTO_KINDS = frozenset(
    {Kind.BIRTHDAY, Kind.HOLIDAY, Kind.MAINTENANCE, Kind.INSURANCE, Kind.UNREACHABLE}
)
LISTED = 200


class Refused(DomainError):
    code = "forbidden"


def stores(session: Session, user_id: int) -> dict[int, Store]:
    ids = store_ids_of(session, user_id)
    return {
        s.id: s for s in session.scalars(select(Store).where(Store.id.in_(ids)).order_by(Store.id))
    }


def _store(session: Session, user_id: int, store_id: int | None) -> Store:
    mine = stores(session, user_id)
    if not mine:
        raise Refused(N_("you work for no store"))
    if store_id is None:
        return next(iter(mine.values()))
    if store_id not in mine:
        raise Refused(N_("this store is not one you work for"))
    return mine[store_id]


# ---------- templates ----------


def template_list(session: Session, user_id: int) -> list[SmsTemplate]:
    ids = list(stores(session, user_id))
    return list(
        session.scalars(
            select(SmsTemplate)
            .where(SmsTemplate.store_id.in_(ids))
            .order_by(SmsTemplate.kind, SmsTemplate.name)
        )
    )


def template_of(session: Session, user_id: int, template_id: int) -> SmsTemplate:
    t = session.get(SmsTemplate, template_id)
    if t is None or t.store_id not in stores(session, user_id):
        raise NotFound(N_("there is no such template"), template_id=template_id)
    return t


def save_template(
    session: Session, user_id: int, template_id: int | None, values: dict[str, str], now: datetime
) -> SmsTemplate:
    """Check and save; a changed text makes a new version (campaigns keep the text they were
    approved with)."""
    name = (values.get("name") or "").strip()[:64]
    if not name:
        raise InvalidInput(N_("give the template a name"), field="name")
    kind = values.get("kind") or ""
    if kind not in set(Kind):
        raise InvalidInput(N_("choose what the message is for"), field="kind")
    occasion = values.get("occasion") or None
    if kind == Kind.HOLIDAY and occasion not in set(Occasion):
        raise InvalidInput(N_("choose the holiday"), field="occasion")
    body_zh = campaigns.check_body(values.get("body_zh", ""))[:MAX_BODY]
    body_en = (values.get("body_en") or "").strip()[:MAX_BODY] or None
    if body_en:
        render.fields_in(body_en)
    if template_id:
        t = template_of(session, user_id, template_id)
    else:
        t = SmsTemplate(
            store_id=_store(session, user_id, _int(values.get("store_id"))).id, version=0
        )
    taken = session.scalar(
        select(SmsTemplate.id).where(
            SmsTemplate.store_id == t.store_id,
            SmsTemplate.name == name,
            SmsTemplate.id != (t.id or 0),
        )
    )
    if taken:
        raise InvalidInput(N_("another template has that name"), field="name")
    changed = (t.body_zh, t.body_en, t.kind, t.occasion) != (body_zh, body_en, kind, occasion)
    t.name, t.kind, t.occasion, t.purpose = (
        name,
        kind,
        occasion if kind == Kind.HOLIDAY else None,
        purpose_of(kind),
    )
    t.body_zh, t.body_en, t.updated_by_id, t.updated_at = body_zh, body_en, user_id, now
    t.active = values.get("active", "1") not in ("0", "", None)
    if changed:
        t.version = (t.version or 0) + 1
    session.add(t)
    session.flush()
    return t


def preview(
    session: Session, user_id: int, store_id: int | None, body: str, kind: str, language: str
) -> dict:
    """The message as a sample customer (张伟, his K5) would get it, and its parts."""
    store = _store(session, user_id, store_id)
    kind = kind if kind in set(Kind) else Kind.NOTICE
    try:
        rendered = render.render(
            body or "", render.SAMPLE, render.StoreInfo(store.name, store.hotline), language
        )
    except InvalidInput as exc:
        return {"ok": False, "error": exc.message, "details": exc.details}
    except render.MissingField as exc:
        return {
            "ok": False,
            "error": N_("the sample customer has no {%(name)s}"),
            "details": {"name": exc.field},
        }
    full = text.compose(rendered, store.name, purpose_of(kind), language)
    return {
        "ok": True,
        "text": full,
        "count": text.count(full).as_dict(),
        "purpose": purpose_of(kind),
    }


def _int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


# ---------- campaigns ----------


def campaign_list(session: Session, user_id: int) -> list[SmsCampaign]:
    ids = list(stores(session, user_id))
    return list(
        session.scalars(
            select(SmsCampaign)
            .where(SmsCampaign.store_id.in_(ids), SmsCampaign.parent_id.is_(None))
            .order_by(SmsCampaign.created_at.desc(), SmsCampaign.id.desc())
            .limit(LISTED)
        )
    )


def builder(session: Session, user_id: int) -> dict:
    mine = stores(session, user_id)
    return {
        "stores": mine,
        "templates": [t for t in template_list(session, user_id) if t.active],
        "segments": list(
            session.scalars(
                select(Segment).where(Segment.store_id.in_(list(mine))).order_by(Segment.name)
            )
        ),
    }


def create_campaign(
    session: Session,
    user_id: int,
    values: dict[str, str],
    upload: tuple[str, list[str]] | None,
    tz: ZoneInfo,
    now: datetime,
) -> SmsCampaign:
    template = template_of(session, user_id, _int(values.get("template_id")) or 0)
    language = values.get("language") if values.get("language") in ("zh_Hans", "en") else "zh_Hans"
    body = template.body_en if language == "en" and template.body_en else template.body_zh
    name = (values.get("name") or "").strip()[:100] or template.name
    audience = values.get("audience") or ""
    if audience not in set(Audience):
        raise InvalidInput(N_("choose who gets it"), field="audience")
    segment_id = _int(values.get("segment_id")) if audience == Audience.SEGMENT else None
    if audience == Audience.SEGMENT:
        segment = session.get(Segment, segment_id or 0)
        if segment is None or segment.store_id != template.store_id:
            raise InvalidInput(N_("choose a segment of this store"), field="segment_id")
    if audience == Audience.AUTO and template.kind not in AUTO_KINDS:
        raise InvalidInput(N_("only greetings and reminders are sent every day"), field="audience")
    if audience == Audience.UPLOAD and not upload:
        raise InvalidInput(N_("choose the file with the phone numbers"), field="file")
    rsvp = values.get("rsvp") == "1"
    if rsvp and template.kind not in RSVP_KINDS:
        raise InvalidInput(
            N_("only event notices, promotions and recalls ask for a reply"), field="rsvp"
        )
    campaign = campaigns.new_campaign(
        session,
        store_id=template.store_id, name=name, kind=template.kind, occasion=template.occasion,
        template_id=template.id, template_version=template.version, language=language,
        body=body, audience=audience, segment_id=segment_id, rsvp=rsvp,
        event_at=_local(values.get("event_at"), tz, "event_at"),
        send_at=_local(values.get("send_at"), tz, "send_at"), created_by_id=user_id, created_at=now,
    )  # fmt: skip
    if audience == Audience.UPLOAD and upload:
        campaigns.read_upload(session, campaign, upload[1], upload[0])
    return campaign


def read_list(filename: str, data: bytes) -> list[str]:
    """An uploaded list's lines: a CSV or text file (UTF-8, with or without BOM, or GBK), or
    the first sheet of an XLSX file (its cells joined by commas), line numbers kept."""
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
        except Exception:
            raise InvalidInput(
                N_("the file is not a readable XLSX workbook"), field="file"
            ) from None
        return [
            ",".join("" if v is None else str(v) for v in row)
            for row in sheet.iter_rows(values_only=True)
        ]
    for encoding in ("utf-8-sig", "gbk", "gb18030"):
        try:
            return data.decode(encoding).splitlines()
        except UnicodeDecodeError:
            continue
    raise InvalidInput(N_("the file is neither UTF-8 nor GBK text"), field="file")


def _local(value: str | None, tz: ZoneInfo, field: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=tz)
    except ValueError:
        raise InvalidInput(N_("a date and time such as 2026-12-20 09:30"), field=field) from None


def campaign_of(session: Session, user_id: int, campaign_id: int) -> SmsCampaign:
    return campaigns.campaign_of(session, campaign_id, stores(session, user_id))


def detail(session: Session, user_id: int, campaign_id: int, now: datetime) -> dict:
    c = campaign_of(session, user_id, campaign_id)
    store = session.get_one(Store, c.store_id)
    figures = report.figures(session, c)
    sample = message_for(c, store, _sample_body(c, store))
    preview_count = None
    if c.state == CampaignState.DRAFT and c.audience != Audience.AUTO:
        preview_count = (
            len(campaigns.targets(session, c, now)) if _audience_ready(session, c) else 0
        )
    rejects = list(
        session.scalars(
            select(SmsUploadLine)
            .where(SmsUploadLine.campaign_id == c.id, SmsUploadLine.reason.is_not(None))
            .order_by(SmsUploadLine.line)
            .limit(LISTED)
        )
    )
    accepted = session.scalar(
        select(SmsUploadLine.id)
        .where(SmsUploadLine.campaign_id == c.id, SmsUploadLine.reason.is_(None))
        .limit(1)
    )
    return {
        "campaign": c,
        "store": store,
        "figures": figures,
        "sample": sample,
        "sample_count": text.count(sample),
        "audience_count": preview_count,
        "rejects": rejects,
        "has_accepted": accepted is not None,
        "segment": session.get(Segment, c.segment_id) if c.segment_id else None,
    }


def _audience_ready(session: Session, c: SmsCampaign) -> bool:
    return c.audience != Audience.SEGMENT or session.get(Segment, c.segment_id or 0) is not None


def _sample_body(c: SmsCampaign, store: Store) -> str:
    try:
        return render.render(
            c.body, render.SAMPLE, render.StoreInfo(store.name, store.hotline), c.language
        )
    except render.MissingField:
        return c.body


def approve(session: Session, user_id: int, campaign_id: int, now: datetime, tz: ZoneInfo) -> dict:
    c = campaign_of(session, user_id, campaign_id)
    return dict(campaigns.approve(session, c, user_id, now, tz))


def cancel(session: Session, user_id: int, campaign_id: int, now: datetime) -> int:
    return campaigns.cancel(session, campaign_of(session, user_id, campaign_id), now)


# ---------- unknown messages ----------


def unknown(session: Session, user_id: int) -> list[dict]:
    ids = list(stores(session, user_id))
    rows = session.execute(
        select(SmsOutbox, Customer.name, SmsCampaign.name)
        .join(Customer, Customer.id == SmsOutbox.customer_id)
        .join(SmsCampaign, SmsCampaign.id == SmsOutbox.campaign_id)
        .where(SmsOutbox.store_id.in_(ids), SmsOutbox.state == State.UNKNOWN)
        .order_by(SmsOutbox.sending_at, SmsOutbox.id)
        .limit(LISTED)
    )
    return [
        {"row": row, "customer": customer, "campaign": campaign, "phone": readable_phone(row.phone)}
        for row, customer, campaign in rows
    ]


def resolve(session: Session, user_id: int, outbox_id: int, resend: bool, now: datetime) -> None:
    row = session.get(SmsOutbox, outbox_id)
    if row is None or row.store_id not in stores(session, user_id):
        raise NotFound(N_("there is no such message"), outbox_id=outbox_id)
    if not outbox.resolve_unknown(session, outbox_id, resend, user_id, now):
        raise campaigns.WrongState(N_("someone else decided on this message already"))


UPLOAD_REASONS = tuple(UploadReason)
