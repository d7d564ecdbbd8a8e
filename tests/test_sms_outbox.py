"""The outbox in the database: who is targeted and who is excluded (consent), the compare-and-set
transitions, delivery reports applied once and forward only, and replies (opt-out, opt-in,
RSVP). The sending loop runs against a scripted gateway here; through the Twilio mock in
test_sms_twilio.py."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from dialer.sms.gateway import Ambiguous, Lookup, NotTaken, OptedOut, Refused
from dialer.sms.rate import TokenBucket
from dialer.sms.sender import OutboxSender, SendPolicy
from storage import consent
from storage.codes import Role
from storage.db import session_scope
from storage.models import Phone, SmsCampaign, SmsOutbox, SmsRsvp, Store
from storage.sms import outbox, replies, reports
from storage.sms.codes import CampaignState, Intent, Kind, Reason, State
from storage.sms.outbox import Finding
from tests import personas, sms_seed
from tests.sms_fake import ScriptedGateway

NOW = datetime(2026, 12, 21, 2, 0, tzinfo=UTC)


def _states(sessions, campaign_id: int) -> Counter[str]:
    with session_scope(sessions) as s:
        rows = s.execute(
            select(SmsOutbox.state, SmsOutbox.reason).where(SmsOutbox.campaign_id == campaign_id)
        )
        return Counter(reason or state for state, reason in rows)


def _sender(sessions, gateway, rate=1000.0) -> OutboxSender:
    return OutboxSender(sessions, gateway, TokenBucket(rate), SendPolicy(workers=4, settle_s=0))


# ---------- consent and the audience ----------


def test_marketing_goes_only_to_customers_who_said_yes_and_never_to_those_who_withdrew(sessions):
    with session_scope(sessions) as s:
        shop = sms_seed.store(s)
        consenting = sms_seed.customers(s, shop, 3)
        silent = sms_seed.customers(s, shop, 2, marketing=False, start=100)
        withdrawn = sms_seed.customers(s, shop, 1, start=200)
        consent.record(s, withdrawn[0], consent.Channel.SMS, consent.Purpose.MARKETING, False,
                       source="sms_reply", at=NOW)  # fmt: skip
        c = sms_seed.campaign(s, shop, consenting + silent + withdrawn)
    assert _states(sessions, c.id) == {"queued": 3, "no_consent": 2, "opted_out": 1}


def test_service_reminders_go_to_everyone_who_did_not_refuse_them(sessions):
    with session_scope(sessions) as s:
        shop = sms_seed.store(s)
        silent = sms_seed.customers(s, shop, 2, marketing=False)
        refused = sms_seed.customers(s, shop, 1, marketing=False, start=50)
        consent.record(s, refused[0], consent.Channel.SMS, consent.Purpose.SERVICE, False,
                       source="console", at=NOW)  # fmt: skip
        c = sms_seed.campaign(s, shop, silent + refused, kind=Kind.MAINTENANCE,
                              body="{customer}，您的爱车该保养了。")  # fmt: skip
    assert _states(sessions, c.id) == {"queued": 2, "opted_out": 1}


def test_no_mobile_a_shared_number_and_a_missing_field_are_excluded_with_their_reason(sessions):
    with session_scope(sessions) as s:
        shop = sms_seed.store(s)
        ids = sms_seed.customers(s, shop, 4)
        s.get_one(
            Phone, s.scalar(select(Phone.id).where(Phone.customer_id == ids[1]))
        ).e164 = "+8651268001234"  # a landline
        s.scalars(select(Phone).where(Phone.customer_id == ids[2])).one().e164 = sms_seed.mobile(0)
        c = sms_seed.campaign(s, shop, ids, body="{customer}，冬至快乐！")
        plate = sms_seed.campaign(s, shop, ids[3:], body="{plate}冬至快乐")
    assert _states(sessions, c.id) == {"queued": 2, "no_mobile": 1, "duplicate_phone": 1}
    assert _states(sessions, plate.id) == {"missing_field": 1}


def test_building_again_adds_nobody_twice(sessions):
    with session_scope(sessions) as s:
        shop = sms_seed.store(s)
        ids = sms_seed.customers(s, shop, 5)
        c = sms_seed.campaign(s, shop, ids)
        from storage.sms.audience import Target, build

        assert build(s, c, [Target(i) for i in ids], sms_seed.TZ) == Counter()
        assert s.query(SmsOutbox).filter_by(campaign_id=c.id).count() == 5


def test_the_message_is_rendered_signed_and_carries_the_opt_out_line(sessions):
    with session_scope(sessions) as s:
        shop = sms_seed.store(s)
        ids = sms_seed.customers(s, shop, 2)
        c = sms_seed.campaign(s, shop, ids)
        bodies = s.scalars(select(SmsOutbox.body).where(SmsOutbox.campaign_id == c.id)).all()
    assert bodies == [
        "【姑苏汽车】张先生，冬至快乐！姑苏汽车祝您阖家安康。回T退订",
        "【姑苏汽车】王女士，冬至快乐！姑苏汽车祝您阖家安康。回T退订",
    ]


# ---------- sending against a scripted provider ----------


def test_each_recipient_is_sent_once_and_recorded_with_the_providers_id(sessions):
    with session_scope(sessions) as s:
        shop = sms_seed.store(s)
        c = sms_seed.campaign(s, shop, sms_seed.customers(s, shop, 30))
        store_id = shop.id
    gateway = ScriptedGateway()
    sender = _sender(sessions, gateway)
    assert sender.run(lambda: [store_id], datetime.now(UTC) + timedelta(seconds=30))["sent"] == 30
    sender.close()
    assert sorted(gateway.sent) == sorted(set(gateway.sent)) and len(gateway.sent) == 30
    with session_scope(sessions) as s:
        rows = s.scalars(select(SmsOutbox).where(SmsOutbox.campaign_id == c.id)).all()
        assert {r.state for r in rows} == {State.SENT} and all(r.provider_id for r in rows)


def test_a_customer_who_opts_out_after_approval_is_not_sent_the_queued_message(sessions):
    with session_scope(sessions) as s:
        shop = sms_seed.store(s)
        ids = sms_seed.customers(s, shop, 3)
        c = sms_seed.campaign(s, shop, ids)
        outbox.opt_out(s, ids[0], "sms_reply", "replied TD", NOW)
        store_id = shop.id
    gateway = ScriptedGateway()
    _sender(sessions, gateway).send_batch([store_id])
    assert sms_seed.mobile(0) not in gateway.sent and len(gateway.sent) == 2
    assert _states(sessions, c.id) == {"sent": 2, "opted_out": 1}


def test_provider_refusals_map_to_failed_opted_out_retried_or_left_for_reconciling(sessions):
    with session_scope(sessions) as s:
        shop = sms_seed.store(s)
        ids = sms_seed.customers(s, shop, 4)
        c = sms_seed.campaign(s, shop, ids)
        store_id = shop.id
    gateway = ScriptedGateway({
        sms_seed.mobile(0): Refused("invalid", 21211, Reason.INVALID_NUMBER),
        sms_seed.mobile(1): OptedOut("21610", 21610),
        sms_seed.mobile(2): NotTaken("queue full", 30001, retry_in_s=60),
        sms_seed.mobile(3): Ambiguous("read timeout"),
    })  # fmt: skip
    _sender(sessions, gateway).send_batch([store_id])
    assert _states(sessions, c.id) == {
        "invalid_number": 1, "opted_out": 1, "queued": 1, "sending": 1,
    }  # fmt: skip
    with session_scope(sessions) as s:
        said = consent.answers(s, [ids[1]], consent.Channel.SMS, consent.Purpose.MARKETING)
        assert said == {ids[1]: False}  # 21610 marks the customer opted out


def test_a_429_backs_off_and_the_message_goes_later_without_losing_an_attempt(sessions):
    with session_scope(sessions) as s:
        shop = sms_seed.store(s)
        c = sms_seed.campaign(s, shop, sms_seed.customers(s, shop, 1))
        store_id = shop.id
    answers = iter([NotTaken("429", 20429, retry_in_s=1, rate_limited=True), None])
    gateway = ScriptedGateway({sms_seed.mobile(0): lambda: next(answers)})
    sleeps: list[float] = []
    sender = OutboxSender(
        sessions,
        gateway,
        TokenBucket(100, sleep=lambda d: (sleeps.append(d), time.sleep(d))),
        SendPolicy(workers=1),
    )
    sender.send_batch([store_id])
    assert sender.bucket.backoffs == 1
    sender.send_batch([store_id])
    assert sleeps and sum(sleeps) >= 0.9  # the second try waited out the pause
    with session_scope(sessions) as s:
        row = s.scalars(select(SmsOutbox).where(SmsOutbox.campaign_id == c.id)).one()
        assert (row.state, row.attempts) == (State.SENT, 1)


# ---------- after a crash ----------


def _left_sending(sessions, n: int):
    with session_scope(sessions) as s:
        shop = sms_seed.store(s)
        c = sms_seed.campaign(s, shop, sms_seed.customers(s, shop, n))
        before = datetime.now(UTC) - timedelta(minutes=5)  # a run that died 5 minutes ago
        claimed = outbox.claim(s, "dead-run", n, before, [shop.id])
    return c, claimed


def test_after_a_crash_a_message_the_provider_has_is_marked_sent_and_never_resent(sessions):
    c, claimed = _left_sending(sessions, 3)
    gateway = ScriptedGateway(lookups={
        sms_seed.mobile(0): Lookup(Finding.FOUND, "SM" + "a" * 32, "delivered"),
        sms_seed.mobile(1): Lookup(Finding.CANNOT_TELL),
    })  # fmt: skip
    sender = _sender(sessions, gateway)
    settled = sender.reconcile()
    assert settled == {"sent": 1, "queued": 1, "unknown": 1}
    sender.send_batch([claimed[0].store_id])
    assert gateway.sent == [sms_seed.mobile(2)]  # only the one the provider surely lacks
    assert _states(sessions, c.id) == {"sent": 2, "unknown": 1}


def test_a_lookup_that_keeps_failing_leaves_the_row_unknown_for_a_supervisor(sessions):
    c, claimed = _left_sending(sessions, 1)
    gateway = ScriptedGateway(lookups={sms_seed.mobile(0): Lookup(Finding.UNREACHABLE)})
    for _ in range(outbox.MAX_LOOKUPS):
        with session_scope(sessions) as s:
            outbox.reconciled(s, claimed[0].id, Finding.UNREACHABLE, NOW, "fake")
    assert _states(sessions, c.id) == {"unknown": 1} and gateway.sent == []
    with session_scope(sessions) as s:
        assert outbox.resolve_unknown(s, claimed[0].id, resend=True, user_id=None, now=NOW)
        assert not outbox.resolve_unknown(s, claimed[0].id, resend=True, user_id=None, now=NOW)
    assert _states(sessions, c.id) == {"queued": 1}


def test_a_row_another_run_is_sending_right_now_is_not_looked_up_yet(sessions):
    _, claimed = _left_sending(sessions, 1)
    gateway = ScriptedGateway()
    sender = OutboxSender(sessions, gateway, TokenBucket(100), SendPolicy(settle_s=10**9))
    assert sender.reconcile() == Counter() and gateway.looked_up == []


# ---------- delivery reports ----------


def _sent(sessions):
    with session_scope(sessions) as s:
        shop = sms_seed.store(s)
        c = sms_seed.campaign(s, shop, sms_seed.customers(s, shop, 1))
        row = outbox.claim(s, "run", 1, NOW, [shop.id])[0]
        outbox.apply(
            s, "twilio", [outbox.Result(row.id, outbox.Outcome.SENT, "SM1", "queued")], NOW
        )
    return c, row.id


def _report(sessions, status, code=None, sid="SM1", outbox_id=None):
    with session_scope(sessions) as s:
        report = reports.Report("twilio", sid, status, code, outbox_id)
        return reports.apply_report(s, report, NOW)


def test_a_delivery_report_is_applied_once_and_forward_only(sessions):
    c, _ = _sent(sessions)
    assert _report(sessions, "delivered") is reports.Applied.APPLIED
    assert _report(sessions, "delivered") is reports.Applied.REPEATED
    assert _report(sessions, "sent") is reports.Applied.STALE  # late, out of order
    assert _states(sessions, c.id) == {"delivered": 1}
    assert _report(sessions, "delivered", sid="SM-not-ours") is reports.Applied.UNMATCHED


def test_undelivered_21610_opts_the_customer_out(sessions):
    c, _ = _sent(sessions)
    _report(sessions, "undelivered", 21610)
    assert _states(sessions, c.id) == {"opted_out": 1}


def test_a_report_naming_a_row_a_crash_left_sending_settles_it(sessions):
    c, claimed = _left_sending(sessions, 1)
    assert _report(sessions, "sent", sid="SM9", outbox_id=claimed[0].id) is reports.Applied.APPLIED
    with session_scope(sessions) as s:
        row = s.get_one(SmsOutbox, claimed[0].id)
        assert (row.state, row.provider_id) == (State.SENT, "SM9")


# ---------- replies ----------


def _reply(sessions, body, sid="SMin1", phone=None):
    with session_scope(sessions) as s:
        msg = replies.Inbound("twilio", sid, phone or sms_seed.mobile(0), "+8651268008001", body)
        return replies.receive(s, msg, NOW + timedelta(minutes=5))


@pytest.mark.parametrize("word", ["STOP", "退订", "TD", "T", "R", "unsubscribe"])
def test_an_opt_out_reply_withdraws_marketing_consent_at_once_and_is_acknowledged(sessions, word):
    c, _ = _sent(sessions)
    received = _reply(sessions, f" {word}。")
    assert received.intent is Intent.OPT_OUT and "START" in received.acknowledgement
    with session_scope(sessions) as s:
        customer_id = s.scalar(select(SmsOutbox.customer_id).where(SmsOutbox.campaign_id == c.id))
        assert (
            consent.allows(s, customer_id, consent.Channel.SMS, consent.Purpose.MARKETING) is False
        )
    assert _reply(sessions, "START", sid="SMin2").intent is Intent.OPT_IN
    with session_scope(sessions) as s:
        assert consent.allows(s, customer_id, consent.Channel.SMS, consent.Purpose.MARKETING)


def test_the_same_reply_delivered_twice_is_kept_once_and_acknowledged_once(sessions):
    _sent(sessions)
    assert _reply(sessions, "TD").acknowledgement
    again = _reply(sessions, "TD")
    assert again.repeated and again.acknowledgement is None


def test_an_rsvp_code_answers_the_event_notice_the_number_got_last(sessions):
    with session_scope(sessions) as s:
        shop = sms_seed.store(s)
        c = sms_seed.campaign(s, shop, sms_seed.customers(s, shop, 1), kind=Kind.EVENT,
                              body="{customer}，车主讲堂周六开讲。", rsvp=True)  # fmt: skip
        row = outbox.claim(s, "run", 1, NOW, [shop.id])[0]
        outbox.apply(s, "twilio", [outbox.Result(row.id, outbox.Outcome.SENT, "SM1")], NOW)
        assert s.get_one(SmsOutbox, row.id).body.endswith("回复1报名，回复2不参加，回T退订")
    assert _reply(sessions, "1").intent is Intent.RSVP_YES
    assert _reply(sessions, "2", sid="SMin2").intent is Intent.RSVP_NO
    with session_scope(sessions) as s:
        assert s.scalars(select(SmsRsvp.coming).where(SmsRsvp.campaign_id == c.id)).all() == [False]


def test_a_campaign_with_nothing_left_to_send_is_done(sessions):
    from storage.sms import campaigns

    c, _ = _sent(sessions)
    with session_scope(sessions) as s:
        assert campaigns.finish_done(s, NOW) == [c.id]
        assert s.get_one(SmsCampaign, c.id).state == CampaignState.DONE


def test_a_transient_failure_reported_after_the_campaign_finished_is_still_retried(sessions):
    from storage.sms import campaigns

    c, row_id = _sent(sessions)
    with session_scope(sessions) as s:
        assert campaigns.finish_done(s, NOW) == [c.id]
    _report(sessions, "undelivered", 30003)  # handset unreachable: try again in an hour
    with session_scope(sessions) as s:
        assert s.get_one(SmsCampaign, c.id).state == CampaignState.SENDING
        due = outbox.claim(s, "later", 10, NOW + reports.RETRY_AFTER, [c.store_id])
        assert [d.id for d in due] == [row_id], "without it the row would wait forever"


def test_a_message_resent_by_a_supervisor_after_the_campaign_finished_goes_out(sessions):
    from storage.sms import campaigns

    c, claimed = _left_sending(sessions, 1)
    with session_scope(sessions) as s:
        boss = personas.person(s, s.get_one(Store, c.store_id), "boss", "周主管", Role.CENTRE_HEAD)
        outbox.reconciled(s, claimed[0].id, Finding.CANNOT_TELL, NOW, "twilio")
        assert campaigns.finish_done(s, NOW) == [c.id]  # unknown rows wait on their own list
        assert outbox.resolve_unknown(s, claimed[0].id, True, boss.id, NOW)
    with session_scope(sessions) as s:
        assert s.get_one(SmsCampaign, c.id).state == CampaignState.SENDING
        assert [d.id for d in outbox.claim(s, "again", 10, NOW, [c.store_id])] == [claimed[0].id]


def test_a_cancelled_campaign_is_not_reopened_by_a_late_transient_failure(sessions):
    c, _ = _sent(sessions)
    with session_scope(sessions) as s:
        s.get_one(SmsCampaign, c.id).state = CampaignState.CANCELLED
    _report(sessions, "undelivered", 30003)
    with session_scope(sessions) as s:
        assert s.get_one(SmsCampaign, c.id).state == CampaignState.CANCELLED


# ---------- several senders side by side ----------


def test_a_late_lookup_leaves_a_row_another_sender_settled_and_claimed_again_alone(sessions):
    """Two senders settled the same stale row: the first queued it again and a live run claimed
    and is sending it; the second's finding (absent, looked up before) must not queue it again,
    or it would go out twice."""
    c, claimed = _left_sending(sessions, 1)
    row = claimed[0]
    with session_scope(sessions) as s:
        assert outbox.reconciled(s, row.id, Finding.ABSENT, NOW, "fake", seen_claim=row.claim)
        assert [r.id for r in outbox.claim(s, "live-run", 1, NOW, [row.store_id])] == [row.id]
    with session_scope(sessions) as s:
        state = outbox.reconciled(s, row.id, Finding.ABSENT, NOW, "fake", seen_claim=row.claim)
    assert state == State.SENDING
    with session_scope(sessions) as s:
        again = s.get_one(SmsOutbox, row.id)
        assert (again.state, again.claim) == (State.SENDING, "live-run")
    assert _states(sessions, c.id) == {"sending": 1}


def test_senders_claiming_at_the_same_moment_never_take_the_same_row(sessions):
    import threading

    with session_scope(sessions) as s:
        shop = sms_seed.store(s)
        sms_seed.campaign(s, shop, sms_seed.customers(s, shop, 40))
    start = threading.Barrier(4)
    taken: dict[str, list[int]] = {}

    def claim(token: str) -> None:
        start.wait()
        with session_scope(sessions) as s:
            taken[token] = [r.id for r in outbox.claim(s, token, 15, NOW, [shop.id])]

    threads = [threading.Thread(target=claim, args=(f"run-{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [i for ids in taken.values() for i in ids]
    assert len(every) == len(set(every)) == 40  # none twice, and between them all the rows
    assert max(len(ids) for ids in taken.values()) <= 15
    with session_scope(sessions) as s:
        for token, ids in taken.items():
            rows = s.scalars(select(SmsOutbox).where(SmsOutbox.id.in_(ids))).all()
            assert {(r.state, r.claim, r.attempts) for r in rows} <= {(State.SENDING, token, 1)}


def test_a_claimed_row_not_sent_within_half_the_settle_time_goes_back_unsent(sessions):
    """After long 429 pauses a claimed row would soon look left by a gone run to the others:
    it is put back in the queue, not sent, and the try is not counted."""
    with session_scope(sessions) as s:
        shop = sms_seed.store(s)
        c = sms_seed.campaign(s, shop, sms_seed.customers(s, shop, 2))
    moments = iter([0.0, 31.0, 31.0])  # claimed at 0; the rate lets it go at 31 s
    gateway = ScriptedGateway()
    sender = OutboxSender(
        sessions, gateway, TokenBucket(1000), SendPolicy(workers=1, settle_s=60),
        monotonic=lambda: next(moments),
    )  # fmt: skip
    assert sender.send_batch([shop.id]) == {"not_taken": 2}
    sender.close()
    assert gateway.sent == [] and _states(sessions, c.id) == {"queued": 2}
    with session_scope(sessions) as s:
        assert {r.attempts for r in s.scalars(select(SmsOutbox))} == {0}


def test_a_live_run_settles_the_rows_a_sender_killed_meanwhile_left_without_a_restart(sessions):
    """Several senders: one dies while the others send; its rows are settled by them once stale
    (every settle_s / 2), each recipient still getting one message."""
    with session_scope(sessions) as s:
        shop = sms_seed.store(s)
        c = sms_seed.campaign(s, shop, sms_seed.customers(s, shop, 700))
        # another sender claims two rows now, then is killed before sending them
        outbox.claim(s, "killed-run", 2, datetime.now(UTC), [shop.id])
    gateway = ScriptedGateway()
    # settled once 4 s old (a live run's rows never are: a row not sent within 2 s goes back)
    sender = OutboxSender(sessions, gateway, TokenBucket(100), SendPolicy(workers=4, settle_s=4))
    done = sender.run(lambda: [shop.id], until=datetime.now(UTC) + timedelta(seconds=30))
    sender.close()
    assert done["reconciled_queued"] == 2  # not at the start (fresh then), 4-6 s later
    assert len(gateway.sent) == len(set(gateway.sent)) == 700
    assert _states(sessions, c.id) == {"sent": 700}
