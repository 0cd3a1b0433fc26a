"""GET /api/v1/stats/"""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from offices.models import Role
from reports.services import stats_refresh
from tests.factories import make_user
from tests.reports.conftest import local

D = dt.date


@pytest.fixture
def data(world):
    d = world.dossier(received=D(2025, 3, 2), due=D(2025, 3, 10), finished=D(2025, 3, 5))
    world.response(when=local(D(2025, 3, 5)), dossier=d, q5=5, q3=3)
    world.dossier(office=3, received=D(2025, 3, 2), due=D(2025, 3, 10), finished=D(2025, 3, 20))
    stats_refresh(full=True)
    return world


def client_for(user):
    c = APIClient()
    c.force_authenticate(user)
    return c


class TestStatsApi:
    url = "/api/v1/stats/"

    def test_a_province_official_gets_fractions_and_counts(self, data):
        user = make_user(Role.OFFICIAL, unit=data.province)
        res = client_for(user).get(
            self.url, {"unit": "province:44", "from": "2025-03-01", "to": "2025-03-31"}
        )
        assert res.status_code == 200, res.content
        body = res.json()
        assert body["finished"] == 1 and body["on_time_rate"] == 1.0
        assert body["evaluation_rate"] == 1.0 and body["satisfaction_rate"] == 1.0
        assert body["scope"]["unit"] == "province:44"
        assert body["previous"]["finished"] == 0

    def test_another_province_is_not_found(self, data):
        user = make_user(Role.OFFICIAL, unit=data.province)
        res = client_for(user).get(
            self.url, {"unit": "province:45", "from": "2025-03-01", "to": "2025-03-31"}
        )
        assert res.status_code == 404

    def test_office_staff_see_only_their_office(self, data):
        user = make_user(Role.OFFICE_STAFF, office=data.offices[0])
        ok = client_for(user).get(
            self.url, {"office": "O1", "from": "2025-03-01", "to": "2025-03-31"}
        )
        assert ok.status_code == 200 and ok.json()["finished"] == 1
        other = client_for(user).get(
            self.url, {"office": "O2", "from": "2025-03-01", "to": "2025-03-31"}
        )
        assert other.status_code == 404

    def test_group_by_child_lists_districts(self, data):
        admin = make_user(Role.ADMIN)
        res = client_for(admin).get(
            self.url,
            {"unit": "province:44", "from": "2025-03-01", "to": "2025-03-31", "group_by": "child"},
        )
        assert [g["key"] for g in res.json()["groups"]] == ["district:450", "district:451"]

    def test_bad_input_gets_a_clear_error(self, data):
        admin = make_user(Role.ADMIN)
        c = client_for(admin)
        assert c.get(self.url, {"from": "2025-03-01", "to": "2025-03-31"}).status_code == 400
        res = c.get(self.url, {"unit": "province:44", "from": "2025-03-31", "to": "2025-03-01"})
        assert res.status_code == 400
        res = c.get(self.url, {"unit": "44", "from": "2025-03-01", "to": "2025-03-31"})
        assert res.status_code == 400

    def test_anonymous_users_are_refused(self, data):
        res = APIClient().get(
            self.url, {"unit": "province:44", "from": "2025-03-01", "to": "2025-03-31"}
        )
        assert res.status_code in (401, 403)

    def test_it_is_in_the_openapi_schema(self, data):
        admin = make_user(Role.ADMIN)
        res = client_for(admin).get("/api/schema/", {"format": "json"})
        assert "/api/v1/stats/" in res.json()["paths"]
