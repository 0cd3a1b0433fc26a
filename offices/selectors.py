"""Reads over dossiers and the holiday calendar: working days, timeliness rates, apologies.

Every rate is counted in the database with ``aggregate(Count(filter=...))``
over the derived columns ``received_on``, ``due_on``, ``finished_on`` and
``outcome`` (local dates in Asia/Ho_Chi_Minh, see ``Dossier.refresh_derived``).
The definitions are written out in docs/RATES.md.
"""

import datetime as dt

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from offices.models import Dossier, Holiday, HolidayKind
from portal.lib.workdays import add_working_days


def holiday_calendar(
    *, start: dt.date | None = None, end: dt.date | None = None
) -> tuple[frozenset, frozenset]:
    """Return (holidays, extra working days) between ``start`` and ``end`` (open ends allowed).

    One query on the Holiday table.
    """
    days = Holiday.objects.all()
    if start is not None:
        days = days.filter(date__gte=start)
    if end is not None:
        days = days.filter(date__lte=end)
    holidays, working = set(), set()
    for day, kind in days.values_list("date", "kind"):
        (working if kind == HolidayKind.WORKING_DAY else holidays).add(day)
    return frozenset(holidays), frozenset(working)


def working_day_add(*, start: dt.date, days: int) -> dt.date:
    """Return the date ``days`` working days after ``start`` (start not counted).

    Weekends, public holidays and compensating working days come from the
    Holiday table (one query). E.g. a complaint received on ``start`` is due
    on ``working_day_add(start=start, days=15)``.
    """
    if days >= 0:
        holidays, working = holiday_calendar(start=start)
    else:
        holidays, working = holiday_calendar(end=start)
    return add_working_days(start, days, holidays=holidays, extra_working_days=working)


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _counted(dossiers: QuerySet) -> QuerySet:
    return dossiers.exclude(status__in=Dossier.EXCLUDED_STATUSES)


def dossier_on_time_766(
    *, dossiers: QuerySet, start: dt.date, end: dt.date, today: dt.date | None = None
) -> dict:
    """Return the National Portal (Decision 766) on-time rate of ``dossiers`` for [start, end].

    rate = (finished in the period early or on time + open at the judging
    day and within deadline) / (finished in the period + open at the judging
    day). The judging day is ``end``, or ``today`` while the period is not
    over. Open: received on or before it and not finished by it; within
    deadline: effective due day on or after it and at most one request for
    extra papers. Refused, withdrawn and stopped dossiers (3, 7, 8) are left
    out. One aggregate query.
    """
    judged = min(end, today or timezone.localdate())
    finished = Q(finished_on__gte=start, finished_on__lte=end)
    open_at_end = Q(received_on__lte=judged) & (
        Q(finished_on__isnull=True) | Q(finished_on__gt=judged)
    )
    within = open_at_end & Q(due_on__gte=judged, supplement_requests__lte=1)
    counts = _counted(dossiers).aggregate(
        finished=Count("pk", filter=finished),
        early=Count("pk", filter=finished & Q(outcome="early")),
        on_time=Count("pk", filter=finished & Q(outcome="on_time")),
        late=Count("pk", filter=finished & Q(outcome="late")),
        open=Count("pk", filter=open_at_end),
        open_within=Count("pk", filter=within),
    )
    numerator = counts["early"] + counts["on_time"] + counts["open_within"]
    denominator = counts["finished"] + counts["open"]
    return {
        "definition": "766",
        "start": start,
        "end": end,
        **counts,
        "open_overdue": counts["open"] - counts["open_within"],
        "numerator": numerator,
        "denominator": denominator,
        "rate": _rate(numerator, denominator),
    }


def dossier_on_time_simple(*, dossiers: QuerySet, start: dt.date, end: dt.date) -> dict:
    """Return the simple on-time rate: finished early or on time / finished, in [start, end].

    Open dossiers play no part. Refused, withdrawn and stopped dossiers are
    left out. One aggregate query.
    """
    finished = Q(finished_on__gte=start, finished_on__lte=end)
    counts = _counted(dossiers).aggregate(
        finished=Count("pk", filter=finished),
        early=Count("pk", filter=finished & Q(outcome="early")),
        on_time=Count("pk", filter=finished & Q(outcome="on_time")),
        late=Count("pk", filter=finished & Q(outcome="late")),
    )
    numerator = counts["early"] + counts["on_time"]
    return {
        "definition": "simple",
        "start": start,
        "end": end,
        **counts,
        "numerator": numerator,
        "denominator": counts["finished"],
        "rate": _rate(numerator, counts["finished"]),
    }


def dossiers_late_without_apology(*, dossiers: QuerySet, as_of: dt.date) -> QuerySet:
    """Return the dossiers that are late on ``as_of`` and have no apology letter yet.

    Late: finished late by ``as_of``, or still open on ``as_of`` with the
    effective due day before it. Refused, withdrawn and stopped dossiers are
    left out.
    """
    finished_late = Q(outcome="late", finished_on__lte=as_of)
    open_overdue = (
        Q(received_on__lte=as_of)
        & (Q(finished_on__isnull=True) | Q(finished_on__gt=as_of))
        & Q(due_on__lt=as_of)
    )
    return _counted(dossiers).filter(finished_late | open_overdue, apology_issued_at__isnull=True)


def dossiers_late_without_apology_count(*, dossiers: QuerySet, as_of: dt.date) -> int:
    """Return how many dossiers are late on ``as_of`` without an apology (one COUNT query)."""
    return dossiers_late_without_apology(dossiers=dossiers, as_of=as_of).count()
