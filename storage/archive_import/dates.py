"""Dates and times as DMS exports write them: 2024-05-06, 2024/5/6, 2024.5.6, 2024年5月6日,
20240506, Excel serial numbers and workbook date cells, each with an optional time of day."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from storage.archive_import.normalize import BadValue, cell_text, narrow

EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 (after Excel's 1900 leap-year bug)
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_SERIAL = re.compile(r"\d{5}(\.\d+)?")
_TIME = re.compile(
    r"(\d{1,2})\s*[:：时点]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2})(?:\.\d+)?\s*秒?)?分?"
)

When = tuple[date, time | None]


def parse_when(raw: object) -> When:
    """A date with its time of day when the cell gives one (midnight counts as none)."""
    if isinstance(raw, datetime):
        return raw.date(), (raw.time() if raw.time() != time() else None)
    if isinstance(raw, date):
        return raw, None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return _serial(float(raw))
    text = narrow(cell_text(raw))
    if _SERIAL.fullmatch(text):
        return _serial(float(text))
    if found := _COMPACT.fullmatch(text):
        return _date(*found.groups(), text=text), None
    found = _DATE.match(text)
    if not found:
        raise BadValue(f"{text!r} is not a date")
    day = _date(*found.groups(), text=text)
    rest = text[found.end() :].strip(" T")
    return day, (_time_text(rest) if rest else None)


def parse_date(raw: object) -> date:
    return parse_when(raw)[0]


def parse_time(raw: object) -> time:
    """A time of day: 14:30, 14:30:00, 14时30分, a workbook time cell or a day fraction."""
    if isinstance(raw, time):
        return raw.replace(microsecond=0)
    if isinstance(raw, float) and 0 <= raw < 1:
        return _fraction(raw)
    text = narrow(cell_text(raw))
    if _TIME.fullmatch(text):
        return _time_text(text)
    moment = parse_when(raw)[1]
    if moment is None:
        raise BadValue(f"{text!r} is not a time of day")
    return moment


def to_utc(day: date, moment: time | None, tz: ZoneInfo) -> datetime:
    """A local date (midnight when the time is unknown) as an aware UTC datetime."""
    return datetime.combine(day, moment or time(), tzinfo=tz).astimezone(UTC)


def _date(year: str, month: str, day: str, *, text: str) -> date:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise BadValue(f"{text!r} is not a date") from None


def _time_text(text: str) -> time:
    found = _TIME.fullmatch(text)
    if not found:
        raise BadValue(f"{text!r} is not a time of day")
    hour, minute, second = (int(g or 0) for g in found.groups())
    if hour > 23 or minute > 59 or second > 59:
        raise BadValue(f"{text!r} is not a time of day")
    return time(hour, minute, second)


def _serial(serial: float) -> When:
    if not 1 <= serial < 2958466:  # Excel's range: 1900-01-01 .. 9999-12-31
        raise BadValue(f"{serial:g} is not a date")
    days = int(serial)
    moment = _fraction(serial - days) if serial != days else None
    return EXCEL_EPOCH + timedelta(days=days), moment


def _fraction(part: float) -> time:
    seconds = min(round(part * 86400), 86399)
    return time(seconds // 3600, seconds % 3600 // 60, seconds % 60)
