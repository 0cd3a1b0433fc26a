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


@pytest.mark.django_db
class TestNavigation:
    def test_office_staff_get_their_office_tools(self, client):
        from offices.models import Role
        from tests.factories import OfficeFactory, make_user

        office = OfficeFactory(slug="dong-hoi")
        client.force_login(make_user(Role.OFFICE_STAFF, office=office))
        html = client.get(reverse("portal-home")).content.decode()
        assert reverse("offices-apology-list", args=["dong-hoi"]) in html
        assert reverse("surveys-kiosk-devices", args=["dong-hoi"]) in html
        assert reverse("offices-dossier-import") in html

    def test_officials_get_reports_but_not_office_tools(self, client):
        from offices.models import Role
        from tests.factories import UnitFactory, make_user

        client.force_login(make_user(Role.OFFICIAL, unit=UnitFactory()))
        html = client.get(reverse("portal-home")).content.decode()
        assert reverse("reports-index") in html
        assert reverse("offices-dossier-import") not in html

    def test_a_user_without_a_role_sees_no_reports_link(self, client):
        from tests.factories import make_user

        client.force_login(make_user())
        html = client.get(reverse("portal-home")).content.decode()
        assert reverse("reports-index") not in html
