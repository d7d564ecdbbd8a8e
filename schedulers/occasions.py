"""Which greeting occasions fall on a day (DOMAIN.md, "Customer care and bulk SMS"): the Spring
Festival (lunar 1-1) and the Lantern Festival (lunar 1-15) from ``lunar_python``'s Chinese
calendar, Women's Day (female customers only), May Day, National Day and New Year's Day; and
whose birthday it is."""

from __future__ import annotations

from datetime import date

from lunar_python import Lunar

from storage.sms.codes import Occasion

FIXED = {
    (1, 1): Occasion.NEW_YEAR,
    (3, 8): Occasion.WOMENS_DAY,
    (5, 1): Occasion.MAY_DAY,
    (10, 1): Occasion.NATIONAL_DAY,
}
LUNAR = {(1, 1): Occasion.SPRING_FESTIVAL, (1, 15): Occasion.LANTERN_FESTIVAL}
FEMALE_ONLY = frozenset({Occasion.WOMENS_DAY})


def lunar_date(year: int, month: int, day: int) -> date:
    """The Gregorian date of a lunar month and day in the lunar year starting in ``year``."""
    solar = Lunar.fromYmd(year, month, day).getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def occasions_on(day: date) -> set[Occasion]:
    found = {o for (m, d), o in FIXED.items() if (day.month, day.day) == (m, d)}
    found |= {o for (m, d), o in LUNAR.items() if lunar_date(day.year, m, d) == day}
    return found


def birthday_today(birthday: date, today: date) -> bool:
    """29 February birthdays are greeted on 28 February in other years."""
    if (birthday.month, birthday.day) == (2, 29) and not _leap(today.year):
        return (today.month, today.day) == (2, 28)
    return (birthday.month, birthday.day) == (today.month, today.day)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
