"""Why a follow-up is due, in the agent's language: the planner stores a compact JSON reason
on each task item (``{"why": "maintenance_km", "km": 9800, "last": "2026-05-02"}``,
schedulers/rules.py); this words it."""

from __future__ import annotations

import json

REASONS: dict[str, tuple[str, str]] = {  # why -> (zh_Hans, en)
    "delivered": ("{at}{on} 交车", "Delivered {at}{on}"),
    "ro_closed": ("维修工单 {ro} 于 {at} 结算出厂", "Repair order {ro} closed {at}"),
    "first_service": (
        "首保预计 {expected}（{km:,} 公里或 {months} 个月）",
        "First service expected {expected} ({km:,} km or {months} months)",
    ),
    "maintenance_km": (
        "预计行驶 {km:,} 公里，上次保养 {last}",
        "Estimated {km:,} km, last service {last}",
    ),
    "maintenance_months": (
        "距上次保养 {last} 已满 {months} 个月",
        "{months} months since the last service on {last}",
    ),
    "no_visit": ("上次进店 {last}，已 {days} 天未到店", "Last visit {last}, {days} days ago"),
    "periodic": (
        "交车后第 {n} 次定期关怀（交车 {delivered}）",
        "Periodic call {n} after delivery on {delivered}",
    ),
    "insurance": ("保险 {expiry} 到期", "Insurance expires {expiry}"),
    "callback": ("客户约定 {at} 回电", "Customer asked for a call back at {at}"),
}


def reason_text(reason: str | None, locale: str) -> str:
    """The stored reason in words; an older plain-text reason is shown as it is."""
    if not reason:
        return ""
    try:
        facts = json.loads(reason)
        template = REASONS[facts.pop("why")]
    except (ValueError, KeyError, TypeError, AttributeError):
        return reason
    text = template[1] if locale.startswith("en") else template[0]
    try:
        return text.format_map(_Blank(facts))
    except (ValueError, TypeError):
        return reason


class _Blank(dict):
    """Missing facts are left out rather than failing the whole text."""

    def __missing__(self, key: str) -> str:
        return ""
