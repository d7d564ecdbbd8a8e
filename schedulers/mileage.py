"""A car's mileage, estimated from its odometer history (DOMAIN.md: maintenance reminders by
mileage band; fallback 40 km a day), and the service bands."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

MIN_SPAN_DAYS = 30  # readings closer together than this say little about daily use


@dataclass(frozen=True)
class Odometer:
    """A linear estimate: ``km`` read on ``on``, ``per_day`` since (and before). ``known`` is
    False for a car with neither a reading nor a delivery date: nothing anchors its mileage, and
    rules by km do not apply to it."""

    km: float
    on: date
    per_day: float
    known: bool = True

    @classmethod
    def estimate(
        cls,
        readings: Sequence[tuple[date, int]],
        delivered_on: date | None,
        fallback_per_day: float,
    ) -> Odometer:
        """From repair orders' odometer readings, oldest first (and the delivery at 0 km): the
        daily rate between the first and the last reading when they are a month or more apart."""
        # by day; readings of one day in the order given (the order they were taken in)
        points = sorted(
            ((day, km) for day, km in readings if km is not None and km >= 0), key=lambda p: p[0]
        )
        if delivered_on is not None and (not points or points[0][0] > delivered_on):
            points.insert(0, (delivered_on, 0))
        if not points:
            return cls(0.0, date.min, fallback_per_day, known=False)
        (first_day, first_km), (last_day, last_km) = points[0], points[-1]
        span = (last_day - first_day).days
        rate = fallback_per_day
        if span >= MIN_SPAN_DAYS and last_km > first_km:
            rate = (last_km - first_km) / span
        return cls(float(last_km), last_day, rate)

    def at(self, day: date) -> float:
        return max(0.0, self.km + self.per_day * (day - self.on).days)

    def reaches(self, km: float, after: date) -> date:
        """The first day, not before ``after``, on which the estimate reaches ``km``; never
        (``date.max``) when the car's mileage is not known.

        >>> Odometer(4900.0, date(2026, 5, 2), 40.0).reaches(9500, after=date(2026, 5, 2))
        datetime.date(2026, 8, 25)
        >>> Odometer.estimate([], None, 40.0).reaches(9500, after=date(2026, 5, 2))
        datetime.date(9999, 12, 31)
        """
        if not self.known:
            return date.max
        days = math.ceil((km - self.km) / self.per_day) if self.per_day > 0 else 36500
        return max(after, self.on + timedelta(days=days))


def next_band(km: float, bands: Sequence[tuple[int, int]], every_km: int, tolerance_km: int) -> int:
    """The low end of the next service band above ``km``: the listed bands (4,500-5,500;
    9,500-10,500), then every 10,000 km +/- 500 (19,500-20,500, 29,500-30,500, ...).

    >>> next_band(0, ((4500, 5500), (9500, 10500)), 10000, 500)
    4500
    >>> next_band(5000, ((4500, 5500), (9500, 10500)), 10000, 500)
    9500
    >>> next_band(9800, ((4500, 5500), (9500, 10500)), 10000, 500)
    19500
    >>> next_band(20400, ((4500, 5500), (9500, 10500)), 10000, 500)
    29500
    """
    for low, _high in bands:
        if low > km:
            return low
    floor = max([km, *(high for _, high in bands)])
    n = int((floor + tolerance_km) // every_km) + 1
    return n * every_km - tolerance_km
