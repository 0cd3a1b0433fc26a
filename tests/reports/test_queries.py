"""An upper bound on SQL queries per dashboard page: figures come from roll-ups in a fixed
number of aggregate queries, never one query per row."""

import pytest
from django.urls import reverse

from tests.factories import OfficeFactory
from tests.reports.dashboard_world import dash_world  # noqa: F401 - the dash fixture

pytestmark = pytest.mark.django_db

# Measured on the dashboard world (about 10% headroom); the count does not grow with rows.
MAX_QUERIES = {
    "province": 72,  # measured 65: includes the worst district's weakest criterion
    "district": 82,  # measured 75: adds procedures, fields, comments, lists
    "office": 70,  # measured 63
    "procedure": 52,  # measured 46
    "print": 70,  # measured 63
    "export": 24,  # measured 21
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
    @pytest.mark.parametrize("page", ["province", "district", "office", "print", "export"])
    def test_a_page_stays_under_its_query_bound(
        self, client, dash, django_assert_max_num_queries, page
    ):
        client.force_login(dash.users["province"])
        client.get(pages()[page])  # warm the session and the content types
        with django_assert_max_num_queries(MAX_QUERIES[page]):
            assert client.get(pages()[page]).status_code == 200

    def test_the_procedure_page_stays_under_its_bound(
        self, client, dash, django_assert_max_num_queries
    ):
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
        assert len(warm.captured_queries) < len(cold.captured_queries) - 30

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
