"""Integrity rules: each one on hand-made responses, flags kept, clearing by admins."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from offices.models import Holiday, HolidayKind, Role
from surveys.integrity import office_is_open, response_check, response_flag_clear
from surveys.models import KioskDevice, Response
from surveys.services import response_submit
from tests.factories import DossierFactory, OfficeFactory, OfficerFactory, local_dt, make_user

pytestmark = pytest.mark.django_db

# Monday 3 March 2025, 09:00 local: a working day, the office is open.
MONDAY_9 = local_dt(2025, 3, 3, 9, 0)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(local_dt(2025, 3, 10, 12, 0), tick=False):
        yield


@pytest.fixture
def office():
    return OfficeFactory()


@pytest.fixture
def device(office):
    return KioskDevice.objects.create(office=office, name="Quầy 1", token_hash="h")


def submit(office, *, at, rating=3, channel="link", **kwargs):
    response, _ = response_submit(
        office=office, channel=channel, answers={"rating": rating}, submitted_at=at, **kwargs
    )
    return response


def codes(response):
    response.refresh_from_db()
    return [reason["code"] for reason in response.flag_reasons]


class TestBursts:
    def test_it_flags_responses_beyond_the_device_limit_in_the_window(
        self, settings, office, device
    ):
        settings.INTEGRITY_BURST_MAX_DEVICE = 3
        made = [
            submit(
                office,
                at=MONDAY_9 + dt.timedelta(minutes=i),
                rating=2,
                channel="kiosk",
                device=device,
            )
            for i in range(4)
        ]
        assert response_check(made[2].pk) == []
        assert "device_burst" in [r["code"] for r in response_check(made[3].pk)]
        assert codes(made[3]) == ["device_burst"]
        assert Response.objects.filter(flagged=True).count() == 1

    def test_it_does_not_count_responses_outside_the_window(self, settings, office, device):
        settings.INTEGRITY_BURST_MAX_DEVICE = 3
        made = [
            submit(
                office,
                at=MONDAY_9 + dt.timedelta(minutes=3 * i),
                rating=2,
                channel="kiosk",
                device=device,
            )
            for i in range(4)
        ]
        assert response_check(made[3].pk) == []

    def test_it_flags_a_burst_from_one_ip(self, settings, office):
        settings.INTEGRITY_BURST_MAX_IP = 2
        made = [
            submit(office, at=MONDAY_9 + dt.timedelta(seconds=20 * i), rating=2, ip="10.0.0.9")
            for i in range(3)
        ]
        submit(office, at=MONDAY_9, rating=2, ip="10.0.0.10")
        assert codes(made[2]) == [] and response_check(made[2].pk)[0]["code"] == "ip_burst"


class TestAllMaxRun:
    def test_it_flags_a_run_of_top_ratings_from_one_device(self, settings, office, device):
        settings.INTEGRITY_ALL_MAX_RUN = 3
        made = [
            submit(
                office, at=MONDAY_9 + dt.timedelta(minutes=10 * i), channel="kiosk", device=device
            )
            for i in range(3)
        ]
        assert response_check(made[1].pk) == []
        assert [r["code"] for r in response_check(made[2].pk)] == ["all_max_run"]

    def test_one_lower_rating_in_the_run_breaks_it(self, settings, office, device):
        settings.INTEGRITY_ALL_MAX_RUN = 3
        ratings = [3, 2, 3]
        made = [
            submit(
                office,
                at=MONDAY_9 + dt.timedelta(minutes=10 * i),
                rating=r,
                channel="kiosk",
                device=device,
            )
            for i, r in enumerate(ratings)
        ]
        assert response_check(made[2].pk) == []


class TestTooFast:
    def test_it_flags_an_answer_faster_than_reading_the_questions(self, office):
        # The counter questionnaire has 3 questions: minimum 1 + 3 × 1 = 4 s.
        fast = submit(office, at=MONDAY_9, duration_seconds=3)
        slow = submit(office, at=MONDAY_9, duration_seconds=4)
        unknown = submit(office, at=MONDAY_9)
        assert response_check(fast.pk) == [{"code": "too_fast", "seconds": 3, "minimum": 4.0}]
        assert response_check(slow.pk) == []
        assert response_check(unknown.pk) == []


class TestOutsideHours:
    def test_a_kiosk_answer_at_night_is_flagged(self, office, device):
        late = submit(office, at=local_dt(2025, 3, 3, 22, 0), channel="kiosk", device=device)
        assert [r["code"] for r in response_check(late.pk)] == ["outside_hours"]

    def test_a_link_answer_at_night_is_normal(self, office):
        late = submit(office, at=local_dt(2025, 3, 3, 22, 0))
        assert response_check(late.pk) == []

    def test_hours_follow_the_office_and_the_grace_margin(self, office):
        office.opens_at, office.closes_at = dt.time(8, 0), dt.time(11, 30)
        assert office_is_open(office, local_dt(2025, 3, 3, 7, 30))
        assert office_is_open(office, local_dt(2025, 3, 3, 12, 0))
        assert not office_is_open(office, local_dt(2025, 3, 3, 12, 1))
        assert not office_is_open(office, local_dt(2025, 3, 3, 7, 29))

    def test_weekends_and_holidays_are_closed_unless_a_compensating_working_day(self, office):
        saturday = local_dt(2025, 3, 8, 9, 0)
        assert not office_is_open(office, saturday)
        Holiday.objects.create(
            date=dt.date(2025, 3, 8), name="Làm bù", kind=HolidayKind.WORKING_DAY
        )
        assert office_is_open(office, saturday)
        Holiday.objects.create(date=dt.date(2025, 3, 3), name="Nghỉ lễ")
        assert not office_is_open(office, MONDAY_9)


class TestOfficerAfterDossiers:
    def test_many_ratings_right_after_an_officers_dossier_are_flagged(self, settings, office):
        settings.INTEGRITY_OFFICER_MIN = 3
        officer = OfficerFactory(office=office)
        DossierFactory(office=office, officer=officer, finished_at=MONDAY_9)
        made = [
            submit(office, at=MONDAY_9 + dt.timedelta(minutes=2 + i), officer=officer)
            for i in range(3)
        ]
        assert response_check(made[1].pk) == []
        assert response_check(made[2].pk)[0] == {
            "code": "officer_after_dossiers",
            "count": 3,
            "dossiers": 1,
            "minutes": 30,
        }

    def test_one_rating_per_dossier_is_normal(self, settings, office):
        settings.INTEGRITY_OFFICER_MIN = 3
        officer = OfficerFactory(office=office)
        for i in range(3):
            DossierFactory(
                office=office, officer=officer, returned_at=MONDAY_9 + dt.timedelta(minutes=i)
            )
        made = [
            submit(office, at=MONDAY_9 + dt.timedelta(minutes=2 + i), officer=officer)
            for i in range(3)
        ]
        assert response_check(made[2].pk) == []

    def test_without_recent_dossiers_the_rule_does_not_apply(self, settings, office):
        settings.INTEGRITY_OFFICER_MIN = 2
        officer = OfficerFactory(office=office)
        DossierFactory(office=office, officer=officer, finished_at=MONDAY_9 - dt.timedelta(hours=2))
        made = [
            submit(office, at=MONDAY_9 + dt.timedelta(minutes=i), officer=officer) for i in range(3)
        ]
        assert response_check(made[2].pk) == []


class TestFlagging:
    def test_checking_twice_records_each_reason_once_and_never_deletes(self, office):
        fast = submit(office, at=MONDAY_9, duration_seconds=1)
        response_check(fast.pk)
        response_check(fast.pk)
        fast.refresh_from_db()
        assert fast.flagged is True
        assert codes(fast) == ["too_fast"]
        assert Response.objects.filter(pk=fast.pk).exists()

    def test_clearing_keeps_the_reasons_and_stops_new_flags(self, office):
        admin = make_user(Role.ADMIN)
        fast = submit(office, at=MONDAY_9, duration_seconds=1)
        response_check(fast.pk)
        response_flag_clear(response=fast, user=admin)
        response_check(fast.pk)
        fast.refresh_from_db()
        assert fast.flagged is False
        assert fast.flag_cleared_by == admin and fast.flag_cleared_at is not None
        assert codes(fast) == ["too_fast"]


class TestFlaggedPages:
    @pytest.fixture
    def flagged(self, office):
        response = submit(office, at=MONDAY_9, duration_seconds=1)
        response_check(response.pk)
        return response

    def test_an_admin_sees_the_reasons_and_clears_a_flag(self, client, flagged):
        client.force_login(make_user(Role.ADMIN))
        page = client.get(reverse("surveys-flagged")).content.decode()
        assert "Trả lời nhanh hơn thời gian đọc tối thiểu" in page
        assert reverse("surveys-flagged-clear", args=[flagged.pk]) in page
        response = client.post(reverse("surveys-flagged-clear", args=[flagged.pk]))
        assert response.status_code == 302
        flagged.refresh_from_db()
        assert flagged.flagged is False

    def test_an_official_reads_but_cannot_clear(self, client, office, flagged):
        client.force_login(make_user(Role.OFFICIAL, unit=office.unit))
        page = client.get(reverse("surveys-flagged")).content.decode()
        assert office.name in page
        assert reverse("surveys-flagged-clear", args=[flagged.pk]) not in page
        assert client.post(reverse("surveys-flagged-clear", args=[flagged.pk])).status_code == 403
        flagged.refresh_from_db()
        assert flagged.flagged is True

    def test_an_official_sees_only_their_units_offices(self, client, flagged):
        other = OfficeFactory()
        client.force_login(make_user(Role.OFFICIAL, unit=other.unit))
        page = client.get(reverse("surveys-flagged")).content.decode()
        assert flagged.office.name not in page

    def test_office_staff_may_not_review(self, client, office, flagged):
        client.force_login(make_user(Role.OFFICE_STAFF, office=office))
        assert client.get(reverse("surveys-flagged")).status_code == 403
