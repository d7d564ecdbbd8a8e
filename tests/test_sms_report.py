"""A campaign's report: an opt-out is charged to the campaign whose message the customer got
last before opting out (last touch), not to every campaign they ever got."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from storage import consent
from storage.db import session_scope
from storage.models import SmsOutbox
from storage.sms import report
from storage.sms.codes import State
from tests import sms_seed


def _sent_on(s, campaign_id: int, at: datetime) -> None:
    s.execute(
        update(SmsOutbox)
        .where(SmsOutbox.campaign_id == campaign_id)
        .values(state=State.DELIVERED, sent_at=at, provider_id=f"SM{campaign_id}")
    )


def test_an_opt_out_is_charged_to_the_last_campaign_before_it_not_to_every_earlier_one(sessions):
    with session_scope(sessions) as s:
        shop = sms_seed.store(s)
        zhang = sms_seed.customers(s, shop, 1)
        new_year = sms_seed.campaign(s, shop, zhang)
        womens_day = sms_seed.campaign(s, shop, zhang)
        _sent_on(s, new_year.id, datetime(2026, 1, 1, 2, 0, tzinfo=UTC))
        _sent_on(s, womens_day.id, datetime(2026, 3, 8, 2, 0, tzinfo=UTC))
        consent.record(s, zhang[0], consent.Channel.SMS, consent.Purpose.MARKETING, False,
                       source="sms_reply", at=datetime(2026, 3, 9, 2, 0, tzinfo=UTC))  # fmt: skip
    with session_scope(sessions) as s:
        assert report.figures(s, s.merge(new_year)).opted_out_after == 0
        assert report.figures(s, s.merge(womens_day)).opted_out_after == 1
