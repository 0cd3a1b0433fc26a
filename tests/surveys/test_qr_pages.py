"""/s/d/<token>/: the signed dossier link on the receipt, one response per dossier."""

import datetime as dt
import threading
import uuid

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.utils import timezone

from offices.links import dossier_survey_token
from surveys.forms import started_sign
from surveys.models import Response
from tests.factories import DossierFactory, OfficeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def dossier():
    office = OfficeFactory(name="UBND xã An Phú", slug="an-phu")
    return DossierFactory(office=office, code="HS-000777")


def url(dossier):
    return f"/s/d/{dossier_survey_token(dossier)}/"


def post_data(**extra):
    data = {"client_id": str(uuid.uuid4()), "started": started_sign(), "q_rating": "2"}
    data.update(extra)
    return data


class TestDossierLinkPage:
    def test_it_opens_the_survey_with_office_and_procedure_filled_in(self, client, dossier):
        response = client.get(url(dossier))
        page = response.content.decode()
        assert response.status_code == 200
        assert "UBND xã An Phú" in page and "HS-000777" in page
        assert dossier.procedure.name in page
        assert 'name="procedure"' not in page  # no picker: the dossier names it
        assert 'name="q_rating"' in page

    def test_it_stores_the_response_against_the_dossier(self, client, dossier):
        response = client.post(url(dossier), post_data())
        assert response.status_code == 302
        stored = Response.objects.get()
        assert (stored.dossier, stored.office, stored.procedure, stored.channel) == (
            dossier,
            dossier.office,
            dossier.procedure,
            "qr",
        )

    def test_a_used_link_says_so(self, client, dossier):
        client.post(url(dossier), post_data())
        again = client.get(url(dossier))
        assert again.status_code == 410
        assert "đã được đánh giá" in again.content.decode()
        second = client.post(url(dossier), post_data(q_rating="1"))
        assert second.status_code == 410
        assert Response.objects.count() == 1

    def test_the_same_form_sent_twice_stores_one_and_thanks_twice(self, client, dossier):
        data = post_data()
        first = client.post(url(dossier), data)
        second = client.post(url(dossier), data)
        assert first.status_code == second.status_code == 302
        assert Response.objects.count() == 1

    def test_an_expired_link_says_so(self, client, dossier):
        link = url(dossier)
        with time_machine.travel(timezone.now() + dt.timedelta(days=91)):
            response = client.get(link)
        assert response.status_code == 410
        assert "đã hết hạn" in response.content.decode()

    def test_a_forged_link_says_so(self, client, dossier):
        token = dossier_survey_token(dossier)
        forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
        response = client.get(f"/s/d/{forged}/")
        assert response.status_code == 404
        assert "không hợp lệ" in response.content.decode()
        assert Response.objects.count() == 0

    def test_a_link_to_a_deleted_dossier_says_so(self, client, dossier):
        link = url(dossier)
        dossier.delete()
        response = client.get(link)
        assert response.status_code == 404 and "không hợp lệ" in response.content.decode()

    def test_the_english_page_explains_too(self, client, dossier):
        client.cookies["django_language"] = "en"
        link = url(dossier)
        with time_machine.travel(timezone.now() + dt.timedelta(days=91)):
            page = client.get(link).content.decode()
        assert "expired" in page

    def test_the_api_takes_the_qr_token_too(self, dossier):
        response = Client().post(
            "/api/v1/responses/",
            {"token": dossier_survey_token(dossier), "answers": {"rating": 3}},
            content_type="application/json",
        )
        assert response.status_code == 201, response.json()
        assert response.json()["channel"] == "qr"
        again = Client().post(
            "/api/v1/responses/",
            {"token": dossier_survey_token(dossier), "answers": {"rating": 1}},
            content_type="application/json",
        )
        assert again.status_code == 409


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
class TestDossierLinkUnderConcurrency:
    def test_a_qr_link_used_from_two_phones_at_once_stores_one_response(self):
        if connection.vendor != "postgresql":
            pytest.skip("other backend: concurrency is checked on PostgreSQL")
        dossier = DossierFactory(office=OfficeFactory(slug="an-phu"))
        link = url(dossier)
        barrier = threading.Barrier(6)
        codes = []

        def phone():
            try:
                barrier.wait(timeout=10)
                codes.append(Client().post(link, post_data()).status_code)
            finally:
                connection.close()

        threads = [threading.Thread(target=phone) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(codes) == [302] + [410] * 5
        assert Response.objects.filter(dossier=dossier).count() == 1
