"""A store's follow-up timing: every number of DOMAIN.md's rules, read from its settings
(storage.settings) into plain values the rules use. ``Timing()`` is DOMAIN.md's defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_TZ = ZoneInfo("Asia/Shanghai")
LOOKAHEAD = timedelta(days=7)  # follow-ups falling due this soon are planned now (and merged)


@dataclass(frozen=True)
class Timing:
    tz: ZoneInfo = DEFAULT_TZ
    day_start: time = time(9, 0)
    horizon: timedelta = timedelta(days=7)
    delivery_care_after: timedelta = timedelta(minutes=60)
    delivery_care_deadline: timedelta = timedelta(minutes=120)
    sales_3dc: tuple[int, int] = (1, 3)  # (due day, deadline day)
    sales_7dc: tuple[int, int] = (5, 7)
    repair_3dc: tuple[int, int] = (1, 3)
    first_service_months: int = 3
    first_service_km: int = 5000
    first_service_lead: timedelta = timedelta(days=30)
    first_service_grace: timedelta = timedelta(days=14)
    maintenance_bands: tuple[tuple[int, int], ...] = ((4500, 5500), (9500, 10500))
    maintenance_every_km: int = 10000
    tolerance_km: int = 500
    maintenance_months: int = 6
    maintenance_deadline: timedelta = timedelta(days=30)
    km_per_day: float = 40.0
    churn_no_visit: timedelta = timedelta(days=90)
    churn_km: int = 8000
    churn_deadline: timedelta = timedelta(days=14)
    churn_new_customer: timedelta = timedelta(days=180)
    local_plate_prefixes: tuple[str, ...] = ()  # empty: every plate is local
    periodic_every_months: int = 3
    periodic_for_months: int = 24
    periodic_deadline: timedelta = timedelta(days=14)
    insurance_lead: timedelta = timedelta(days=45)
    insurance_deadline_before: timedelta = timedelta(days=7)
    callback_deadline: timedelta = timedelta(days=1)
    contact_cap_days: timedelta = timedelta(days=3)
    contact_cap_calls: int = 1
    extra: dict = field(default_factory=dict, compare=False)

    def is_local_plate(self, plate: str | None) -> bool:
        if not self.local_plate_prefixes or not plate:
            return True
        return plate.replace("·", "").upper().startswith(self.local_plate_prefixes)
