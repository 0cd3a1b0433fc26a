"""A citizen rates a dossier from the QR link on its receipt, on a phone-sized screen."""

import pytest
from playwright.sync_api import expect

from offices.links import dossier_survey_token
from surveys.models import Response
from tests.factories import DossierFactory, OfficeFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


class TestQrSurvey:
    def test_a_citizen_rates_a_dossier_on_a_phone(self, phone_context):
        office = OfficeFactory(name="UBND xã Tân Phú")
        dossier = DossierFactory(office=office, code="HS-QR-0001")
        page = phone_context.new_page()
        page.goto(f"/s/d/{dossier_survey_token(dossier)}/")
        expect(page.get_by_text("HS-QR-0001")).to_be_visible()
        # Fits the phone: nothing wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.get_by_label("Hài lòng", exact=True).check()
        page.get_by_role("button", name="Gửi đánh giá").click()
        expect(page.get_by_role("heading", name="Cảm ơn ông/bà đã đánh giá!")).to_be_visible()
        response = Response.objects.get()
        assert (response.dossier, response.channel, response.office) == (dossier, "qr", office)
        assert response.answers.get(question__code="rating").value_int == 2

        # The link works once: opening it again says the dossier was rated.
        page.goto(f"/s/d/{dossier_survey_token(dossier)}/")
        expect(page.get_by_role("button", name="Gửi đánh giá")).to_have_count(0)
        assert Response.objects.count() == 1
