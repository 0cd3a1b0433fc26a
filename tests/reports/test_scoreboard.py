"""The public scoreboard: no sign-in, offices ranked only with enough answers, no personal data."""

import pytest
from django.urls import reverse

from tests.reports.dashboard_world import dash_world  # noqa: F401 - the dash fixture

pytestmark = pytest.mark.django_db


def scoreboard(client, **params):
    url = reverse("reports-public-province", args=["44"])
    return client.get(url, {"set": "2024", **params})


class TestPublicScoreboard:
    def test_it_ranks_offices_by_satisfaction_without_sign_in(self, client, dash, settings):
        settings.PUBLIC_SCOREBOARD_MIN_ANSWERS = 30
        response = scoreboard(client)
        assert response.status_code == 200
        rows = response.context["by_satisfaction"].rows
        assert [r["label"] for r in rows][:2] == ["Một cửa O1", "Sở Tư pháp"]
        assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
        rates = [r["satisfaction_rate"] for r in rows]
        assert rates == sorted(rates, reverse=True)
        assert "Office O4" not in response.content.decode()  # another province

    def test_offices_with_too_few_answers_are_left_out(self, client, dash, settings):
        settings.PUBLIC_SCOREBOARD_MIN_ANSWERS = 81
        response = scoreboard(client)
        rows = response.context["by_satisfaction"].rows
        assert rows and all(r["satisfaction_n"] >= 81 for r in rows)
        assert response.context["hidden"] >= 3
        assert "Một cửa O1" not in [r["label"] for r in rows]

    def test_it_ranks_by_on_time_rate_too(self, client, dash, settings):
        settings.PUBLIC_SCOREBOARD_MIN_ANSWERS = 30
        rows = scoreboard(client).context["by_on_time"].rows
        rates = [r["on_time_rate"] for r in rows]
        assert rates == sorted(rates, reverse=True)
        assert rows[0]["label"] == "Một cửa O1"

    def test_it_shows_no_personal_data(self, client, dash, settings):
        settings.PUBLIC_SCOREBOARD_MIN_ANSWERS = 30
        body = scoreboard(client).content.decode()
        for private in ("Nguyễn Văn A", "Chờ quá lâu", "HS-LATE-O2", "tinh", "huyen"):
            assert private not in body

    def test_an_unknown_province_is_not_found(self, client, dash):
        assert client.get(reverse("reports-public-province", args=["99"])).status_code == 404

    def test_an_unknown_period_falls_back_to_this_year(self, client, dash):
        response = scoreboard(client, period="forever")
        assert response.context["preset"] == "year"

    def test_the_index_lists_provinces(self, client, dash):
        response = client.get(reverse("reports-public"), {"set": "2024"})
        assert "Tỉnh A" in response.content.decode()
