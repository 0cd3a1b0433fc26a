"""Reporting periods: presets, the previous period of equal length, month buckets."""

import datetime
from dataclasses import dataclass

PRESETS = ("day", "week", "month", "quarter", "year", "custom")


@dataclass(frozen=True)
class Period:
    """An inclusive range of local dates."""

    start: datetime.date
    end: datetime.date

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError(f"period end {self.end} is before its start {self.start}")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "Period":
        """Return the period of equal length that ends the day before this one starts."""
        end = self.start - datetime.timedelta(days=1)
        return Period(end - datetime.timedelta(days=self.days - 1), end)

    def as_dict(self) -> dict:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


def period_for(
    preset: str,
    on: datetime.date,
    *,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> Period:
    """Return the ``preset`` period containing ``on`` (``custom`` uses start/end).

    Weeks start on Monday; quarters are calendar quarters.
    """
    if preset == "day":
        return Period(on, on)
    if preset == "week":
        first = on - datetime.timedelta(days=on.weekday())
        return Period(first, first + datetime.timedelta(days=6))
    if preset == "month":
        return Period(on.replace(day=1), month_end(on))
    if preset == "quarter":
        first_month = 3 * ((on.month - 1) // 3) + 1
        first = on.replace(month=first_month, day=1)
        return Period(first, month_end(first.replace(month=first_month + 2)))
    if preset == "year":
        return Period(on.replace(month=1, day=1), on.replace(month=12, day=31))
    if preset == "custom":
        if start is None or end is None:
            raise ValueError("a custom period needs both start and end")
        return Period(start, end)
    raise ValueError(f"unknown period preset {preset!r}; use one of {', '.join(PRESETS)}")


def month_end(day: datetime.date) -> datetime.date:
    """Return the last day of ``day``'s month."""
    nxt = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return nxt - datetime.timedelta(days=1)


def month_buckets(start: datetime.date, end: datetime.date) -> list[Period]:
    """Return the calendar months overlapping [start, end], clipped to the range."""
    if end < start:
        raise ValueError(f"period end {end} is before its start {start}")
    out = []
    cursor = start
    while cursor <= end:
        last = min(month_end(cursor), end)
        out.append(Period(cursor, last))
        cursor = last + datetime.timedelta(days=1)
    return out


def month_key(day: datetime.date) -> str:
    """Return ``YYYY-MM`` for ``day``."""
    return f"{day.year:04d}-{day.month:02d}"
