"""Targets: the nearest target up the tree applies; officials set them; dashboards mark misses."""

import pytest
from django.urls import reverse

from reports.models import Target
from reports.targets import TargetResolver, target_set
from tests.reports.dashboard_world import dash_world  # noqa: F401 - the dash fixture

pytestmark = pytest.mark.django_db


class TestTargetResolver:
    def test_a_unit_inherits_its_ancestors_target_unless_it_sets_its_own(self, dash):
        target_set(unit=dash.province, metric="satisfaction_rate", threshold=0.9, user=None)
        target_set(unit=dash.province, metric="on_time_rate", threshold=0.98, user=None)
        target_set(unit=dash.district_a, metric="satisfaction_rate", threshold=0.8, user=None)
        resolver = TargetResolver.for_unit(dash.province)
        assert resolver.thresholds_for(dash.district_a.path) == {
            "satisfaction_rate": 0.8,
            "on_time_rate": 0.98,
        }
        assert resolver.thresholds_for(dash.district_b.path)["satisfaction_rate"] == 0.9

    def test_a_district_view_sees_the_province_target(self, dash):
        target_set(unit=dash.province, metric="satisfaction_rate", threshold=0.9, user=None)
        resolver = TargetResolver.for_unit(dash.district_a)
        assert resolver.thresholds_for(dash.district_a.path) == {"satisfaction_rate": 0.9}

    def test_another_provinces_targets_do_not_apply(self, dash):
        target_set(unit=dash.other_province, metric="satisfaction_rate", threshold=0.9, user=None)
        assert TargetResolver.for_unit(dash.province).thresholds_for(dash.province.path) == {}

    def test_a_threshold_outside_zero_and_one_is_refused(self, dash):
        with pytest.raises(ValueError):
            target_set(unit=dash.province, metric="satisfaction_rate", threshold=1.5, user=None)


class TestTargetPage:
    url = staticmethod(lambda: reverse("reports-targets", args=["province", "44"]))

    def test_an_official_sets_and_updates_a_target_in_percent(self, client, dash):
        client.force_login(dash.users["province"])
        response = client.post(self.url(), {"metric": "satisfaction_rate", "threshold": "90"})
        assert response.status_code == 302
        client.post(self.url(), {"metric": "satisfaction_rate", "threshold": "92,5"})
        target = Target.objects.get(unit=dash.province)
        assert float(target.threshold) == 0.925
        assert target.set_by == dash.users["province"]

    def test_a_bad_threshold_is_explained_and_nothing_is_stored(self, client, dash):
        client.force_login(dash.users["province"])
        response = client.post(self.url(), {"metric": "satisfaction_rate", "threshold": "120"})
        assert response.status_code == 200
        assert "không quá 100%" in response.content.decode()
        assert not Target.objects.exists()

    def test_an_official_deletes_a_target(self, client, dash):
        target_set(unit=dash.province, metric="on_time_rate", threshold=0.98, user=None)
        client.force_login(dash.users["province"])
        client.post(self.url(), {"delete": "on_time_rate"})
        assert not Target.objects.exists()

    def test_a_district_official_cannot_set_the_provinces_target(self, client, dash):
        client.force_login(dash.users["district"])
        response = client.post(self.url(), {"metric": "satisfaction_rate", "threshold": "90"})
        assert response.status_code == 404
        assert not Target.objects.exists()


class TestDashboardsMarkMisses:
    def test_units_below_target_are_marked(self, client, dash):
        target_set(unit=dash.province, metric="satisfaction_rate", threshold=0.9, user=None)
        client.force_login(dash.users["province"])
        page = client.get(reverse("reports-unit", args=["province", "44"])).context["page"]
        marks = {r["label"]: r["below_target"] for r in page.unit_rows}
        # A1: O1 38/40 + O2 20/42 → well below 90%; Sở Tư pháp 36/40 = 90% is not below.
        assert marks == {"Huyện A1": True, "Huyện A2": True, "Sở Tư pháp": False}
        tile = next(t for t in page.tiles if t["key"] == "satisfaction_rate")
        assert tile["below_target"] is True
        assert tile["target_display"] == "90,00%"
