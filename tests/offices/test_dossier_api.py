"""The dossier API: upsert with per-row errors, scope of integration clients, schema."""

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse
from drf_spectacular.validation import validate_schema
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from offices.models import Dossier, Role, UnitLevel
from tests.factories import (
    DossierFactory,
    OfficeFactory,
    ProcedureFactory,
    UnitFactory,
    make_user,
)

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
URL = "/api/v1/dossiers/"


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(dt.datetime(2025, 6, 1, 12, 0, tzinfo=TZ), tick=False)


@pytest.fixture
def world():
    province = UnitFactory(code="P1")
    district = UnitFactory(code="D1", level=UnitLevel.DISTRICT, parent=province)
    elsewhere = UnitFactory(code="P2")
    return {
        "district": district,
        "mine": OfficeFactory(code="MINE", unit=district),
        "theirs": OfficeFactory(code="THEIRS", unit=elsewhere),
        "procedure": ProcedureFactory(code="1.000001"),
    }


def client_for(user):
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def integration(world):
    return client_for(make_user(Role.INTEGRATION, unit=world["district"]))


def payload(code="HS-1", office="MINE", **over):
    data = {
        "code": code,
        "office": office,
        "procedure": "1.000001",
        "channel": "online",
        "status": 4,
        "received_at": "2025-03-03T08:30:00+07:00",
        "due_at": "2025-03-10",
    }
    data.update(over)
    return data


class TestDossierUpsert:
    def test_it_creates_one_dossier_from_an_object(self, integration):
        response = integration.post(URL, payload(), format="json")
        assert response.status_code == 200, response.json()
        assert response.json()["created"] == 1
        d = Dossier.objects.get(code="HS-1")
        assert (d.office.code, d.channel, d.due_on) == ("MINE", "online", dt.date(2025, 3, 10))

    def test_it_upserts_a_list_and_reports_each_bad_row(self, world, integration):
        DossierFactory(code="HS-2", office=world["mine"])
        rows = [
            payload("HS-1"),
            payload("HS-2", status=9, finished_at="2025-03-07T10:00:00+07:00"),
            payload("HS-3", status=42),
        ]
        response = integration.post(URL, rows, format="json")
        body = response.json()
        assert response.status_code == 200
        assert (body["created"], body["updated"], body["invalid"]) == (1, 1, 1)
        assert body["errors"] == [
            {
                "index": 2,
                "code": "HS-3",
                "field": "status",
                "message": "42 lớn hơn 10",
                "message_en": body["errors"][0]["message_en"],
            }
        ]
        assert body["errors"][0]["message_en"] != ""

    def test_sending_the_same_rows_again_changes_nothing(self, integration):
        integration.post(URL, [payload("HS-1"), payload("HS-2")], format="json")
        body = integration.post(URL, [payload("HS-1"), payload("HS-2")], format="json").json()
        assert (body["created"], body["updated"], body["unchanged"]) == (0, 0, 2)

    def test_it_rejects_a_client_outside_its_units(self, integration):
        response = integration.post(URL, payload(office="THEIRS"), format="json")
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "office"
        assert "ngoài phạm vi" in response.json()["errors"][0]["message"]
        assert not Dossier.objects.exists()

    def test_it_will_not_move_another_units_dossier_into_its_office(self, world, integration):
        DossierFactory(code="HS-9", office=world["theirs"])
        response = integration.post(URL, payload("HS-9"), format="json")
        assert response.status_code == 400
        assert Dossier.objects.get(code="HS-9").office == world["theirs"]

    def test_it_refuses_more_than_a_thousand_rows(self, integration):
        response = integration.post(URL, [payload(f"X{i}") for i in range(1001)], format="json")
        assert response.status_code == 400
        assert "1000" in str(response.json())

    def test_it_names_unknown_keys(self, integration):
        response = integration.post(URL, payload(colour="red"), format="json")
        assert response.status_code == 400
        assert "colour" in str(response.json())

    def test_office_staff_and_anonymous_users_cannot_post(self, world):
        staff = client_for(make_user(Role.OFFICE_STAFF, office=world["mine"]))
        assert staff.post(URL, payload(), format="json").status_code == 403
        assert APIClient().post(URL, payload(), format="json").status_code in (401, 403)


class TestDossierRetrieve:
    def test_it_returns_a_visible_dossier_with_its_timeliness(self, world, integration):
        DossierFactory(code="HS-1", office=world["mine"])
        body = integration.get(f"{URL}HS-1/").json()
        assert (body["code"], body["office"], body["timeliness"]) == ("HS-1", "MINE", "overdue")

    def test_a_dossier_outside_the_clients_units_is_not_found(self, world, integration):
        DossierFactory(code="HS-1", office=world["theirs"])
        assert integration.get(f"{URL}HS-1/").status_code == 404
        assert integration.get(f"{URL}HS-1/survey-link/").status_code == 404


class TestSurveyLinkEndpoint:
    def test_it_returns_a_signed_url_and_a_qr_svg(self, world, integration, settings):
        settings.SITE_URL = "https://motcua.example.vn"
        DossierFactory(code="HS-1", office=world["mine"])
        body = integration.get(f"{URL}HS-1/survey-link/").json()
        assert body["url"].startswith("https://motcua.example.vn/s/d/")
        assert body["qr_svg"].startswith("<svg") and "<path" in body["qr_svg"]


class TestSchema:
    def test_the_schema_validates_and_documents_the_dossier_routes(self, world):
        admin = client_for(make_user(Role.ADMIN))
        response = admin.get(reverse("api-schema"), {"format": "json"})
        assert response.status_code == 200
        schema = response.json()
        validate_schema(schema)  # raises on an invalid OpenAPI document
        assert "/api/v1/dossiers/" in schema["paths"]
        assert "/api/v1/dossiers/{code}/survey-link/" in schema["paths"]

    def test_the_docs_page_loads_swagger_ui_from_this_server(self, client):
        html = client.get(reverse("api-docs")).content.decode()
        assert "swagger-ui" in html
        assert "cdn" not in html.lower() and "jsdelivr" not in html
