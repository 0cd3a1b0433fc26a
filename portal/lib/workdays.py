"""Working-day arithmetic (no database).

A working day is Monday to Friday unless it is a public holiday, plus any
weekend day declared a compensating working day (ngày làm bù). Callers pass
the two sets of dates; ``offices.selectors`` reads them from the Holiday
table.
"""

import datetime
from collections.abc import Collection

_EMPTY: frozenset[datetime.date] = frozenset()


def is_working_day(
    day: datetime.date,
    *,
    holidays: Collection[datetime.date] = _EMPTY,
    extra_working_days: Collection[datetime.date] = _EMPTY,
) -> bool:
    """Return True when ``day`` is a working day (a declared working day wins over a holiday)."""
    if day in extra_working_days:
        return True
    if day in holidays:
        return False
    return day.weekday() < 5


def add_working_days(
    start: datetime.date,
    n: int,
    *,
    holidays: Collection[datetime.date] = _EMPTY,
    extra_working_days: Collection[datetime.date] = _EMPTY,
) -> datetime.date:
    """Return the date ``n`` working days after ``start`` (``start`` itself not counted).

    ``n == 0`` returns ``start`` unchanged; a negative ``n`` counts backwards.
    Friday + 1 is Monday; Saturday + 1 is also Monday.
    """
    step = 1 if n >= 0 else -1
    remaining = abs(n)
    day = start
    while remaining:
        day += datetime.timedelta(days=step)
        if is_working_day(day, holidays=holidays, extra_working_days=extra_working_days):
            remaining -= 1
    return day


def working_days_between(
    start: datetime.date,
    end: datetime.date,
    *,
    holidays: Collection[datetime.date] = _EMPTY,
    extra_working_days: Collection[datetime.date] = _EMPTY,
) -> int:
    """Return the number of working days ``d`` with ``start < d <= end``.

    Negative (the count of working days in ``end < d <= start``, negated) when
    ``end`` is before ``start``; so ``add_working_days(start, k)`` for
    ``k = working_days_between(start, end) > 0`` is the last working day on or
    before ``end``.
    """
    if end < start:
        return -working_days_between(
            end, start, holidays=holidays, extra_working_days=extra_working_days
        )
    total = 0
    # Whole weeks hold five weekdays; only the remainder is walked day by day.
    days = (end - start).days
    weeks, rest = divmod(days, 7)
    total = weeks * 5
    day = start + datetime.timedelta(days=weeks * 7)
    for _ in range(rest):
        day += datetime.timedelta(days=1)
        if day.weekday() < 5:
            total += 1
    for h in holidays:
        if start < h <= end and h.weekday() < 5 and h not in extra_working_days:
            total -= 1
    for w in extra_working_days:
        if start < w <= end and w.weekday() >= 5:
            total += 1
    return total
