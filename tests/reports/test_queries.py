"""An upper bound on SQL queries per dashboard page: figures come from roll-ups in a fixed
number of aggregate queries, never one query per row."""

import pytest
from django.urls import reverse

from tests.factories import OfficeFactory
from tests.reports.dashboard_world import dash_world  # noqa: F401 - the dash fixture

pytestmark = pytest.mark.django_db

# Measured on the dashboard world with the page cache off (about 10% headroom); the count
# does not grow with rows. One grouped read per roll-up family serves the whole monthly trend,
# and the child units and the offices share one per-office read.
MAX_QUERIES = {
    "province": 43,  # measured 39: includes the worst district's weakest criterion
    "district": 54,  # measured 49: adds procedures, fields, comments, lists
    "office": 46,  # measured 42
    "procedure": 28,  # measured 25
    "print": 41,  # measured 37
    "export": 19,  # measured 17
}


def pages():
    return {
        "province": reverse("reports-unit", args=["province", "44"]),
        "district": reverse("reports-unit", args=["district", "450"]),
        "office": reverse("reports-office", args=["O1"]),
        "print": reverse("reports-unit-print", args=["province", "44"]),
        "export": reverse("reports-unit-export", args=["province", "44", "xlsx"]) + "?table=units",
    }


class TestQueriesPerPage:
    @pytest.mark.parametrize("page_name", ["province", "district", "office", "print", "export"])
    def test_a_page_stays_under_its_query_bound(
        self, client, dash, django_assert_max_num_queries, page_name, settings
    ):
        settings.REPORTS_CACHE_SECONDS = 0  # count the reads, not the cache hits
        client.force_login(dash.users["province"])
        client.get(pages()[page_name])  # warm the session and the content types
        with django_assert_max_num_queries(MAX_QUERIES[page_name]):
            assert client.get(pages()[page_name]).status_code == 200

    def test_the_procedure_page_stays_under_its_bound(
        self, client, dash, django_assert_max_num_queries, settings
    ):
        settings.REPORTS_CACHE_SECONDS = 0
        client.force_login(dash.users["province"])
        url = reverse("reports-procedure", args=["O1", dash.procedures[0].code])
        with django_assert_max_num_queries(MAX_QUERIES["procedure"]):
            assert client.get(url).status_code == 200

    def test_more_offices_do_not_mean_more_queries(self, client, dash, django_assert_num_queries):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client.force_login(dash.users["province"])
        url = pages()["province"]
        client.get(url)
        with CaptureQueriesContext(connection) as before:
            client.get(url)
        for i in range(20):
            OfficeFactory(code=f"EXTRA{i}", unit=dash.district_b)
        with CaptureQueriesContext(connection) as after:
            client.get(url)
        assert len(after.captured_queries) == len(before.captured_queries)


class TestCachedFigures:
    def test_a_second_view_reads_the_figures_from_the_cache(self, client, dash, settings):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        settings.REPORTS_CACHE_SECONDS = 300
        client.force_login(dash.users["province"])
        url = pages()["province"]
        with CaptureQueriesContext(connection) as cold:
            client.get(url)
        with CaptureQueriesContext(connection) as warm:
            client.get(url)
        # Every figure comes from the cache: no roll-up table is read at all.
        rollups = ("reports_dossierday", "reports_responseday", "reports_answerday")
        rollups += ("reports_complaintday",)
        warm_reads = [
            q["sql"] for q in warm.captured_queries if any(t in q["sql"] for t in rollups)
        ]
        assert warm_reads == []
        assert len(cold.captured_queries) - len(warm.captured_queries) >= 25

    def test_a_roll_up_refresh_makes_the_cached_figures_stale(
        self, client, dash, settings, time_machine
    ):
        import datetime as dt

        from reports.services import stats_refresh
        from tests.reports.conftest import local

        settings.REPORTS_CACHE_SECONDS = 300
        client.force_login(dash.users["province"])
        url = pages()["province"]
        before = client.get(url).context["page"].summary["responses"]
        time_machine.move_to(dt.datetime(2025, 3, 20, 10, 5, tzinfo=dt.UTC), tick=False)
        dash.response(office=0, when=local(dt.date(2025, 3, 19)), q3=3)
        assert client.get(url).context["page"].summary["responses"] == before  # cached
        stats_refresh()
        assert client.get(url).context["page"].summary["responses"] == before + 1
