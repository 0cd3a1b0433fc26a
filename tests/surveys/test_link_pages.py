"""The public pages: find an office, the office's survey link, the thank-you page."""

import re
import time
import uuid

import pytest
from django.core.cache import cache
from django.urls import reverse

from surveys.forms import started_sign
from surveys.models import Answer, QuestionnaireAssignment, Response
from tests.factories import OfficeFactory, ProcedureFactory, UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def office():
    return OfficeFactory(name="UBND phường Bến Nghé", slug="ben-nghe")


def post_data(**extra):
    data = {"client_id": str(uuid.uuid4()), "started": started_sign(), "q_rating": "3"}
    data.update(extra)
    return data


class TestFindOfficePage:
    def test_it_finds_offices_by_name_and_by_unit(self):
        unit = UnitFactory(name="Tỉnh Lâm Đồng")
        OfficeFactory(name="Trung tâm Phục vụ hành chính công", unit=unit, slug="tt-ld")
        OfficeFactory(name="Bộ phận Một cửa xã An Phú", slug="an-phu")
        page = self_get("/s/?q=Lâm Đồng")
        assert "tt-ld" in page and "an-phu" not in page
        assert "an-phu" in self_get("/s/?q=an phú")

    def test_it_shows_the_search_box_without_results_when_empty(self):
        OfficeFactory(slug="x1")
        page = self_get("/s/")
        assert 'name="q"' in page and "/s/x1/" not in page

    def test_it_hides_inactive_offices(self):
        OfficeFactory(name="Cơ quan cũ", slug="old", active=False)
        assert "/s/old/" not in self_get("/s/?q=cũ")

    def test_the_home_page_links_to_it(self, client):
        assert f'href="{reverse("surveys-find")}"' in client.get("/").content.decode()


def self_get(url):
    from django.test import Client

    response = Client().get(url)
    assert response.status_code == 200
    return response.content.decode()


class TestOfficeSurveyPage:
    def test_it_renders_the_questions_of_the_office_questionnaire(self, client, office):
        response = client.get("/s/ben-nghe/")
        page = response.content.decode()
        assert response.status_code == 200
        assert 'name="q_rating"' in page and 'name="q_reason"' in page
        assert 'value="3"' in page and "Rất hài lòng" in page
        assert 'name="website"' in page  # honeypot
        assert 'name="csrfmiddlewaretoken"' in page
        assert response.headers["Cache-Control"].startswith("max-age=0")

    def test_it_renders_sipas_with_a_fieldset_per_element(self, client, office):
        QuestionnaireAssignment.objects.create(office=office, questionnaire_code="sipas")
        page = client.get("/s/ben-nghe/").content.decode()
        assert page.count("<fieldset") >= 7
        assert "Tiếp cận dịch vụ" in page and 'name="q_officer_polite"' in page

    def test_it_renders_in_english_when_asked(self, client, office):
        client.cookies["django_language"] = "en"
        page = client.get("/s/ben-nghe/").content.decode()
        assert "How satisfied are you" in page

    def test_it_offers_the_office_procedures_in_a_datalist(self, client, office):
        procedure = ProcedureFactory(code="1.001", name="Đăng ký khai sinh")
        procedure.offices.add(office)
        page = client.get("/s/ben-nghe/").content.decode()
        assert 'list="procedure-list"' in page
        assert '<option value="1.001 – Đăng ký khai sinh">' in page

    def test_it_returns_404_for_an_unknown_or_inactive_office(self, client):
        OfficeFactory(slug="closed", active=False)
        assert client.get("/s/nowhere/").status_code == 404
        assert client.get("/s/closed/").status_code == 404

    def test_it_stores_a_submission_and_thanks_the_citizen(self, client, office):
        procedure = ProcedureFactory(code="1.001", name="Đăng ký khai sinh")
        procedure.offices.add(office)
        data = post_data(procedure="1.001 – Đăng ký khai sinh", q_comment="Tốt")
        response = client.post("/s/ben-nghe/", data, REMOTE_ADDR="198.51.100.4")
        assert response.status_code == 302
        assert response["Location"] == reverse("surveys-thanks", args=["ben-nghe"])
        stored = Response.objects.get()
        assert (stored.office, stored.procedure, stored.channel) == (office, procedure, "link")
        assert str(stored.client_id) == data["client_id"]
        assert stored.ip_hash and "198.51.100.4" not in stored.ip_hash
        assert client.get(response["Location"]).status_code == 200

    def test_it_records_the_time_taken_from_the_signed_start(self, client, office):
        data = post_data(started=started_sign(time.time() - 75))
        client.post("/s/ben-nghe/", data)
        assert 74 <= Response.objects.get().duration_seconds <= 77

    def test_a_forged_start_gives_no_time_taken(self, client, office):
        client.post("/s/ben-nghe/", post_data(started="12345:forged"))
        assert Response.objects.get().duration_seconds is None

    def test_the_same_form_sent_twice_stores_one_response(self, client, office):
        data = post_data()
        first = client.post("/s/ben-nghe/", data)
        second = client.post("/s/ben-nghe/", data)
        assert first.status_code == second.status_code == 302
        assert Response.objects.count() == 1

    def test_it_shows_the_service_errors_beside_the_questions(self, client, office):
        response = client.post("/s/ben-nghe/", post_data(q_rating="", q_reason=["bogus"]))
        page = response.content.decode()
        assert response.status_code == 200
        assert "Câu hỏi này bắt buộc trả lời." in page
        assert 'role="alert"' in page
        assert Response.objects.count() == 0

    def test_it_rejects_a_procedure_that_is_not_in_the_list(self, client, office):
        response = client.post("/s/ben-nghe/", post_data(procedure="Thủ tục không có"))
        assert "Không tìm thấy thủ tục này" in response.content.decode()
        assert Response.objects.count() == 0

    def test_a_filled_honeypot_stores_nothing(self, client, office):
        response = client.post("/s/ben-nghe/", post_data(website="http://spam.example"))
        assert response.status_code == 302
        assert Response.objects.count() == 0

    def test_it_stores_contact_details_only_with_consent(self, client, office):
        without = client.post(
            "/s/ben-nghe/",
            post_data(q_rating="1", contact_requested="on", contact_phone="0912345678"),
        )
        assert "Hãy đồng ý" in without.content.decode()
        assert Response.objects.count() == 0
        client.post(
            "/s/ben-nghe/",
            post_data(
                q_rating="1",
                contact_requested="on",
                contact_phone="0912345678",
                contact_consent="on",
            ),
        )
        assert Response.objects.get().contact_phone == "0912345678"

    @pytest.mark.usefixtures("rate_window")
    def test_it_limits_submissions_per_ip(self, client, office, settings):
        settings.SURVEY_RATE_LIMIT_IP = "2/h"
        codes = [
            client.post("/s/ben-nghe/", post_data(), REMOTE_ADDR="192.0.2.9").status_code
            for _ in range(3)
        ]
        assert codes == [302, 302, 429]
        assert Response.objects.count() == 2
        other = client.post("/s/ben-nghe/", post_data(), REMOTE_ADDR="192.0.2.10")
        assert other.status_code == 302

    def test_it_enforces_csrf(self, office):
        from django.test import Client

        strict = Client(enforce_csrf_checks=True)
        assert strict.post("/s/ben-nghe/", post_data()).status_code == 403
        assert Response.objects.count() == 0

    def test_every_input_has_a_label(self, client, office):
        QuestionnaireAssignment.objects.create(office=office, questionnaire_code="sipas")
        page = client.get("/s/ben-nghe/").content.decode()
        ids = re.findall(r'<input[^>]*type="(?:radio|checkbox|text|email)"[^>]*id="([^"]+)"', page)
        assert ids
        for input_id in ids:
            assert f'for="{input_id}"' in page, input_id


class TestThanksPage:
    def test_it_names_the_office(self, client, office):
        page = client.get("/s/ben-nghe/thanks/").content.decode()
        assert "UBND phường Bến Nghé" in page


def test_answers_are_stored_per_question(client, office):
    client.post("/s/ben-nghe/", post_data(q_rating="1", q_reason=["time", "fees"]))
    reason = Answer.objects.get(question__code="reason")
    assert reason.value_choices == ["time", "fees"]
