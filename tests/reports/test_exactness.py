"""Roll-ups summed over any unit, period and filter equal the figures from the raw rows."""

import datetime as dt

from django.db import transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from offices.models import Dossier, Office
from offices.selectors import dossier_on_time_766
from reports.selectors import _rollup_counts, figures_from_counts, raw_counts
from reports.services import stats_refresh
from tests.reports.conftest import local

BASE = dt.date(2025, 3, 1)
day = st.integers(min_value=0, max_value=20).map(lambda n: BASE + dt.timedelta(days=n))

dossier_spec = st.fixed_dictionaries(
    {
        "office": st.integers(0, 3),
        "procedure": st.integers(0, 2),
        "channel": st.sampled_from(["direct", "online", "postal"]),
        "status": st.sampled_from([2, 4, 9, 10, 3, 7, 8]),
        "received": day,
        "due_offset": st.integers(-2, 8),
        "finished_offset": st.one_of(st.none(), st.integers(-1, 12)),
        "supplement_days": st.integers(0, 2),
        "supplement_requests": st.integers(0, 2),
        "apology": st.booleans(),
        "rating": st.one_of(st.none(), st.tuples(st.booleans(), st.integers(1, 5), st.booleans())),
    }
)
response_spec = st.fixed_dictionaries(
    {
        "office": st.integers(0, 3),
        "procedure": st.one_of(st.none(), st.integers(0, 2)),
        "channel": st.sampled_from(["link", "qr", "kiosk"]),
        "day": day,
        "hour": st.sampled_from([0, 6, 12, 23]),
        "flagged": st.booleans(),
        "q5": st.one_of(st.none(), st.integers(1, 5)),
        "q3": st.one_of(st.none(), st.integers(1, 3)),
        "qx": st.one_of(st.none(), st.integers(1, 5)),
        "complaint": st.one_of(st.none(), st.tuples(st.integers(0, 15), st.integers(-3, 20))),
    }
)
query_spec = st.fixed_dictionaries(
    {
        "start": day,
        "length": st.integers(0, 25),
        "scope": st.sampled_from(["province", "district", "office", "all"]),
        "filter": st.sampled_from(["none", "field", "procedure", "dchannel", "rchannel"]),
        "include_flagged": st.booleans(),
    }
)


def _build(world, dossiers, responses):
    for spec in dossiers:
        received = spec["received"]
        finished = (
            received + dt.timedelta(days=spec["finished_offset"])
            if spec["finished_offset"] is not None
            else None
        )
        d = world.dossier(
            office=spec["office"],
            procedure=spec["procedure"],
            channel=spec["channel"],
            status=spec["status"],
            received=received,
            due=received + dt.timedelta(days=spec["due_offset"]),
            finished=finished,
            supplement_days=spec["supplement_days"],
            supplement_requests=spec["supplement_requests"],
            apology_issued_at=received if spec["apology"] else None,
        )
        if spec["rating"]:
            flagged, level, complaint = spec["rating"]
            r = world.response(
                office=spec["office"],
                procedure=spec["procedure"],
                when=local(finished or received, 16),
                flagged=flagged,
                dossier=d,
                q5=level,
            )
            if complaint:
                world.complaint(r, opened=local(received, 10), due=local(received, 11))
    for spec in responses:
        r = world.response(
            office=spec["office"],
            procedure=spec["procedure"],
            channel=spec["channel"],
            when=local(spec["day"], spec["hour"], 30),
            flagged=spec["flagged"],
            q5=spec["q5"],
            q3=spec["q3"],
            qx=spec["qx"],
        )
        if spec["complaint"]:
            opened_offset, due_offset = spec["complaint"]
            opened = local(spec["day"], 10)
            world.complaint(
                r,
                opened=opened,
                due=opened + dt.timedelta(days=5),
                replied=None if due_offset < 0 else opened + dt.timedelta(days=due_offset),
            )


def _query_args(world, query):
    start = query["start"]
    offices = {
        "province": Office.objects.filter(unit__path__startswith=world.province.path),
        "district": Office.objects.filter(unit__path__startswith=world.district_a.path),
        "office": Office.objects.filter(pk=world.offices[2].pk),
        "all": Office.objects.all(),
    }[query["scope"]]
    filters = {
        "none": {},
        "field": {"field": world.procedures[1].field},
        "procedure": {"procedure": world.procedures[0]},
        "dchannel": {"channel": "online"},
        "rchannel": {"channel": "qr"},
    }[query["filter"]]
    return {
        "offices": offices,
        "start": start,
        "end": start + dt.timedelta(days=query["length"]),
        "include_flagged": query["include_flagged"],
        "today": BASE + dt.timedelta(days=12),
        **filters,
    }


class TestRollupsEqualRawRows:
    @hsettings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        dossiers=st.lists(dossier_spec, max_size=14),
        responses=st.lists(response_spec, max_size=10),
        queries=st.lists(query_spec, min_size=1, max_size=4),
    )
    def test_sums_over_any_unit_period_and_filter_match(self, world, dossiers, responses, queries):
        with transaction.atomic():
            _build(world, dossiers, responses)
            stats_refresh(full=True)
            for query in queries:
                args = _query_args(world, query)
                for group in (None, "office", "procedure"):
                    expected = raw_counts(**args, group=group)
                    got = _rollup_counts(**args, group=group)
                    keys = set(expected) | set(got)
                    for key in keys:
                        e, g = expected.get(key), got.get(key)
                        if e is None or g is None:
                            # A group with no rows on one side must be all zeros on the other.
                            only = e or g
                            assert not only["answers"]
                            assert all(v == 0 for k, v in only.items() if k != "answers"), (
                                key,
                                only,
                            )
                            continue
                        assert g == e, (query, group, key)
                if query["filter"] == "none":
                    # The on-time rate equals B's raw-row selector (offices.selectors).
                    b = dossier_on_time_766(
                        dossiers=Dossier.objects.filter(office__in=args["offices"]),
                        start=args["start"],
                        end=args["end"],
                        today=args["today"],
                    )
                    mine = figures_from_counts(_rollup_counts(**args)[None])
                    assert mine["on_time_rate"] == (
                        round(b["rate"], 6) if b["rate"] is not None else None
                    )
                    assert (mine["open_within"], mine["open_overdue"]) == (
                        b["open_within"],
                        b["open_overdue"],
                    )
            transaction.set_rollback(True)

    @hsettings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        first=st.lists(dossier_spec, max_size=8),
        second=st.lists(dossier_spec, max_size=8),
        responses=st.lists(response_spec, max_size=6),
        query=query_spec,
    )
    def test_incremental_refresh_gives_the_rows_of_a_full_one(
        self, world, first, second, responses, query
    ):
        from reports.models import (
            AnswerDay,
            AnswerMonth,
            DossierDay,
            DossierDayDetail,
            DossierMonth,
            ResponseDay,
            ResponseMonth,
        )

        def snapshot():
            return [
                sorted(
                    tuple(v for k, v in row.items() if k != "id") for row in model.objects.values()
                )
                for model in (
                    DossierDay,
                    DossierDayDetail,
                    DossierMonth,
                    ResponseDay,
                    ResponseMonth,
                    AnswerDay,
                    AnswerMonth,
                )
            ]

        with transaction.atomic():
            _build(world, first, [])
            stats_refresh(full=True)
            _build(world, second, responses)
            stats_refresh()  # incremental: only the touched (office, day) pairs
            incremental = snapshot()
            stats_refresh(full=True)
            assert snapshot() == incremental
            transaction.set_rollback(True)
