"""Alerts and digests: thresholds, one send per window, the recipient's language."""

import datetime as dt

import pytest
from django.core import mail

from offices.models import Profile, Role
from reports import alerts
from reports.models import AlertLog
from reports.services import stats_refresh
from reports.tasks_alerts import alerts_negative_check, alerts_silent_check, digests_weekly_send
from surveys.models import KioskDevice
from tests.factories import make_user
from tests.reports.conftest import local

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2025, 3, 19, 10, 0, tzinfo=dt.UTC)  # Wednesday 17:00 in Hà Nội


@pytest.fixture
def setup(world, settings, time_machine):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.ALERT_NEGATIVE_MIN_RATINGS = 4
    settings.ALERT_NEGATIVE_SHARE = 0.5
    settings.ALERT_NEGATIVE_WINDOW_MINUTES = 60
    settings.ALERT_SILENT_WORKING_DAYS = 3
    time_machine.move_to(NOW, tick=False)
    staff = make_user(Role.OFFICE_STAFF, office=world.offices[0], email="o1@example.vn")
    english = make_user(Role.OFFICE_STAFF, office=world.offices[0], email="o1en@example.vn")
    Profile.objects.filter(user=english).update(language="en")
    make_user(Role.OFFICE_STAFF, office=world.offices[1], email="o2@example.vn")
    make_user(Role.OFFICE_STAFF, office=world.offices[0])  # no e-mail: skipped
    world.staff = staff
    return world


def rate(world, *, office=0, minutes_ago, good):
    when = NOW - dt.timedelta(minutes=minutes_ago)
    return world.response(office=office, when=when, q3=3 if good else 1)


class TestNegativeBurst:
    def test_half_of_four_ratings_negative_alerts_the_offices_staff(self, setup):
        for minutes, good in ((5, False), (15, False), (25, True), (35, True)):
            rate(setup, minutes_ago=minutes, good=good)
        assert alerts_negative_check.delay().get() == 2
        assert sorted(m.to[0] for m in mail.outbox) == ["o1@example.vn", "o1en@example.vn"]

    def test_it_writes_in_each_recipients_language(self, setup):
        for minutes in (5, 10, 15, 20):
            rate(setup, minutes_ago=minutes, good=False)
        alerts.negative_alerts_send(now=NOW)
        by_address = {m.to[0]: m for m in mail.outbox}
        assert "không hài lòng" in by_address["o1@example.vn"].subject
        assert "dissatisfied" in by_address["o1en@example.vn"].subject
        assert by_address["o1en@example.vn"].alternatives[0][1] == "text/html"

    def test_three_ratings_are_not_enough(self, setup):
        for minutes in (5, 10, 15):
            rate(setup, minutes_ago=minutes, good=False)
        assert alerts.negative_alerts_send(now=NOW) == 0

    def test_ratings_older_than_the_window_do_not_count(self, setup):
        for minutes in (5, 10, 70, 80):
            rate(setup, minutes_ago=minutes, good=False)
        assert alerts.negative_alerts_send(now=NOW) == 0

    def test_fewer_than_half_negative_does_not_alert(self, setup):
        for minutes, good in ((5, False), (15, True), (25, True), (35, True)):
            rate(setup, minutes_ago=minutes, good=good)
        assert alerts.negative_alerts_send(now=NOW) == 0

    def test_flagged_responses_are_left_out(self, setup):
        for minutes in (5, 10, 15, 20):
            setup.response(office=0, when=NOW - dt.timedelta(minutes=minutes), q3=1, flagged=True)
        assert alerts.negative_alerts_send(now=NOW) == 0

    def test_it_alerts_once_for_the_same_window(self, setup, time_machine):
        for minutes in (5, 10, 15, 20):
            rate(setup, minutes_ago=minutes, good=False)
        assert alerts.negative_alerts_send(now=NOW) == 2
        assert alerts.negative_alerts_send(now=NOW) == 0
        later = NOW + dt.timedelta(minutes=30)
        assert alerts.negative_alerts_send(now=later) == 0
        assert AlertLog.objects.count() == 1

    def test_the_threshold_is_configurable(self, setup, settings):
        settings.ALERT_NEGATIVE_MIN_RATINGS = 2
        for minutes in (5, 10):
            rate(setup, minutes_ago=minutes, good=False)
        assert alerts.negative_alerts_send(now=NOW) == 2


class TestSilent:
    def test_an_office_silent_for_three_working_days_is_reported_once(self, setup):
        # Last rating on Thursday 13/3; Fri 14, Mon 17, Tue 18, Wed 19: silent since.
        setup.response(office=0, when=local(dt.date(2025, 3, 13)), q3=3)
        setup.response(office=1, when=local(dt.date(2025, 3, 18)), q3=3)  # recent: fine
        today = dt.date(2025, 3, 19)
        assert [o.code for o in alerts.silent_offices_find(today=today)] == ["O1"]
        assert alerts_silent_check.delay().get() == 2
        assert "O1" in mail.outbox[0].subject or "Office O1" in mail.outbox[0].subject
        assert alerts.silent_alerts_send(today=today) == 0

    def test_a_weekend_does_not_count_as_silence(self, setup):
        # Friday 14/3 rating; on Tuesday 18/3 only Mon and Tue have passed.
        setup.response(office=0, when=local(dt.date(2025, 3, 14)), q3=3)
        assert alerts.silent_offices_find(today=dt.date(2025, 3, 18)) == []

    def test_an_office_with_no_rating_for_months_is_not_nagged(self, setup):
        setup.response(office=0, when=local(dt.date(2024, 9, 1)), q3=3)
        assert alerts.silent_offices_find(today=dt.date(2025, 3, 19)) == []

    def test_a_silent_kiosk_is_reported(self, setup):
        office = setup.offices[0]
        kiosk = KioskDevice.objects.create(
            office=office, name="Quầy 1", activated_at=local(dt.date(2025, 1, 2))
        )
        busy = KioskDevice.objects.create(
            office=office, name="Quầy 2", activated_at=local(dt.date(2025, 1, 2))
        )
        r = setup.response(office=0, when=local(dt.date(2025, 3, 19), 8), q3=3)
        r.device = busy
        r.save()
        found = alerts.silent_kiosks_find(today=dt.date(2025, 3, 19))
        assert [k.pk for k in found] == [kiosk.pk]


class TestWeeklyDigest:
    def test_each_official_gets_last_weeks_figures_once(self, setup):
        official = make_user(Role.OFFICIAL, unit=setup.province, email="tinh@example.vn")
        make_user(Role.OFFICIAL, unit=setup.province)  # no e-mail
        setup.response(office=0, when=local(dt.date(2025, 3, 11)), q3=3)
        setup.response(office=2, when=local(dt.date(2025, 3, 12)), q3=1)
        stats_refresh(full=True)
        assert digests_weekly_send.delay().get() == 1
        message = mail.outbox[0]
        assert message.to == ["tinh@example.vn"]
        assert "10/03–16/03/2025" in message.subject
        assert "50,00%" in message.body  # one of two satisfied
        assert "Huyện A2" in message.body  # weakest district
        assert "period=custom&start=2025-03-10&end=2025-03-16" in message.body
        assert digests_weekly_send.delay().get() == 0
        assert AlertLog.objects.get().subject_key == f"user:{official.pk}"

    def test_last_week_runs_monday_to_sunday(self):
        assert alerts.last_week(dt.date(2025, 3, 19)) == (
            dt.date(2025, 3, 10),
            dt.date(2025, 3, 16),
        )
        assert alerts.last_week(dt.date(2025, 3, 17)) == (
            dt.date(2025, 3, 10),
            dt.date(2025, 3, 16),
        )
