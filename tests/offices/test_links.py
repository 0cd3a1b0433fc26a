"""Signed survey links on the receipt."""

import datetime as dt

import pytest
from django.core import signing

from offices.links import (
    SALT,
    SurveyLinkError,
    dossier_from_survey_token,
    dossier_survey_token,
    dossier_survey_url,
    qr_svg,
)
from tests.factories import DossierFactory

pytestmark = pytest.mark.django_db


class TestDossierSurveyLink:
    def test_the_url_carries_a_token_that_leads_back_to_the_dossier(self, settings):
        settings.SITE_URL = "https://motcua.example.vn"
        dossier = DossierFactory(code="HS-1")
        url = dossier_survey_url(dossier)
        assert url.startswith("https://motcua.example.vn/s/d/") and url.endswith("/")
        token = url.removeprefix("https://motcua.example.vn/s/d/").rstrip("/")
        assert dossier_from_survey_token(token) == dossier

    def test_the_token_holds_the_code_and_nothing_else(self):
        dossier = DossierFactory(code="HS-1")
        assert signing.loads(dossier_survey_token(dossier), salt=SALT) == "HS-1"

    def test_an_old_token_has_expired(self, time_machine):
        time_machine.move_to(dt.datetime(2025, 1, 1, tzinfo=dt.UTC), tick=False)
        token = dossier_survey_token(DossierFactory())
        time_machine.move_to(dt.datetime(2025, 4, 2, tzinfo=dt.UTC), tick=False)  # 91 days
        with pytest.raises(SurveyLinkError) as exc:
            dossier_from_survey_token(token)
        assert exc.value.reason == "expired"
        time_machine.move_to(dt.datetime(2025, 3, 31, tzinfo=dt.UTC), tick=False)  # 89 days
        assert dossier_from_survey_token(token).code

    def test_a_tampered_token_is_forged(self):
        token = dossier_survey_token(DossierFactory(code="HS-1"))
        other = signing.dumps("HS-2", salt="another-salt")
        for bad in (token[:-2] + "xx", other, "nonsense"):
            with pytest.raises(SurveyLinkError) as exc:
                dossier_from_survey_token(bad)
            assert exc.value.reason == "forged"

    def test_a_token_for_a_deleted_dossier_is_unknown(self):
        dossier = DossierFactory()
        token = dossier_survey_token(dossier)
        dossier.delete()
        with pytest.raises(SurveyLinkError) as exc:
            dossier_from_survey_token(token)
        assert exc.value.reason == "unknown"

    def test_the_qr_code_is_svg(self):
        svg = qr_svg("https://motcua.example.vn/s/d/abc/")
        assert svg.startswith("<svg") and "viewBox" in svg
