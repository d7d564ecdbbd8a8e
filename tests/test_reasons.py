"""The agent reads why a follow-up is due, in their language, from the planner's facts."""

from datetime import date
from zoneinfo import ZoneInfo

from console.reasons import reason_text
from schedulers.mileage import Odometer
from schedulers.rules import first_maintenance, maintenance
from schedulers.timing import Timing

T = Timing(tz=ZoneInfo("Asia/Shanghai"))


def test_a_maintenance_reminder_says_the_estimated_mileage_and_the_last_service():
    odo = Odometer(km=4900, on=date(2026, 5, 2), per_day=45)
    reason = maintenance(date(2026, 5, 2), odo, T).reason
    assert reason_text(reason, "zh_Hans") == "预计行驶 9,500 公里，上次保养 2026-05-02"
    assert reason_text(reason, "en") == "Estimated 9,500 km, last service 2026-05-02"


def test_a_first_service_reminder_says_the_store_s_own_months():
    reason = first_maintenance(
        date(2026, 9, 1),
        Timing(first_service_months=4),
        Odometer.estimate((), date(2026, 9, 1), 40.0),
    ).reason
    assert "4 个月" in reason_text(reason, "zh_Hans")


def test_an_older_plain_text_reason_is_shown_as_it_is():
    assert reason_text("RO-1 closed 2026-11-18 16:40", "en") == "RO-1 closed 2026-11-18 16:40"
    assert reason_text(None, "en") == ""
