"""Scripts in the store: our default is version 1 on first use, an edit is a new version and
never changes an old one, and each call keeps the versions it was read from."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from console.script_wording import default_content
from console.services import desk as desk_service
from console.services import scripts
from console.services.screen_pop import screen_pop
from storage.codes import CustomerKind, TaskType
from storage.db import session_scope
from storage.errors import InvalidInput
from storage.models import CallAttempt, CallScript, CallTask, ScriptVersion, TaskItem
from tests.desk_seed import NOW, answered_call, seed


def pop(sessions, attempt_id, locale="zh_Hans"):
    with session_scope(sessions) as s:
        return screen_pop(s, attempt_id, locale, NOW)


def edited(content, closing="感谢您！再见。"):
    content = {k: v for k, v in content.items()}
    content["closing"] = {"zh_Hans": closing, "en": "Thank you, goodbye."}
    return content


def draft(sessions, agent_id, attempt_id, **data):
    with session_scope(sessions) as s:
        desk_service.save_draft(s, agent_id, {"attempt_id": attempt_id, **data})


def test_the_first_call_stores_our_default_as_version_1_and_records_it(sessions):
    desk = seed(sessions)
    attempt_id = answered_call(sessions, desk.agent)
    script = pop(sessions, attempt_id)["script"]
    with session_scope(sessions) as s:
        [version] = s.scalars(select(ScriptVersion)).all()
        assert (version.number, version.created_by_id) == (1, None)
        assert version.content == default_content(TaskType.REPAIR_3DC, CustomerKind.STANDARD)
        assert (version.script.task_type, version.script.customer_kind) == (
            "repair_3dc",
            "standard",
        )
        # the pop only reads (it is on the answer's hot path); the first draft records
        assert s.get(CallAttempt, attempt_id).script_version_ids is None
    draft(sessions, desk.agent, attempt_id, notes="车况良好")
    with session_scope(sessions) as s:
        assert s.get(CallAttempt, attempt_id).script_version_ids == [version.id]
    assert script["versions"] == [version.id]
    assert [s["step"] for s in script["steps"]][:2] == ["opening", "consent"]
    # the keys today's agent page reads are still there
    assert script["title"] == "维修回访 (3DC)" and "张先生" in script["lines"][0]


def test_an_edit_is_a_new_version_and_leaves_the_old_one_as_it_was(sessions):
    desk = seed(sessions)
    boss = desk.others["centre_head"]
    with session_scope(sessions) as s:
        first = scripts.current_version(s, desk.store, "repair_3dc", "standard")
        original = dict(first.content)
        second = scripts.add_version(
            s, desk.store, "repair_3dc", "standard", edited(original), boss, NOW, "更简短的结束语"
        )
        assert (second.number, second.note, second.created_by_id) == (2, "更简短的结束语", boss)
    with session_scope(sessions) as s:
        versions = s.scalars(select(ScriptVersion).order_by(ScriptVersion.number)).all()
        assert [v.number for v in versions] == [1, 2]
        assert versions[0].content == original
        assert versions[1].content["closing"]["zh_Hans"] == "感谢您！再见。"
        assert scripts.latest(s, desk.store, "repair_3dc", "standard").number == 2


def test_saving_the_script_unchanged_adds_no_version(sessions):
    desk = seed(sessions)
    with session_scope(sessions) as s:
        content = scripts.current_version(s, desk.store, "repair_3dc", "vip").content
    with pytest.raises(scripts.NothingChanged), session_scope(sessions) as s:
        scripts.add_version(s, desk.store, "repair_3dc", "vip", content, None, NOW)
    with session_scope(sessions) as s:
        assert s.query(ScriptVersion).count() == 1


def test_a_malformed_edit_is_refused_and_nothing_is_stored(sessions):
    desk = seed(sessions)
    content = edited(default_content(TaskType.REPAIR_3DC, CustomerKind.STANDARD), "再见 {boss}")
    with pytest.raises(InvalidInput), session_scope(sessions) as s:
        scripts.add_version(s, desk.store, "repair_3dc", "standard", content, None, NOW)
    with session_scope(sessions) as s:
        assert s.query(CallScript).count() == 0


def test_a_call_keeps_its_version_after_an_edit_and_the_next_call_reads_the_new_one(sessions):
    desk = seed(sessions)
    attempt_id = answered_call(sessions, desk.agent)
    v1 = pop(sessions, attempt_id)["script"]["versions"]
    edit_at = NOW + timedelta(minutes=1)  # a centre head saves a new version during the call
    with session_scope(sessions) as s:
        content = scripts.current_version(s, desk.store, "repair_3dc", "standard").content
        v2 = scripts.add_version(s, desk.store, "repair_3dc", "standard", edited(content),
                                 desk.others["centre_head"], edit_at).id  # fmt: skip
    reloaded = pop(sessions, attempt_id)["script"]  # the agent reloads the page mid-call
    assert reloaded["versions"] == v1 and "再见。" not in reloaded["steps"][-1]["text"]
    draft(sessions, desk.agent, attempt_id, notes="客户要求下午三点再打")
    with session_scope(sessions) as s:
        assert s.get(CallAttempt, attempt_id).script_version_ids == v1
    with session_scope(sessions) as s:  # the customer asks to be called back at 15:00
        desk_service.wrap_up(s, desk.agent, {"attempt_id": attempt_id, "code": "call_back_later",
                                             "callback_at": "2026-11-19T15:00"}, NOW)  # fmt: skip
    later = answered_call(sessions, desk.agent, NOW + timedelta(hours=5))
    script = pop(sessions, later)["script"]
    with session_scope(sessions) as s:
        callback = scripts.latest(s, desk.store, "callback", "standard").id
    assert script["versions"] == [callback, v2]  # the booked callback leads the call
    # the leading callback script's closing, with the repair's reminder before it
    assert script["steps"][-1]["text"].endswith("祝您用车愉快，再见！")
    repair = next(x for x in script["steps"] if x.get("task_type") == "repair_3dc")
    assert repair["intro"]  # merged: says why it calls


def test_a_merged_call_records_the_version_of_each_follow_up_it_covers(sessions):
    desk = seed(sessions)
    with session_scope(sessions) as s:
        task = s.scalars(select(CallTask)).one()
        task.items.append(
            TaskItem(store_id=task.store_id, task_type="maintenance", source_ref="service:X:RO-1",
                     due_at=task.due_at, deadline_at=task.deadline_at + timedelta(days=20))
        )  # fmt: skip
    attempt_id = answered_call(sessions, desk.agent)
    script = pop(sessions, attempt_id)["script"]
    draft(sessions, desk.agent, attempt_id, answers={"maintenance": {"book": "yes"}})
    with session_scope(sessions) as s:
        ids = {v.script.task_type: v.id for v in s.scalars(select(ScriptVersion))}
        assert s.get(CallAttempt, attempt_id).script_version_ids == [
            ids["repair_3dc"], ids["maintenance"]
        ]  # fmt: skip
    assert script["versions"] == [ids["repair_3dc"], ids["maintenance"]]
    assert [s["task_type"] for s in script["steps"] if s["step"] == "questions"] == [
        "repair_3dc", "maintenance"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("amount", "grade", "kind"),
    [
        ("680.00", None, "standard"),
        ("680.00", "VIP", "vip"),
        ("15800.00", "VIP", "major_repair"),
    ],
)
def test_the_call_reads_the_script_of_its_customer_kind(sessions, amount, grade, kind):
    desk = seed(sessions, amount=amount, grade=grade)
    script = pop(sessions, answered_call(sessions, desk.agent))["script"]
    assert script["kind"] == kind
    with session_scope(sessions) as s:
        assert s.scalars(select(CallScript.customer_kind)).all() == [kind]


def test_the_major_repair_amount_is_a_store_setting(sessions):
    desk = seed(sessions, amount="6000.00")
    with session_scope(sessions) as s:
        from storage.settings import save_settings

        save_settings(s, desk.store, {"repair.major_amount_yuan": "5000"}, None, NOW)
    assert pop(sessions, answered_call(sessions, desk.agent))["script"]["kind"] == "major_repair"


def test_seeding_twice_keeps_one_version_1(sessions):
    desk = seed(sessions)
    with session_scope(sessions) as s:
        first = scripts.current_version(s, desk.store, "sales_7dc", "company").id
    with session_scope(sessions) as s:
        assert scripts.current_version(s, desk.store, "sales_7dc", "company").id == first
        assert s.query(ScriptVersion).count() == 1


def test_the_screen_pop_says_what_the_agent_should_know_before_speaking(sessions):
    desk = seed(sessions)
    attempt_id = answered_call(sessions, desk.agent)
    data = pop(sessions, attempt_id, "en")
    assert data["consent"] == {
        "call": {"service": True, "marketing": False},
        "sms": {"service": True, "marketing": False},
    }
    assert [c["type"] for c in data["covers"]] == ["repair_3dc"]
    assert data["covers"][0]["plate"] == "苏E3K8Z2"
    assert data["history"] == [] and data["cases"] == []
    assert data["customer"]["visits"][0]["six_qs"] == []
    assert data["draft"]["answers"] == {}
