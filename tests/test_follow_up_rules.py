from datetime import datetime
from zoneinfo import ZoneInfo

from schedulers.rules import repair_3dc
from storage.codes import TaskType

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_repair_3dc_follows_the_worked_example_of_the_manual():
    window = repair_3dc(datetime(2026, 11, 18, 16, 40, tzinfo=SHANGHAI), SHANGHAI)
    assert window.task_type == TaskType.REPAIR_3DC
    assert window.due.isoformat() == "2026-11-19T09:00:00+08:00"
    assert window.deadline.isoformat() == "2026-11-21T23:59:59+08:00"


def test_repair_3dc_counts_days_in_the_store_time_zone_not_utc():
    # 2026-11-18 23:30 in Shanghai is still 2026-11-18 15:30 UTC: day 1 is the 19th locally.
    closed = datetime(2026, 11, 18, 23, 30, tzinfo=SHANGHAI).astimezone(ZoneInfo("UTC"))
    window = repair_3dc(closed, SHANGHAI)
    assert window.due == datetime(2026, 11, 19, 9, 0, tzinfo=SHANGHAI)


def test_repair_3dc_is_overdue_only_after_the_end_of_day_three():
    window = repair_3dc(datetime(2026, 11, 18, 16, 40, tzinfo=SHANGHAI), SHANGHAI)
    assert not window.overdue(datetime(2026, 11, 21, 23, 59, 59, tzinfo=SHANGHAI))
    assert window.overdue(datetime(2026, 11, 22, 0, 0, 0, tzinfo=SHANGHAI))


def test_repair_3dc_older_than_the_horizon_is_not_planned():
    window = repair_3dc(datetime(2026, 11, 1, 10, 0, tzinfo=SHANGHAI), SHANGHAI)
    assert window.beyond_horizon(datetime(2026, 11, 12, 0, 0, 1, tzinfo=SHANGHAI))
    assert not window.beyond_horizon(datetime(2026, 11, 10, 23, 0, tzinfo=SHANGHAI))
