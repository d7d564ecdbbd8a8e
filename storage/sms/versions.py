"""A template's versions: kept as each was saved, and read back as a history with the campaigns
approved on each number.

A number saved before versions were stored (migration 0010) has no row; its campaigns still hold
the text they were approved with, which the history shows instead (``kept``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import SmsCampaign, SmsTemplate, SmsTemplateVersion, User


@dataclass(frozen=True)
class UsedBy:
    """A campaign approved (or drafted) on a version; ``daily`` counts a standing campaign's
    daily sends."""

    id: int
    name: str
    state: str
    language: str
    body: str
    created_at: datetime
    daily: int = 0


@dataclass
class Version:
    number: int
    stored: bool  # False: saved before versions were stored, its text is gone
    kind: str | None = None
    occasion: str | None = None
    purpose: str | None = None
    body_zh: str | None = None
    body_en: str | None = None
    by: str | None = None
    at: datetime | None = None
    current: bool = False
    campaigns: list[UsedBy] = field(default_factory=list)

    @property
    def kept(self) -> dict[str, str]:
        """For a version whose text is gone: the text its campaigns kept, per language."""
        return {c.language: c.body for c in self.campaigns}


def record(session: Session, t: SmsTemplate, user_id: int | None, at: datetime) -> bool:
    """Keep ``t``'s current number as saved, once; True when it was new."""
    known = session.scalar(
        select(SmsTemplateVersion.id).where(
            SmsTemplateVersion.template_id == t.id, SmsTemplateVersion.number == t.version
        )
    )
    if known is not None:
        return False
    session.add(
        SmsTemplateVersion(
            template_id=t.id, number=t.version, kind=t.kind, occasion=t.occasion,
            purpose=t.purpose, body_zh=t.body_zh, body_en=t.body_en, created_by_id=user_id,
            created_at=at,
        )
    )  # fmt: skip
    session.flush()
    return True


def history(session: Session, t: SmsTemplate) -> list[Version]:
    """Every number from the current one down to 1, newest first."""
    rows = session.execute(
        select(SmsTemplateVersion, User.display_name)
        .outerjoin(User, User.id == SmsTemplateVersion.created_by_id)
        .where(SmsTemplateVersion.template_id == t.id)
    ).all()
    versions = {
        v.number: Version(v.number, True, v.kind, v.occasion, v.purpose, v.body_zh, v.body_en,
                          name, v.created_at)
        for v, name in rows
    }  # fmt: skip
    if t.version not in versions:  # a template written straight to the table (seeds, tests)
        by = session.get(User, t.updated_by_id) if t.updated_by_id else None
        versions[t.version] = Version(
            t.version, True, t.kind, t.occasion, t.purpose, t.body_zh, t.body_en,
            by.display_name if by else None, t.updated_at,
        )  # fmt: skip
    versions[t.version].current = True
    for number, used in _campaigns(session, t.id).items():
        versions.setdefault(number, Version(number, False)).campaigns.extend(used)
    for number in range(1, max(versions) + 1):
        versions.setdefault(number, Version(number, False))
    return [versions[n] for n in sorted(versions, reverse=True)]


def _campaigns(session: Session, template_id: int) -> dict[int, list[UsedBy]]:
    campaigns = session.scalars(
        select(SmsCampaign)
        .where(SmsCampaign.template_id == template_id, SmsCampaign.parent_id.is_(None))
        .order_by(SmsCampaign.created_at, SmsCampaign.id)
    ).all()
    daily: dict[int | None, int] = {
        parent: n
        for parent, n in session.execute(
            select(SmsCampaign.parent_id, func.count())
            .where(SmsCampaign.parent_id.in_([c.id for c in campaigns]))
            .group_by(SmsCampaign.parent_id)
        )
    }
    used: dict[int, list[UsedBy]] = {}
    for c in campaigns:
        used.setdefault(c.template_version or 0, []).append(
            UsedBy(c.id, c.name, c.state, c.language, c.body, c.created_at, daily.get(c.id, 0))
        )
    used.pop(0, None)  # a campaign that recorded no version cannot be placed
    return used
