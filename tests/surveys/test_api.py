"""POST /api/v1/responses/: kiosks, API accounts and web pages through one service."""

import uuid

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from offices.models import Role
from surveys.kiosk_auth import kiosk_activate, kiosk_register, kiosk_revoke
from surveys.models import Response
from tests.factories import (
    DossierFactory,
    OfficeFactory,
    OfficerFactory,
    ProcedureFactory,
    make_user,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/responses/"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def office():
    return OfficeFactory(slug="ben-nghe")


@pytest.fixture
def device_client(office):
    device, setup = kiosk_register(office=office, name="Quầy 1", by=None)
    device, token = kiosk_activate(setup_token=setup)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    client.device = device
    return client


def account_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


class TestKioskSubmissions:
    def test_it_stores_a_kiosk_response_for_the_device_office(self, device_client, office):
        client_id = str(uuid.uuid4())
        payload = {
            "client_id": client_id,
            "questionnaire": "counter",
            "answers": {"rating": 1, "reason": ["attitude"], "comment": "Chờ lâu"},
            "duration_seconds": 12,
            "language": "vi",
        }
        response = device_client.post(URL, payload, format="json")
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["created"] is True and body["channel"] == "kiosk"
        assert (body["office"], body["questionnaire"], body["questionnaire_version"]) == (
            "ben-nghe",
            "counter",
            1,
        )
        stored = Response.objects.get(client_id=client_id)
        assert stored.device == device_client.device and stored.duration_seconds == 12

    def test_a_replayed_client_id_returns_200_and_stores_one(self, device_client):
        payload = {"client_id": str(uuid.uuid4()), "answers": {"rating": 3}}
        first = device_client.post(URL, payload, format="json")
        again = device_client.post(URL, payload, format="json")
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json()["created"] is False
        assert Response.objects.count() == 1

    def test_it_rejects_bad_answers_with_messages_per_question(self, device_client):
        response = device_client.post(
            URL, {"answers": {"rating": 7, "reason": "nope"}}, format="json"
        )
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "invalid"
        assert "1 đến 3" in body["errors"]["rating"][0] and " / " in body["errors"]["rating"][0]
        assert "nope" in body["errors"]["reason"][0]

    def test_it_refuses_another_office_or_channel(self, device_client):
        OfficeFactory(slug="other")
        wrong_office = device_client.post(
            URL, {"office": "other", "answers": {"rating": 3}}, format="json"
        )
        wrong_channel = device_client.post(
            URL, {"channel": "link", "answers": {"rating": 3}}, format="json"
        )
        assert wrong_office.status_code == wrong_channel.status_code == 400
        assert Response.objects.count() == 0

    def test_a_revoked_device_gets_401(self, device_client):
        kiosk_revoke(device=device_client.device)
        assert device_client.post(URL, {"answers": {"rating": 3}}, format="json").status_code == 401

    @pytest.mark.usefixtures("rate_window")
    def test_it_limits_submissions_per_device(self, device_client, settings):
        settings.SURVEY_RATE_LIMIT_DEVICE = "2/m"
        codes = [
            device_client.post(URL, {"answers": {"rating": 3}}, format="json").status_code
            for _ in range(3)
        ]
        assert codes == [201, 201, 429]
        assert Response.objects.count() == 2


class TestAccountSubmissions:
    def test_an_integration_account_names_the_dossier_and_officer(self, office):
        user = make_user(Role.INTEGRATION, unit=office.unit)
        dossier = DossierFactory(office=office)
        officer = OfficerFactory(office=office)
        client = account_client(user)
        payload = {"dossier": dossier.code, "officer": officer.code, "answers": {"rating": 2}}
        response = client.post(URL, payload, format="json")
        assert response.status_code == 201, response.json()
        stored = Response.objects.get()
        assert (stored.dossier, stored.officer, stored.channel) == (dossier, officer, "api")
        assert stored.procedure_id == dossier.procedure_id

    def test_a_second_response_for_a_dossier_gets_409(self, office):
        client = account_client(make_user(Role.ADMIN))
        dossier = DossierFactory(office=office)
        first = client.post(URL, {"dossier": dossier.code, "answers": {"rating": 3}}, format="json")
        second = client.post(
            URL, {"dossier": dossier.code, "answers": {"rating": 1}}, format="json"
        )
        assert (first.status_code, second.status_code) == (201, 409)
        assert second.json()["code"] == "already_rated"
        assert "đã được đánh giá" in second.json()["errors"]["dossier"][0]

    def test_an_account_cannot_submit_outside_its_scope(self, office):
        user = make_user(Role.INTEGRATION, unit=OfficeFactory().unit)
        response = account_client(user).post(
            URL, {"office": "ben-nghe", "answers": {"rating": 3}}, format="json"
        )
        assert response.status_code == 403
        assert Response.objects.count() == 0

    def test_unknown_codes_are_named_in_the_error(self, office):
        client = account_client(make_user(Role.ADMIN))
        for field in ("dossier", "procedure", "officer", "questionnaire"):
            payload = {"office": "ben-nghe", field: "NOPE", "answers": {"rating": 3}}
            response = client.post(URL, payload, format="json")
            assert response.status_code == 400
            assert field in response.json()["errors"], field

    def test_an_account_may_not_claim_the_kiosk_channel(self, office):
        client = account_client(make_user(Role.ADMIN))
        response = client.post(
            URL, {"office": "ben-nghe", "channel": "kiosk", "answers": {"rating": 3}}, format="json"
        )
        assert response.status_code == 400


class TestWebSubmissions:
    def test_an_anonymous_page_submits_with_the_csrf_token(self, office):
        client = Client(enforce_csrf_checks=True)
        client.get("/s/ben-nghe/")
        token = client.cookies["csrftoken"].value
        procedure = ProcedureFactory()
        response = client.post(
            URL,
            {"office": "ben-nghe", "procedure": procedure.code, "answers": {"rating": 3}},
            content_type="application/json",
            HTTP_X_CSRFTOKEN=token,
        )
        assert response.status_code == 201, response.json()
        stored = Response.objects.get()
        assert (stored.channel, stored.procedure) == ("link", procedure)

    def test_it_refuses_a_web_post_without_csrf(self, office):
        client = Client(enforce_csrf_checks=True)
        response = client.post(
            URL, {"office": "ben-nghe", "answers": {"rating": 3}}, content_type="application/json"
        )
        assert response.status_code == 403
        assert Response.objects.count() == 0

    def test_a_web_page_may_not_name_a_dossier(self, office):
        dossier = DossierFactory(office=office)
        response = Client().post(
            URL,
            {"office": "ben-nghe", "dossier": dossier.code, "answers": {"rating": 3}},
            content_type="application/json",
        )
        assert response.status_code == 400 and "dossier" in response.json()["errors"]

    def test_it_needs_an_office(self):
        response = Client().post(URL, {"answers": {"rating": 3}}, content_type="application/json")
        assert response.status_code == 400 and "office" in response.json()["errors"]

    def test_a_filled_honeypot_is_accepted_and_discarded(self, office):
        response = Client().post(
            URL,
            {"office": "ben-nghe", "answers": {"rating": 3}, "website": "x"},
            content_type="application/json",
        )
        assert response.status_code == 202
        assert Response.objects.count() == 0

    @pytest.mark.usefixtures("rate_window")
    def test_it_limits_submissions_per_ip(self, office, settings):
        settings.SURVEY_RATE_LIMIT_IP = "1/m"
        client = Client()
        payload = {"office": "ben-nghe", "answers": {"rating": 3}}
        first = client.post(URL, payload, content_type="application/json")
        second = client.post(URL, payload, content_type="application/json")
        assert (first.status_code, second.status_code) == (201, 429)
        assert second.json()["code"] == "rate_limited"

    def test_a_malformed_body_gets_400(self, office):
        response = Client().post(
            URL, {"office": "ben-nghe", "answers": [1, 2]}, content_type="application/json"
        )
        assert response.status_code == 400 and "answers" in response.json()["errors"]


def test_the_endpoint_is_in_the_openapi_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/responses/"]["post"]
    assert operation["operationId"] == "responses_create"
    assert {"201", "200", "400", "409", "429"} <= set(operation["responses"])


class TestWebFastPath:
    """Plain page submissions skip DRF's request cycle and get the very same answers."""

    @pytest.fixture
    def both(self, monkeypatch):
        """Return post(payload, fast=...): (status, body) through the fast path or DRF's."""
        from surveys import api

        real_data, real_submit = api._web_json_data, api._web_submit
        mode, taken = {"fast": True}, []
        monkeypatch.setattr(
            api, "_web_json_data", lambda request: real_data(request) if mode["fast"] else None
        )
        monkeypatch.setattr(
            api, "_web_submit", lambda request, data: taken.append(1) or real_submit(request, data)
        )

        def post(payload, *, fast):
            mode["fast"], before = fast, len(taken)
            response = Client().post(URL, payload, content_type="application/json")
            assert (len(taken) > before) is fast
            return response.status_code, response.content

        return post

    @pytest.mark.parametrize(
        "payload",
        [
            {"office": "ben-nghe", "answers": {"rating": 7, "reason": "nope"}},
            {"office": "nowhere", "answers": {"rating": 3}},
            {"office": "ben-nghe", "officer": "CB-1", "answers": {"rating": 3}},
            {"office": "ben-nghe", "channel": "api", "answers": {"rating": 3}},
            {"office": "ben-nghe", "procedure": "NOPE", "answers": {"rating": 3}},
            {"office": "ben-nghe", "answers": {"rating": 3}, "website": "x"},
            {"answers": {"rating": 3}},
        ],
    )
    def test_refusals_are_the_same(self, both, office, payload):
        assert both(payload, fast=True) == both(payload, fast=False)
        assert Response.objects.count() == 0

    def test_a_stored_response_and_its_replay_are_answered_the_same(self, both, office):
        payload = {"client_id": str(uuid.uuid4()), "office": "ben-nghe", "answers": {"rating": 3}}
        status_code, _body = both(payload, fast=True)
        assert status_code == 201
        assert both(payload, fast=True) == both(payload, fast=False)
        assert both(payload, fast=True)[0] == 200 and Response.objects.count() == 1

    @pytest.mark.usefixtures("rate_window")
    def test_the_rate_limit_is_the_same(self, both, office, settings):
        settings.SURVEY_RATE_LIMIT_IP = "1/m"
        payload = {"office": "ben-nghe", "answers": {"rating": 3}}
        assert both(payload, fast=True)[0] == 201
        assert both(payload, fast=True) == both(payload, fast=False)
        assert both(payload, fast=True)[0] == 429

    @pytest.mark.parametrize(
        "payload",
        [
            {"office": "ben-nghe", "answers": {"rating": 7}},
            {"office": "nowhere", "answers": {"rating": 3}},
            {"office": "ben-nghe", "answers": {"rating": 3}, "website": "x"},
            {"office": "ben-nghe", "client_id": str(uuid.uuid4()), "answers": {"rating": 3}},
        ],
    )
    @pytest.mark.usefixtures("rate_window")
    def test_over_the_limit_every_payload_gets_429_and_nothing_is_stored(
        self, both, office, settings, payload
    ):
        settings.SURVEY_RATE_LIMIT_IP = "2/m"
        assert both({"office": "ben-nghe", "answers": {"rating": 3}}, fast=True)[0] == 201
        assert both({"office": "ben-nghe", "answers": {"rating": 3}}, fast=True)[0] == 201
        fast, slow = both(payload, fast=True), both(payload, fast=False)
        assert fast == slow and fast[0] == 429
        assert Response.objects.count() == 2

    def test_a_replay_is_answered_from_the_stored_row(self, both, office):
        payload = {"client_id": str(uuid.uuid4()), "office": "ben-nghe", "answers": {"rating": 3}}
        assert both(payload, fast=True)[0] == 201
        replay = dict(payload, answers={"rating": 99})  # no longer valid: still the stored one
        assert both(replay, fast=True) == both(replay, fast=False)
        assert both(replay, fast=True)[0] == 200 and Response.objects.count() == 1

    @pytest.mark.parametrize(
        "cookie,header",
        [("a" * 32, "b" * 32), ("a" * 31, "a" * 31), (None, "a" * 32), ("a" * 32, None)],
    )
    def test_a_bad_csrf_token_or_cookie_is_refused(self, office, cookie, header):
        client = Client(enforce_csrf_checks=True)
        if cookie is not None:
            client.cookies["csrftoken"] = cookie
        headers = {"X-CSRFToken": header} if header is not None else {}
        response = client.post(
            URL,
            {"office": "ben-nghe", "answers": {"rating": 3}},
            content_type="application/json",
            headers=headers,
        )
        assert response.status_code == 403 and "CSRF" in response.json()["detail"]
        assert Response.objects.count() == 0

    def test_a_good_csrf_token_takes_the_fast_path(self, office, monkeypatch):
        from surveys import api

        taken = []
        real_submit = api._web_submit
        monkeypatch.setattr(
            api, "_web_submit", lambda request, data: taken.append(1) or real_submit(request, data)
        )
        client = Client(enforce_csrf_checks=True)
        client.cookies["csrftoken"] = "a" * 32
        response = client.post(
            URL,
            {"office": "ben-nghe", "answers": {"rating": 3}},
            content_type="application/json",
            headers={"X-CSRFToken": "a" * 32},
        )
        assert response.status_code == 201 and taken == [1]

    def test_the_answer_is_rendered_as_drf_renders_it(self):
        from rest_framework.renderers import JSONRenderer

        from surveys import api

        body = {"code": "x", "errors": {"": ['Chờ lâu \u2028 \u2029 "quá" \\ 😞']}, "n": 1}
        assert api._render(body) == JSONRenderer().render(body)

    def test_csrf_failures_and_other_payloads_go_through_drf(self, office):
        from surveys import api

        client = Client(enforce_csrf_checks=True)
        request = client.post(  # no CSRF token
            URL, {"office": "ben-nghe", "answers": {"rating": 3}}, content_type="application/json"
        )
        assert request.status_code == 403 and "CSRF" in request.json()["detail"]
        from django.test import RequestFactory

        factory = RequestFactory()
        for body in ('{"office": "ben-nghe", "answers": {"rating": 3}, "contact": {}}', "[1]", "{"):
            request = factory.post(URL, body, content_type="application/json")
            request._dont_enforce_csrf_checks = True
            assert api._web_json_data(request) is None, body
        request = factory.post(
            URL, {"office": "ben-nghe", "answers": {"rating": 3}}, content_type="application/json"
        )
        request._dont_enforce_csrf_checks = True
        assert api._web_json_data(request) is not None


class TestWebFastPathSyncedRateLimit(TestWebFastPath):
    """The same, with production's rate limit: counts synced with Redis, not sent per hit."""

    @pytest.fixture(autouse=True)
    def _synced(self, redis_cache, settings, rate_limit_clients):
        settings.SURVEY_RATE_LIMIT_SYNC_SECONDS = 0.25
        redis_cache.clear()


@pytest.mark.parametrize("sync_seconds", [0, 0.25], ids=["exact", "synced"])
class TestRedisRefusing:
    """The rate limit's Redis refusing connections does not refuse citizens."""

    @pytest.fixture(autouse=True)
    def _redis_refusing(self, settings, sync_seconds, rate_limit_clients):
        settings.SURVEY_RATE_LIMIT_SYNC_SECONDS = sync_seconds
        refusing = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
        # Undone here, before the module's fixture clears the cache.
        with override_settings(CACHES={"default": refusing}):
            yield

    def test_web_submissions_are_stored(self, office):
        for _ in range(2):
            response = Client().post(
                URL,
                {"office": "ben-nghe", "answers": {"rating": 3}},
                content_type="application/json",
            )
            assert response.status_code == 201, response.content
        assert Response.objects.count() == 2

    # The per-device limit still holds, counted in the process.
    test_it_limits_submissions_per_device = (
        TestKioskSubmissions.test_it_limits_submissions_per_device
    )


@pytest.mark.parametrize(
    "path,name",
    [
        (URL, "surveys-api-responses"),
        ("/api/v1/kiosk/config/", "surveys-kiosk-config"),
        ("/api/v1/dossiers/", "offices-api-dossiers"),
        ("/api/v1/dossiers/HS-1/", "offices-api-dossier"),
        ("/api/v1/dossiers/HS-1/survey-link/", "offices-api-dossier-survey-link"),
        ("/api/v1/stats/", "reports-api-stats"),
        ("/api/schema/", "api-schema"),
        ("/i18n/setlang/", "set_language"),
    ],
)
def test_the_submissions_route_first_changes_no_other_route(path, name):
    from django.urls import resolve

    assert resolve(path).url_name == name
