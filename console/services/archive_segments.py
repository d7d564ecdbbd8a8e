"""Saved segments: build a filter over one of the user's stores, preview how many customers it
selects (and who), save it by name. ``storage.archive.segments.customer_ids`` gives a saved
segment's customers to whatever uses it as an audience."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.services.archive import Access, Refused, local_time, search_rows, store_names
from storage.archive import segments as seg
from storage.archive.search import summaries
from storage.errors import N_, InvalidInput, NotFound
from storage.models import AuditEntry, Segment

SAMPLE = 20
LISTED = 100


def listing(session: Session, access: Access, tz: ZoneInfo) -> dict:
    _whole(access)
    names = store_names(session, access.store_ids)
    rows = session.scalars(
        select(Segment).where(Segment.store_id.in_(access.store_ids)).order_by(Segment.name)
    )
    return {
        "segments": [
            {
                "id": s.id,
                "name": s.name,
                "store": names.get(s.store_id, ""),
                "counted": s.counted,
                "updated": local_time(s.updated_at, tz),
            }
            for s in rows
        ]
    }


def builder(session: Session, access: Access, store_id: int | None) -> dict:
    """The stores the user may segment and, for the chosen one, its models and cities."""
    _whole(access)
    store_id = _store(access, store_id)
    return {"store_id": store_id, "stores": store_names(session, access.store_ids)} | seg.choices(
        session, store_id
    )


def preview(session: Session, access: Access, store_id: int, f: seg.Filter, now, tz) -> dict:
    _whole(access)
    store_id = _store(access, store_id)
    ids = list(session.scalars(seg.query(store_id, f, now).limit(SAMPLE)))
    stores = store_names(session, access.store_ids)
    return {
        "count": seg.count(session, store_id, f, now),
        "sample": search_rows(summaries(session, ids), access, stores, tz),
    }


def save(
    session: Session,
    access: Access,
    segment_id: int | None,
    name: str,
    store_id: int,
    f: seg.Filter,
    now: datetime,
) -> int:
    if not access.may_edit:
        raise Refused(N_("you may not change the archive"))
    store_id = _store(access, store_id)
    if not name:
        raise InvalidInput(N_("give the segment a name to save it"), field="name")
    segment = _segment(session, access, segment_id) if segment_id else Segment(store_id=store_id)
    taken = session.scalar(
        select(Segment.id).where(
            Segment.store_id == store_id, Segment.name == name, Segment.id != (segment_id or 0)
        )
    )
    if taken:
        raise InvalidInput(N_("this store already has a segment of that name"), field="name")
    segment.name, segment.store_id, segment.filters = name, store_id, f.as_json()
    segment.counted, segment.updated_at = seg.count(session, store_id, f, now), now
    if segment_id is None:
        segment.created_by_id, segment.created_at = access.user_id, now
        session.add(segment)
    session.flush()
    session.add(
        AuditEntry(
            at=now,
            user_id=access.user_id,
            store_id=store_id,
            action="segment",
            entity="segment",
            entity_id=segment.id,
            details={"name": name, "filters": segment.filters, "rows": segment.counted},
        )
    )
    return segment.id


def saved(session: Session, access: Access, segment_id: int) -> dict:
    """A saved segment's name, store and filter (what the builder starts from)."""
    segment = _segment(session, access, segment_id)
    f = seg.Filter.from_json(segment.filters)
    return {"name": segment.name, "store_id": segment.store_id, "filters": f}


def page(session: Session, access: Access, segment_id: int, now: datetime, tz: ZoneInfo) -> dict:
    segment = _segment(session, access, segment_id)
    f = seg.Filter.from_json(segment.filters)
    ids = seg.customer_ids(session, segment, now)
    stores = store_names(session, access.store_ids)
    return {
        "id": segment.id,
        "name": segment.name,
        "store_id": segment.store_id,
        "store": stores.get(segment.store_id, ""),
        "filters": f,
        "count": len(ids),
        "customers": search_rows(summaries(session, ids[:LISTED]), access, stores, tz),
        "may_edit": access.may_edit,
    }


def _segment(session: Session, access: Access, segment_id: int) -> Segment:
    _whole(access)
    segment = session.get(Segment, segment_id)
    if segment is None:
        raise NotFound(N_("there is no segment with that number"), segment_id=segment_id)
    if segment.store_id not in access.store_ids:
        raise Refused(N_("this segment belongs to a store you do not work for"))
    return segment


def _store(access: Access, store_id: int | None) -> int:
    if store_id is None and access.store_ids:
        return access.store_ids[0]
    if store_id not in access.store_ids:
        raise Refused(N_("you do not work for this store"))
    return store_id


def _whole(access: Access) -> None:
    if not access.whole_archive:
        raise Refused(N_("only whole-archive users work with segments"))
