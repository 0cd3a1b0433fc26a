import pytest
from django.urls import reverse


@pytest.mark.django_db
class TestHome:
    def test_it_answers_in_vietnamese_by_default(self, client):
        response = client.get(reverse("portal-home"))
        assert response.status_code == 200
        assert response.headers["Content-Language"] == "vi"
        assert "Đánh giá dịch vụ" in response.content.decode()

    def test_it_switches_to_english(self, client):
        response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
        assert response.status_code == 302
        response = client.get(reverse("portal-home"))
        assert response.headers["Content-Language"] == "en"


@pytest.mark.django_db
class TestHealthz:
    def test_it_reports_database_and_broker(self, client):
        response = client.get(reverse("portal-healthz"))
        body = response.json()
        assert body["database"]["ok"] is True
        assert body["broker"]["ok"] is True
        assert body["status"] == "ok"
        assert response.status_code == 200


@pytest.mark.django_db
class TestLanguage:
    def test_it_ignores_the_browsers_accept_language(self, client):
        response = client.get(reverse("portal-home"), headers={"accept-language": "en-US,en;q=0.9"})
        assert response.headers["Content-Language"] == "vi"

    def test_an_unknown_cookie_value_falls_back_to_vietnamese(self, client):
        client.cookies["django_language"] = "fr"
        response = client.get(reverse("portal-home"))
        assert response.headers["Content-Language"] == "vi"
