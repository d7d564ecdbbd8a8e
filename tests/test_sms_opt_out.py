"""Opting out by number: the provider's 21610 (the number replied STOP to our sender) opts out
every customer of the store on file with that number, as a STOP reply does; and opt-out or
START replies are acknowledged in the language of the last message the number got."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from dialer.sms.gateway import OptedOut
from dialer.sms.rate import TokenBucket
from dialer.sms.sender import OutboxSender, SendPolicy
from storage import consent
from storage.db import session_scope
from storage.models import Phone, SmsOutbox, Store
from storage.sms import outbox, replies, reports
from storage.sms.codes import State
from tests import sms_seed
from tests.sms_fake import ScriptedGateway

NOW = datetime(2026, 12, 21, 2, 0, tzinfo=UTC)


def _family_on_one_number(sessions) -> tuple[list[int], int, int]:
    """张 (on the campaign) and 王, his wife, on his mobile; and a customer of another store
    with that number too. Returns ([张, 王], the other store's customer, the campaign)."""
    with session_scope(sessions) as s:
        shop = sms_seed.store(s)
        zhang, wang = sms_seed.customers(s, shop, 2)
        s.add(Phone(customer_id=wang, e164=sms_seed.mobile(0), kind="mobile", position=1))
        other = Store(code="WX01", name="锡城汽车", timezone="Asia/Shanghai")
        s.add(other)
        s.flush()
        (stranger,) = sms_seed.customers(s, other, 1, start=50)
        s.add(Phone(customer_id=stranger, e164=sms_seed.mobile(0), kind="mobile", position=1))
        sms_seed.campaign(s, shop, [zhang])
    return [zhang, wang], stranger, shop.id


def _marketing(sessions, ids: list[int]) -> dict[int, bool]:
    with session_scope(sessions) as s:
        return consent.answers(s, ids, consent.Channel.SMS, consent.Purpose.MARKETING)


def _refused_21610_when_sent(sessions, store_id: int) -> None:
    gateway = ScriptedGateway({sms_seed.mobile(0): OptedOut("21610", 21610)})
    sender = OutboxSender(sessions, gateway, TokenBucket(1000.0), SendPolicy(workers=1, settle_s=0))
    sender.send_batch([store_id])


def _undelivered_21610_reported(sessions, store_id: int) -> None:
    with session_scope(sessions) as s:
        row = outbox.claim(s, "run", 1, NOW, [store_id])[0]
        outbox.apply(
            s, "twilio", [outbox.Result(row.id, outbox.Outcome.SENT, "SM1", "queued")], NOW
        )
    with session_scope(sessions) as s:
        reports.apply_report(s, reports.Report("twilio", "SM1", "undelivered", 21610), NOW)


@pytest.mark.parametrize("when", [_refused_21610_when_sent, _undelivered_21610_reported])
def test_21610_opts_out_everyone_of_the_store_with_that_number_and_nobody_elsewhere(sessions, when):
    family, stranger, store_id = _family_on_one_number(sessions)
    when(sessions, store_id)
    assert _marketing(sessions, [*family, stranger]) == {
        family[0]: False, family[1]: False, stranger: True,
    }  # fmt: skip


def _reply(sessions, body: str, sid: str, at: datetime) -> str | None:
    with session_scope(sessions) as s:
        msg = replies.Inbound("twilio", sid, sms_seed.mobile(0), "+8651268008001", body)
        return replies.receive(s, msg, at).acknowledgement


def _sent_in(s, shop, ids: list[int], language: str, at: datetime) -> None:
    c = sms_seed.campaign(s, shop, ids, body="Happy holidays, {customer}!")
    c.language = language
    s.execute(
        update(SmsOutbox)
        .where(SmsOutbox.campaign_id == c.id)
        .values(state=State.DELIVERED, sent_at=at, provider_id=f"SM{c.id}")
    )


def test_opt_out_and_start_are_acknowledged_in_the_language_of_the_last_message_the_number_got(
    sessions,
):
    with session_scope(sessions) as s:
        shop = sms_seed.store(s)
        smith = sms_seed.customers(s, shop, 1)
        _sent_in(s, shop, smith, "zh_Hans", NOW - timedelta(days=60))
        _sent_in(s, shop, smith, "en", NOW - timedelta(days=2))
    assert _reply(sessions, "STOP", "SMin1", NOW) == (
        "【姑苏汽车】You will get no more marketing messages from 姑苏汽车. "
        "Reply START to resubscribe."
    )
    assert _reply(sessions, "start", "SMin2", NOW).startswith("【姑苏汽车】You are subscribed")


def test_a_number_that_never_got_a_message_is_acknowledged_in_chinese(sessions):
    with session_scope(sessions) as s:
        sms_seed.customers(s, sms_seed.store(s), 1)
    assert _reply(sessions, "TD", "SMin1", NOW) == (
        "【姑苏汽车】您已退订姑苏汽车的营销短信。回复START可重新订阅。"
    )
