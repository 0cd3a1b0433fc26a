"""Server time per dashboard page (p50 / p95) and SQL queries per page, on any loaded database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helper_e \\
        .venv/bin/python bench/dashboards/run.py --repeat 30 --months 12

Picks the province with the most offices (or ``--province CODE --set 2025``),
its district or commune with the most offices, that unit's busiest office and
the office's busiest procedure, and times each page over the ``--months``
months ending on the last day that has roll-up rows. The view functions are
called in-process through ``RequestFactory`` as a superuser (scope checks
included, middleware and network left out); every run reads the database
afresh unless ``REPORTS_CACHE_SECONDS`` is on (then the first call fills the
page cache and the timed calls read it). Run with ``REPORTS_CACHE_SECONDS=0``
for the cold figures. Prints a Markdown table for docs/PERFORMANCE.md.
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")


def percentile(values, p):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--province", default=None)
    parser.add_argument("--set", dest="unit_set", default=None)
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.db.models import Count, Max
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from offices.models import AdministrativeUnit, Office, UnitLevel
    from reports import views
    from reports.models import ResponseDay, ResponseDayDetail
    from surveys.models import Response

    provinces = AdministrativeUnit.objects.filter(level=UnitLevel.PROVINCE)
    if args.province:
        provinces = provinces.filter(code=args.province)
    if args.unit_set:
        provinces = provinces.filter(unit_set=args.unit_set)

    def office_count(unit):
        return Office.objects.filter(
            unit__unit_set=unit.unit_set, unit__path__startswith=unit.path
        ).count()

    province = max(provinces, key=office_count)
    last_day = ResponseDay.objects.aggregate(m=Max("day"))["m"] or timezone.localdate()
    end = last_day
    year, month = end.year, end.month - (args.months - 1)
    while month < 1:
        year, month = year - 1, month + 12
    start = dt.date(year, month, 1)
    children = AdministrativeUnit.objects.filter(parent=province)
    child = max(children, key=office_count) if children else None
    scope_unit = child or province
    office = (
        Office.objects.filter(
            unit__unit_set=scope_unit.unit_set, unit__path__startswith=scope_unit.path
        )
        .annotate(n=Count("responses"))
        .order_by("-n")
        .first()
    )
    procedure_id = (
        ResponseDayDetail.objects.filter(office=office)
        .exclude(procedure_id=0)
        .values("procedure_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("procedure_id", flat=True)
        .first()
    )
    from offices.models import Procedure

    procedure = Procedure.objects.filter(pk=procedure_id).first()
    responses_in_province = Response.objects.filter(
        office__unit__unit_set=province.unit_set, office__unit__path__startswith=province.path
    ).count()

    user = User(username="bench", is_superuser=True, is_active=True, is_staff=True)
    factory = RequestFactory()
    query = {
        "period": "custom",
        "start": start.isoformat(),
        "end": end.isoformat(),
        "set": province.unit_set,
    }
    office_query = {k: v for k, v in query.items() if k != "set"}
    pages = [
        (
            f"province {province.name} ({office_count(province)} offices)",
            views.unit_dashboard,
            {"level": province.level, "code": province.code},
            query,
        )
    ]
    if child:
        pages.append(
            (
                f"{child.get_level_display()} {child.name} ({office_count(child)} offices)",
                views.unit_dashboard,
                {"level": child.level, "code": child.code},
                query,
            )
        )
    pages += [
        (
            f"office {office.code}",
            views.office_dashboard,
            {"office_code": office.code},
            office_query,
        ),
        (
            "province print view",
            views.unit_print,
            {"level": province.level, "code": province.code},
            query,
        ),
        (
            "province export units.xlsx",
            views.unit_export,
            {"level": province.level, "code": province.code, "fmt": "xlsx"},
            {**query, "table": "units"},
        ),
    ]
    if procedure:
        pages.append(
            (
                f"procedure {procedure.code} at {office.code}",
                views.procedure_dashboard,
                {"office_code": office.code, "procedure_code": procedure.code},
                office_query,
            )
        )

    from django.conf import settings

    print(
        f"REPORTS_CACHE_SECONDS={settings.REPORTS_CACHE_SECONDS}; "
        f"database: {connection.vendor} {connection.settings_dict.get('NAME')}; "
        f"period {start} – {end}; responses in the province: {responses_in_province:,}; "
        f"roll-up rows: ResponseDay {ResponseDay.objects.count():,}"
    )
    print()
    print("| page | p50 ms | p95 ms | max ms | SQL queries |")
    print("|---|---:|---:|---:|---:|")
    for label, view, kwargs, params in pages:
        request = factory.get("/", params)
        request.user = user
        request.session = {}
        request._messages = None
        with CaptureQueriesContext(connection) as captured:
            response = view(request, **kwargs)
        assert response.status_code == 200, (label, response.status_code)
        timings = []
        for _ in range(args.repeat):
            request = factory.get("/", params)
            request.user = user
            started = time.perf_counter()
            view(request, **kwargs)
            timings.append((time.perf_counter() - started) * 1000)
        print(
            f"| {label} | {statistics.median(timings):.0f} | {percentile(timings, 95):.0f} "
            f"| {max(timings):.0f} | {len(captured.captured_queries)} |"
        )


if __name__ == "__main__":
    main()
