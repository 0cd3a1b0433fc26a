"""Kiosk devices: registration, the one-time setup link, device authentication, revoking."""

import datetime as dt
import re
import threading
import uuid

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from offices.models import Role
from surveys.kiosk_auth import (
    KioskError,
    kiosk_activate,
    kiosk_register,
    kiosk_revoke,
    token_hash,
)
from surveys.models import KioskDevice, Response
from tests.factories import OfficeFactory, ProcedureFactory, make_user

pytestmark = pytest.mark.django_db

RESPONSES_URL = "/api/v1/responses/"


@pytest.fixture
def office():
    return OfficeFactory()


@pytest.fixture
def staff(office):
    return make_user(Role.OFFICE_STAFF, office=office)


def active_device(office):
    device, setup = kiosk_register(office=office, name="Quầy 1", by=None)
    device, token = kiosk_activate(setup_token=setup)
    return device, token


def device_headers(token):
    return {"HTTP_AUTHORIZATION": f"Device {token}"}


class TestRegistrationPage:
    def test_staff_register_a_device_and_see_the_setup_link_once(self, client, office, staff):
        client.force_login(staff)
        url = reverse("surveys-kiosk-devices", args=[office.slug])
        page = client.post(url, {"name": "Quầy tiếp nhận 2"}).content.decode()
        device = KioskDevice.objects.get()
        link = re.search(r'id="setup-link" readonly value="([^"]+)"', page).group(1)
        token = link.rstrip("/").rsplit("/", 1)[1]
        assert device.setup_token_hash == token_hash(token) and token not in device.setup_token_hash
        assert "data:image/svg+xml;base64," in page
        assert device.created_by == staff
        assert token not in client.get(url).content.decode()

    def test_a_name_is_required(self, client, office, staff):
        client.force_login(staff)
        page = client.post(reverse("surveys-kiosk-devices", args=[office.slug]), {"name": " "})
        assert "Hãy đặt tên cho thiết bị" in page.content.decode()
        assert not KioskDevice.objects.exists()

    def test_staff_of_another_office_get_404(self, client, office):
        client.force_login(make_user(Role.OFFICE_STAFF, office=OfficeFactory()))
        response = client.get(reverse("surveys-kiosk-devices", args=[office.slug]))
        assert response.status_code == 404

    def test_officials_may_not_manage_devices(self, client, office):
        client.force_login(make_user(Role.OFFICIAL, unit=office.unit))
        assert client.get(reverse("surveys-kiosk-devices", args=[office.slug])).status_code == 403
        assert client.get(reverse("surveys-kiosk-offices")).status_code == 403

    def test_office_staff_go_straight_to_their_office(self, client, office, staff):
        client.force_login(staff)
        response = client.get(reverse("surveys-kiosk-offices"))
        assert response.url == reverse("surveys-kiosk-devices", args=[office.slug])

    def test_an_admin_lists_offices_with_their_active_devices(self, client, office):
        active_device(office)
        client.force_login(make_user(Role.ADMIN))
        page = client.get(reverse("surveys-kiosk-offices")).content.decode()
        assert office.name in page

    def test_revoking_from_the_page_stops_the_device_at_once(self, client, office, staff):
        device, token = active_device(office)
        client.force_login(staff)
        url = reverse("surveys-kiosk-device-revoke", args=[office.slug, device.pk])
        assert client.post(url).status_code == 302
        client.logout()
        response = client.get(reverse("surveys-kiosk-config"), **device_headers(token))
        assert response.status_code == 401
        assert "thu hồi" in response.json()["detail"]


class TestSetupLink:
    def test_opening_the_link_does_not_use_it_up(self, client, office):
        device, setup = kiosk_register(office=office, name="Quầy 1", by=None)
        page = client.get(reverse("surveys-kiosk-setup", args=[setup]))
        assert page.status_code == 200 and "Quầy 1" in page.content.decode()
        device.refresh_from_db()
        assert device.activated_at is None

    def test_activating_stores_the_device_token_in_the_browser(self, client, office):
        device, setup = kiosk_register(office=office, name="Quầy 1", by=None)
        page = client.post(reverse("surveys-kiosk-setup", args=[setup])).content.decode()
        token = re.search(r'"token": "([^"]+)"', page).group(1)
        assert "localStorage.setItem" in page
        device.refresh_from_db()
        assert device.token_hash == token_hash(token) and device.activated_at is not None
        assert device.setup_token_hash == ""

    def test_the_link_works_once(self, client, office):
        _device, setup = kiosk_register(office=office, name="Quầy 1", by=None)
        kiosk_activate(setup_token=setup)
        response = client.post(reverse("surveys-kiosk-setup", args=[setup]))
        assert response.status_code == 410
        with pytest.raises(KioskError):
            kiosk_activate(setup_token=setup)

    def test_the_link_expires_after_24_hours(self, office):
        _device, setup = kiosk_register(office=office, name="Quầy 1", by=None)
        later = timezone.now() + dt.timedelta(hours=24, minutes=1)
        with time_machine.travel(later), pytest.raises(KioskError):
            kiosk_activate(setup_token=setup)

    def test_a_revoked_device_cannot_be_set_up(self, office):
        device, setup = kiosk_register(office=office, name="Quầy 1", by=None)
        kiosk_revoke(device=device)
        with pytest.raises(KioskError):
            kiosk_activate(setup_token=setup)


class TestDeviceAuthentication:
    def test_the_device_gets_its_configuration(self, client, office):
        procedure = ProcedureFactory(name="Đăng ký khai sinh")
        procedure.offices.add(office)
        _device, token = active_device(office)
        body = client.get(reverse("surveys-kiosk-config"), **device_headers(token)).json()
        assert body["office"]["name"] == office.name
        assert [level["value"] for level in body["rating"]["levels"]] == [3, 2, 1]
        assert body["rating"]["levels"][2]["label"] == {
            "vi": "Không hài lòng",
            "en": "Not satisfied",
        }
        assert body["reason"]["multiple"] is True
        assert "time" in [option["value"] for option in body["reason"]["options"]]
        assert body["procedures"] == [{"code": procedure.code, "name": "Đăng ký khai sinh"}]

    def test_an_unknown_token_gets_401_with_the_device_scheme(self, client):
        response = client.get(reverse("surveys-kiosk-config"), **device_headers("nope"))
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Device"

    def test_without_a_token_the_configuration_is_refused(self, client):
        assert client.get(reverse("surveys-kiosk-config")).status_code in (401, 403)

    def test_last_seen_is_written_at_most_once_a_minute(self, client, office):
        device, token = active_device(office)
        start = timezone.now()
        with time_machine.travel(start + dt.timedelta(minutes=5), tick=False):
            client.get(reverse("surveys-kiosk-config"), **device_headers(token))
            device.refresh_from_db()
            seen = device.last_seen_at
            assert seen == timezone.now()
        with time_machine.travel(start + dt.timedelta(minutes=5, seconds=30), tick=False):
            client.get(reverse("surveys-kiosk-config"), **device_headers(token))
            device.refresh_from_db()
            assert device.last_seen_at == seen


class TestKioskSubmission:
    def payload(self, **extra):
        return {
            "client_id": str(uuid.uuid4()),
            "questionnaire": "counter",
            "answers": {"rating": 1, "reason": ["time"], "comment": "Chờ lâu"},
            "duration_seconds": 12,
            "language": "vi",
            **extra,
        }

    def test_a_kiosk_answer_is_stored_for_the_devices_office(self, client, office):
        device, token = active_device(office)
        response = client.post(
            RESPONSES_URL, self.payload(), content_type="application/json", **device_headers(token)
        )
        assert response.status_code == 201, response.content
        stored = Response.objects.get()
        assert (stored.office, stored.device, stored.channel) == (office, device, "kiosk")

    def test_a_resend_stores_one_response(self, client, office):
        _device, token = active_device(office)
        payload = self.payload()
        statuses = [
            client.post(
                RESPONSES_URL, payload, content_type="application/json", **device_headers(token)
            ).status_code
            for _ in range(2)
        ]
        assert statuses == [201, 200]
        assert Response.objects.count() == 1

    def test_a_revoked_device_is_refused_with_401(self, client, office):
        device, token = active_device(office)
        kiosk_revoke(device=device)
        response = client.post(
            RESPONSES_URL, self.payload(), content_type="application/json", **device_headers(token)
        )
        assert response.status_code == 401
        assert not Response.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
class TestConcurrentResend:
    def test_the_same_client_id_sent_at_once_stores_one_response(self, office):
        if connection.vendor != "postgresql":
            pytest.skip("other backend: concurrent writes are checked on PostgreSQL")
        from django.test import Client

        _device, token = active_device(office)
        payload = TestKioskSubmission().payload()
        barrier = threading.Barrier(4)
        statuses = []

        def send():
            try:
                barrier.wait()
                statuses.append(
                    Client()
                    .post(
                        RESPONSES_URL,
                        payload,
                        content_type="application/json",
                        **device_headers(token),
                    )
                    .status_code
                )
            finally:
                connection.close()

        threads = [threading.Thread(target=send) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(statuses) == [200, 200, 200, 201]
        assert Response.objects.filter(client_id=payload["client_id"]).count() == 1
