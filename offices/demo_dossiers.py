"""Twelve months of demo dossiers for the demo offices (deterministic, bulk inserted).

Volumes per working day: the provincial service centre 200–260, department
counters 10–30, district counters 20–45; commune counters 10–30 a week.
Channels mostly at the counter, a third online, a little by post; ~3 % late,
most late ones with an apology; ~2 % refused, withdrawn or stopped; recent
dossiers still open. Codes are stable (``<office>-<yymmdd>-<n>``), so a re-run
on the same day upserts the same rows.
"""

import datetime as dt
import random
import zoneinfo
from functools import cache

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from offices.models import Channel, DayKind, Dossier, DossierStatus, Office, OfficeKind, Procedure
from offices.selectors import holiday_calendar
from portal.lib.workdays import add_working_days, is_working_day

PER_WORKING_DAY = {
    OfficeKind.SERVICE_CENTRE: (200, 260),
    OfficeKind.DEPARTMENT: (10, 30),
    OfficeKind.DISTRICT_ONE_STOP: (20, 45),
    OfficeKind.OTHER: (5, 20),
}
COMMUNE_PER_WEEK = (10, 30)
CHANNELS = [Channel.DIRECT] * 60 + [Channel.ONLINE] * 35 + [Channel.POSTAL] * 5
REASONS = [
    "Chờ ý kiến phối hợp của cơ quan liên quan",
    "Hồ sơ phải xác minh thực địa",
    "Hệ thống phần mềm gián đoạn",
    "Cán bộ thụ lý nghỉ ốm đột xuất",
]
UPDATE_FIELDS = [
    "office",
    "procedure",
    "channel",
    "status",
    "received_at",
    "due_at",
    "finished_at",
    "returned_at",
    "supplement_days",
    "supplement_requests",
    "apology_issued_at",
    "apology_reason",
    "apology_new_due_at",
    "officer",
    "received_on",
    "due_on",
    "finished_on",
    "outcome",
]


def _tz():
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _at(day: dt.date, rnd: random.Random, start=450, end=990) -> dt.datetime:
    """Return a local time between 7:30 and 16:30 on ``day``."""
    minutes = rnd.randint(start, end)
    return dt.datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, tzinfo=_tz())


def _local(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=_tz())


def _procedures_for(office: Office, by_level: dict) -> list:
    offered = list(office.procedures.all())
    if offered:
        return offered
    level = {
        OfficeKind.SERVICE_CENTRE: "province",
        OfficeKind.DEPARTMENT: "province",
        OfficeKind.DISTRICT_ONE_STOP: "district",
        OfficeKind.COMMUNE_ONE_STOP: "commune",
    }.get(office.kind, "district")
    return by_level.get(level) or [p for ps in by_level.values() for p in ps]


def _dossier(office, day, n, rnd, procedure, officers, today, due_for) -> Dossier:
    received = _at(day, rnd)
    due_day = due_for(day, procedure.legal_days, procedure.day_kind)
    requests = 0
    roll = rnd.random()
    if roll < 0.005:
        requests = 2
    elif roll < 0.08:
        requests = 1
    waited = rnd.randint(1, 5) if requests else 0
    effective_due = due_day + dt.timedelta(days=waited)
    d = Dossier(
        code=f"{office.code}-{day:%y%m%d}-{n:04d}",
        office_id=office.pk,
        procedure_id=procedure.pk,
        channel=rnd.choice(CHANNELS),
        received_at=received,
        due_at=_local(due_day, 17),
        supplement_days=waited,
        supplement_requests=requests,
        officer_id=rnd.choice(officers) if officers else None,
    )
    fate = rnd.random()
    if fate < 0.02:
        d.status = rnd.choice(
            [DossierStatus.REFUSED, DossierStatus.WITHDRAWN, DossierStatus.STOPPED]
        )
        if d.status != DossierStatus.REFUSED:
            end = min(today, day + dt.timedelta(days=rnd.randint(0, 5)))
            d.finished_at = max(received, _at(end, rnd))
        return d
    late = fate < 0.05 or requests > 1
    if late:
        finish_day = effective_due + dt.timedelta(days=rnd.randint(1, 6))
    else:
        span = (effective_due - day).days
        finish_day = day + dt.timedelta(days=rnd.randint(max(0, span - 3), max(0, span)))
    if finish_day >= today:
        # Not finished yet: still being handled (a few of them already overdue).
        d.status = rnd.choice(
            [
                DossierStatus.RECEIVED,
                DossierStatus.IN_PROGRESS,
                DossierStatus.IN_PROGRESS,
                DossierStatus.PAYMENT,
            ]
        )
        if requests:
            d.status = DossierStatus.SUPPLEMENT
        if late and effective_due < today and rnd.random() < 0.6:
            d.apology_issued_at = effective_due
            d.apology_reason = rnd.choice(REASONS)
            d.apology_new_due_at = today + dt.timedelta(days=rnd.randint(1, 5))
        return d
    d.finished_at = max(received, _at(finish_day, rnd))
    if rnd.random() < 0.85:
        d.status = DossierStatus.RETURNED
        d.returned_at = min(
            d.finished_at + dt.timedelta(hours=rnd.randint(1, 72)),
            _local(today, 7),
        )
        d.returned_at = max(d.returned_at, d.finished_at)
    else:
        d.status = DossierStatus.FINISHED
    if late and rnd.random() < 0.85:
        d.apology_issued_at = min(effective_due + dt.timedelta(days=1), finish_day)
        d.apology_reason = rnd.choice(REASONS)
        d.apology_new_due_at = finish_day
    return d


def demo_dossiers_seed(
    *, offices: list, seed: int, today: dt.date | None = None, months: int = 12
) -> int:
    """Upsert ``months`` of demo dossiers for ``offices`` ending yesterday; return the count.

    Deterministic for a given ``seed`` and ``today`` (one ``random.Random``
    per office). ``refresh_derived()`` runs on every object before the
    batched ``bulk_create(update_conflicts=True)``.
    """
    today = today or timezone.localdate()
    start = today - dt.timedelta(days=round(months * 30.44))
    holidays, working = holiday_calendar(start=start - dt.timedelta(days=7))

    @cache
    def due_for(day, days, kind):
        if kind == DayKind.WORKING:
            return add_working_days(day, days, holidays=holidays, extra_working_days=working)
        return day + dt.timedelta(days=days)

    by_level = {}
    for p in Procedure.objects.filter(active=True):
        by_level.setdefault(p.level, []).append(p)
    total = 0
    batch = []

    def flush():
        Dossier.objects.bulk_create(
            batch, update_conflicts=True, unique_fields=["code"], update_fields=UPDATE_FIELDS
        )
        batch.clear()

    with transaction.atomic():
        for office in sorted(offices, key=lambda o: o.code):
            rnd = random.Random(f"{seed}-dossiers-{office.code}")
            procedures = _procedures_for(office, by_level)
            officers = list(office.officers.filter(active=True).values_list("pk", flat=True))
            if not procedures:
                continue
            day = start
            while day < today:
                if not is_working_day(day, holidays=holidays, extra_working_days=working):
                    day += dt.timedelta(days=1)
                    continue
                if office.kind == OfficeKind.COMMUNE_ONE_STOP:
                    low, high = COMMUNE_PER_WEEK
                    count = rnd.randint(round(low / 5), round(high / 5))
                else:
                    count = rnd.randint(*PER_WORKING_DAY.get(office.kind, (5, 20)))
                for n in range(1, count + 1):
                    d = _dossier(
                        office, day, n, rnd, rnd.choice(procedures), officers, today, due_for
                    )
                    d.refresh_derived()
                    batch.append(d)
                    if len(batch) >= 5000:
                        total += len(batch)
                        flush()
                day += dt.timedelta(days=1)
        total += len(batch)
        if batch:
            flush()
    return total
