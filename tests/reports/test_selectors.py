"""Monthly grouping, and periods spanning whole months (read from the monthly roll-ups)."""

import datetime as dt

from django.db import transaction
from django.db.models import Q
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from offices.models import Office
from portal.lib.periods import month_buckets
from reports.selectors import _empty_counts, _rollup_counts, raw_counts, stats_grouped
from reports.services import stats_refresh
from tests.reports.conftest import local
from tests.reports.test_exactness import BASE, _build, _query_args, dossier_spec, response_spec

shift = st.integers(-45, 45).map(lambda n: dt.timedelta(days=n))
wide_dossier = st.tuples(dossier_spec, shift).map(
    lambda t: {**t[0], "received": t[0]["received"] + t[1]}
)
wide_response = st.tuples(response_spec, shift).map(lambda t: {**t[0], "day": t[0]["day"] + t[1]})
wide_query = st.fixed_dictionaries(
    {
        "start": st.integers(-50, 30).map(lambda n: BASE + dt.timedelta(days=n)),
        "length": st.integers(0, 110),
        "scope": st.sampled_from(["province", "district", "office", "all"]),
        "filter": st.sampled_from(["none", "field", "procedure", "dchannel", "rchannel"]),
        "include_flagged": st.booleans(),
        "today": st.integers(-30, 60).map(lambda n: BASE + dt.timedelta(days=n)),
    }
)


class TestMonthlyGrouping:
    @hsettings(
        max_examples=20,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        dossiers=st.lists(wide_dossier, max_size=14),
        responses=st.lists(wide_response, max_size=10),
        queries=st.lists(wide_query, min_size=1, max_size=3),
    )
    def test_each_month_equals_the_raw_rows_of_that_month(
        self, world, dossiers, responses, queries
    ):
        with transaction.atomic():
            _build(world, dossiers, responses)
            stats_refresh(full=True)
            for query in queries:
                args = {**_query_args(world, query), "today": query["today"]}
                by_month = _rollup_counts(**args, group="month")
                buckets = month_buckets(args["start"], args["end"])
                assert set(by_month) == {b.start.replace(day=1) for b in buckets}
                for bucket in buckets:
                    expected = raw_counts(**{**args, "start": bucket.start, "end": bucket.end})
                    assert by_month[bucket.start.replace(day=1)] == expected[None], (query, bucket)
                # The whole period, and per office: whole months from the monthly
                # roll-ups, the days at the edges from the daily ones.
                for group in (None, "office"):
                    expected = raw_counts(**args, group=group)
                    got = _rollup_counts(**args, group=group)
                    for key in set(expected) | set(got):
                        e = expected.get(key, _empty_counts())
                        assert got.get(key, _empty_counts()) == e, (query, group, key)
            transaction.set_rollback(True)

    def test_the_trend_has_one_row_per_month_with_its_own_figures(self, world):
        world.dossier(received=dt.date(2025, 1, 20), due=dt.date(2025, 2, 3))
        world.dossier(
            received=dt.date(2025, 2, 2), due=dt.date(2025, 2, 20), finished=dt.date(2025, 3, 4)
        )
        stats_refresh(full=True)
        rows = stats_grouped(
            offices=Office.objects.filter(unit__path__startswith=world.province.path),
            start=dt.date(2025, 1, 15),
            end=dt.date(2025, 3, 10),
            group_by="month",
        )
        assert [r["key"] for r in rows] == ["2025-01", "2025-02", "2025-03"]
        assert [r["received"] for r in rows] == [1, 1, 0]
        assert [r["finished"] for r in rows] == [0, 0, 1]
        # Open at each month's end: January 1 within; February both overdue; March the first.
        assert [(r["open_within"], r["open_overdue"]) for r in rows] == [(1, 0), (0, 2), (0, 1)]


class TestWholeMonthsAndEdges:
    """Rows on the first and last day of months are each counted once, whatever the period."""

    def test_cover_splits_a_period_into_whole_months_and_edge_days(self):
        from reports.selectors import _cover

        D = dt.date
        monthly, daily = _cover(D(2025, 1, 31), D(2025, 4, 1))
        assert monthly == Q(day__lte=D(2025, 3, 1)) & Q(day__gte=D(2025, 2, 1))
        assert daily == Q(day__gte=D(2025, 1, 31), day__lt=D(2025, 2, 1)) | Q(
            day__gt=D(2025, 3, 31), day__lte=D(2025, 4, 1)
        )
        # Whole months only: nothing from the daily rows.
        assert _cover(D(2025, 1, 1), D(2025, 12, 31)) == (
            Q(day__lte=D(2025, 12, 1)) & Q(day__gte=D(2025, 1, 1)),
            None,
        )
        # Inside one month: the daily rows only.
        assert _cover(D(2025, 2, 2), D(2025, 2, 27)) == (
            None,
            Q(day__gte=D(2025, 2, 2), day__lte=D(2025, 2, 27)),
        )
        # From the beginning (open dossiers' snapshot) up to a mid-month day.
        assert _cover(None, D(2025, 3, 15)) == (
            Q(day__lte=D(2025, 2, 1)),
            Q(day__gt=D(2025, 2, 28), day__lte=D(2025, 3, 15)),
        )
        assert _cover(D(2025, 3, 2), D(2025, 3, 1)) == (None, None)

    def test_rows_on_month_boundaries_match_the_raw_rows(self, world):
        D = dt.date
        days = [D(2025, 1, 31), D(2025, 2, 1), D(2025, 2, 28), D(2025, 3, 1), D(2025, 3, 31)]
        for n, day in enumerate(days):
            world.response(office=n % 2, when=local(day, 9), q5=1 + n % 5, q3=2)
            world.dossier(office=n % 2, received=day, due=day + dt.timedelta(days=3), finished=day)
            world.dossier(office=1, received=day, due=day + dt.timedelta(days=1))
        stats_refresh(full=True)
        offices = Office.objects.filter(unit__path__startswith=world.province.path)
        periods = [
            (D(2025, 1, 31), D(2025, 3, 1)),
            (D(2025, 2, 1), D(2025, 2, 28)),
            (D(2025, 2, 1), D(2025, 3, 31)),
            (D(2025, 1, 15), D(2025, 3, 31)),
            (D(2025, 2, 2), D(2025, 2, 27)),
            (D(2025, 2, 28), D(2025, 3, 1)),
        ]
        for start, end in periods:
            for group in (None, "office", "month"):
                args = {"offices": offices, "start": start, "end": end, "today": D(2025, 6, 1)}
                got = _rollup_counts(**args, group=group)
                if group == "month":
                    for bucket in month_buckets(start, end):
                        expected = raw_counts(**{**args, "start": bucket.start, "end": bucket.end})
                        assert got[bucket.start.replace(day=1)] == expected[None], (
                            start,
                            end,
                            bucket,
                        )
                    continue
                expected = raw_counts(**args, group=group)
                assert got == expected, (start, end, group)
        assert _rollup_counts(offices=offices, start=days[0], end=days[-1])[None]["responses"] == 5
