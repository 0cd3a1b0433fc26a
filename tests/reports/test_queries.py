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
