"""The SMS personas: the Suzhou store, its customers with mobiles, consents as each test
needs them, and campaigns ready to send. Bulk inserts, so the benchmark can seed 100,000."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from storage.consent import Channel, Purpose
from storage.models import Consent, Customer, Phone, SmsCampaign, Store, StoreSetting
from storage.sms import audience
from storage.sms.audience import Target
from storage.sms.codes import Audience, CampaignState, Kind, purpose_of

TZ = ZoneInfo("Asia/Shanghai")
SURNAMES = "张王李赵刘陈杨黄"
GREETING = "{customer}，冬至快乐！{store}祝您阖家安康。"


def mobile(i: int) -> str:
    return f"+86139{i:08d}"


def store(s: Session, rate_per_s: int = 1000, window: str = "00:00-23:59") -> Store:
    shop = Store(code="SZ01", name="姑苏汽车", timezone="Asia/Shanghai", hotline="0512-6000-8000")
    s.add(shop)
    s.flush()
    s.add_all(
        [
            StoreSetting(store_id=shop.id, key="sms.rate_per_s", value=str(rate_per_s)),
            StoreSetting(store_id=shop.id, key="sms.send_window", value=window),
        ]
    )
    s.flush()
    return shop


def customers(s: Session, shop: Store, n: int, marketing: bool = True, start: int = 0) -> list[int]:
    """``n`` customers, one mobile each; with SMS marketing consent when ``marketing``."""
    now = datetime.now(UTC)
    first = (s.scalar(select(Customer.id).order_by(Customer.id.desc()).limit(1)) or 0) + 1
    ids = list(range(first, first + n))
    s.execute(
        insert(Customer),
        [
            {"id": cid, "store_id": shop.id, "name": SURNAMES[k % 8] + f"客{start + k}",
             "gender": "MF"[k % 2],
             "is_company": False, "source": "import", "created_at": now, "updated_at": now}
            for k, cid in enumerate(ids)
        ],
    )  # fmt: skip
    s.execute(
        insert(Phone),
        [
            {"customer_id": cid, "e164": mobile(start + k), "kind": "mobile", "position": 0,
             "validity": "unverified"}
            for k, cid in enumerate(ids)
        ],
    )  # fmt: skip
    if marketing:
        s.execute(
            insert(Consent),
            [
                {"customer_id": cid, "channel": Channel.SMS, "purpose": Purpose.MARKETING,
                 "granted": True, "source": "delivery", "at": now}
                for cid in ids
            ],
        )  # fmt: skip
    return ids


def campaign(
    s: Session,
    shop: Store,
    ids: list[int],
    kind: str = Kind.HOLIDAY,
    body: str = GREETING,
    state: str = CampaignState.SENDING,
    rsvp: bool = False,
) -> SmsCampaign:
    """A campaign to ``ids``, approved and its outbox built, ``sending`` by default."""
    c = SmsCampaign(
        store_id=shop.id, name="冬至问候", kind=kind, purpose=purpose_of(kind), body=body,
        audience=Audience.UPLOAD, state=state, rsvp=rsvp,
    )  # fmt: skip
    s.add(c)
    s.flush()
    audience.build(s, c, [Target(i) for i in ids], TZ)
    return c
