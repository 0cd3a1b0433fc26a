"""Complaint follow-ups: when they open, the office's actions, replies, escalation, pages."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from offices.models import Holiday, Role, UnitLevel
from surveys import sms
from surveys.followups import (
    FollowUpError,
    followup_assign,
    followup_close,
    followup_open_for,
    followup_reply,
    followup_reply_deliver,
    followups_escalate,
)
from surveys.models import FollowUp, FollowUpStatus
from surveys.services import response_submit
from surveys.tasks import followups_escalate as escalate_task
from tests.factories import OfficeFactory, UnitFactory, local_dt, make_user

pytestmark = pytest.mark.django_db

MONDAY_9 = local_dt(2025, 3, 3, 9, 0)
CONTACT = {"requested": True, "consent": True, "email": "dan@example.org", "phone": "0912345678"}


@pytest.fixture(autouse=True)
def _frozen_and_local_sms(settings):
    settings.SMS_BACKEND = "surveys.sms.LocMemSMSBackend"
    sms.outbox.clear()
    with time_machine.travel(local_dt(2025, 3, 10, 12, 0), tick=False):
        yield


@pytest.fixture
def district():
    province = UnitFactory()
    return UnitFactory(level=UnitLevel.DISTRICT, parent=province)


@pytest.fixture
def office(district):
    return OfficeFactory(unit=district)


def submit(office, answers, **kwargs):
    kwargs.setdefault("submitted_at", MONDAY_9)
    response, _ = response_submit(office=office, channel="link", answers=answers, **kwargs)
    return response


def open_one(office, **kwargs):
    response = submit(office, {"rating": 1, "reason": ["time", "attitude"]}, **kwargs)
    return followup_open_for(response.pk)


class TestOpening:
    def test_a_not_satisfied_rating_with_a_reason_opens_one(self, office):
        follow_up = open_one(office)
        assert follow_up.office == office and follow_up.status == FollowUpStatus.OPEN
        assert "Thời gian giải quyết, Thái độ phục vụ" in follow_up.reason
        assert follow_up.opened_at == MONDAY_9

    def test_it_is_due_at_the_end_of_the_fifteenth_working_day(self, office):
        # 3 March 2025 (Mon) + 15 working days = Mon 24 March.
        assert open_one(office).due_at == local_dt(2025, 3, 24, 23, 59) + dt.timedelta(seconds=59)

    def test_holidays_push_the_due_date(self, office):
        Holiday.objects.create(date=dt.date(2025, 3, 12), name="Nghỉ")
        assert open_one(office).due_at.date() == dt.date(2025, 3, 25)

    def test_a_bare_low_rating_opens_nothing(self, office):
        assert followup_open_for(submit(office, {"rating": 1}).pk) is None

    def test_a_comment_alone_opens_nothing_without_a_request_for_contact(self, office):
        response = submit(office, {"rating": 3, "comment": "Cần thêm ghế"})
        assert followup_open_for(response.pk) is None

    def test_a_comment_with_a_request_for_contact_opens_one(self, office):
        response = submit(office, {"rating": 3, "comment": "Cần thêm ghế"}, contact=CONTACT)
        follow_up = followup_open_for(response.pk)
        assert "Cần thêm ghế" in follow_up.reason

    def test_a_sipas_low_item_with_a_comment_opens_one(self, office):
        from surveys.models import Questionnaire

        sipas = Questionnaire.objects.get(code="sipas", is_current=True)
        items = list(
            sipas.questions.filter(kind="scale5", counts_toward_satisfaction=True)
            .order_by("order")
            .values_list("code", flat=True)
        )
        all_fours = dict.fromkeys(items, 4)
        low = submit(office, {**all_fours, items[0]: 2, "comment": "Chờ lâu"}, questionnaire=sipas)
        fine = submit(office, {**all_fours, items[0]: 3, "comment": "Chờ lâu"}, questionnaire=sipas)
        assert followup_open_for(low.pk) is not None
        assert followup_open_for(fine.pk) is None

    def test_running_twice_opens_one(self, office):
        first = open_one(office)
        assert followup_open_for(first.response_id) == first
        assert FollowUp.objects.count() == 1

    def test_the_office_staff_are_told_by_email(self, office):
        make_user(Role.OFFICE_STAFF, office=office, email="canbo@example.org")
        open_one(office)
        assert [m.to for m in mail.outbox] == [["canbo@example.org"]]
        assert office.name in mail.outbox[0].subject


class TestActions:
    def test_staff_of_the_office_can_be_assigned(self, office):
        staff = make_user(Role.OFFICE_STAFF, office=office)
        follow_up = followup_assign(follow_up=open_one(office), assignee=staff, by=staff)
        assert (follow_up.assignee, follow_up.status) == (staff, FollowUpStatus.ASSIGNED)

    def test_staff_of_another_office_cannot_be_assigned(self, office):
        stranger = make_user(Role.OFFICE_STAFF, office=OfficeFactory())
        with pytest.raises(FollowUpError):
            followup_assign(follow_up=open_one(office), assignee=stranger, by=stranger)

    def test_a_reply_is_sent_by_email_and_sms_in_the_citizens_language(self, office):
        staff = make_user(Role.OFFICE_STAFF, office=office)
        follow_up = open_one(office, contact=CONTACT, language="en")
        mail.outbox.clear()
        with self.captured_on_commit():
            followup_reply(follow_up=follow_up, text="Chúng tôi đã bố trí thêm cán bộ.", by=staff)
        follow_up.refresh_from_db()
        assert follow_up.status == FollowUpStatus.ANSWERED and follow_up.assignee == staff
        assert follow_up.reply_sent_at is not None and follow_up.reply_sent_via == "email,sms"
        assert mail.outbox[0].to == ["dan@example.org"]
        assert mail.outbox[0].subject.startswith("Reply to your feedback")
        assert "Chúng tôi đã bố trí thêm cán bộ." in mail.outbox[0].body
        assert [m.to for m in sms.outbox] == ["+84912345678"]
        assert "replies to your feedback" in sms.outbox[0].text

    def test_a_reply_is_delivered_once(self, office):
        staff = make_user(Role.OFFICE_STAFF, office=office)
        follow_up = open_one(office, contact=CONTACT)
        mail.outbox.clear()
        with self.captured_on_commit():
            followup_reply(follow_up=follow_up, text="Đã xử lý.", by=staff)
        assert followup_reply_deliver(follow_up_id=follow_up.pk) == []
        assert len(mail.outbox) == 1 and len(sms.outbox) == 1

    def test_a_failed_delivery_can_be_retried(self, office, settings):
        settings.SMS_BACKEND = "tests.surveys.test_followups.BrokenSMSBackend"
        staff = make_user(Role.OFFICE_STAFF, office=office)
        follow_up = open_one(office, contact={**CONTACT, "email": ""})
        follow_up.reply, follow_up.replied_at = "Đã xử lý.", MONDAY_9
        follow_up.save()
        with pytest.raises(ConnectionError):
            followup_reply_deliver(follow_up_id=follow_up.pk)
        follow_up.refresh_from_db()
        assert follow_up.reply_sent_at is None
        settings.SMS_BACKEND = "surveys.sms.LocMemSMSBackend"
        assert followup_reply_deliver(follow_up_id=follow_up.pk) == ["sms"]
        assert staff  # the office keeps the follow-up; only delivery was retried

    def test_an_empty_reply_is_refused(self, office):
        staff = make_user(Role.OFFICE_STAFF, office=office)
        with pytest.raises(FollowUpError):
            followup_reply(follow_up=open_one(office), text="  ", by=staff)

    def test_a_closed_follow_up_cannot_change(self, office):
        staff = make_user(Role.OFFICE_STAFF, office=office)
        follow_up = followup_close(follow_up=open_one(office), by=staff, citizen_satisfied=True)
        assert follow_up.closed_at is not None and follow_up.citizen_satisfied is True
        with pytest.raises(FollowUpError):
            followup_reply(follow_up=follow_up, text="Muộn", by=staff)

    @staticmethod
    def captured_on_commit():
        from django.test import TestCase

        return TestCase.captureOnCommitCallbacks(execute=True)


class BrokenSMSBackend(sms.BaseSMSBackend):
    def send_messages(self, messages):
        raise ConnectionError("gateway down")


class TestEscalation:
    def test_an_overdue_unanswered_follow_up_goes_to_the_unit_above_once(self, office, district):
        official = make_user(Role.OFFICIAL, unit=district.parent, email="tinh@example.org")
        make_user(Role.OFFICIAL, unit=district, email="huyen@example.org")
        follow_up = open_one(office)
        mail.outbox.clear()
        with time_machine.travel(local_dt(2025, 3, 25, 8, 0), tick=False):
            assert escalate_task.delay().get() == 1
            assert followups_escalate() == 0
        follow_up.refresh_from_db()
        assert follow_up.escalated_at == local_dt(2025, 3, 25, 8, 0)
        assert [m.to for m in mail.outbox] == [[official.email]]

    def test_nothing_escalates_before_the_due_time_or_once_answered(self, office):
        waiting = open_one(office)
        answered = open_one(office)
        answered.status = FollowUpStatus.ANSWERED
        answered.save()
        assert followups_escalate(now=local_dt(2025, 3, 24, 23, 0)) == 0
        assert followups_escalate(now=local_dt(2025, 3, 25, 0, 30)) == 1
        waiting.refresh_from_db()
        answered.refresh_from_db()
        assert waiting.escalated_at is not None and answered.escalated_at is None


class TestPages:
    def test_office_staff_list_only_their_office(self, client, office):
        mine = open_one(office)
        other = open_one(OfficeFactory())
        client.force_login(make_user(Role.OFFICE_STAFF, office=office))
        page = client.get(reverse("surveys-followups")).content.decode()
        assert reverse("surveys-followup-detail", args=[mine.pk]) in page
        assert reverse("surveys-followup-detail", args=[other.pk]) not in page
        assert client.get(reverse("surveys-followup-detail", args=[other.pk])).status_code == 404

    def test_staff_reply_from_the_detail_page(self, client, office):
        follow_up = open_one(office)
        client.force_login(make_user(Role.OFFICE_STAFF, office=office))
        url = reverse("surveys-followup-detail", args=[follow_up.pk])
        response = client.post(url, {"action": "reply", "reply": "Đã chấn chỉnh."})
        assert response.status_code == 302
        follow_up.refresh_from_db()
        assert follow_up.reply == "Đã chấn chỉnh." and follow_up.status == FollowUpStatus.ANSWERED

    def test_officials_read_but_cannot_act(self, client, office, district):
        follow_up = open_one(office)
        client.force_login(make_user(Role.OFFICIAL, unit=district.parent))
        url = reverse("surveys-followup-detail", args=[follow_up.pk])
        page = client.get(url).content.decode()
        assert follow_up.reason.splitlines()[0] in page and 'name="action"' not in page
        assert client.post(url, {"action": "close"}).status_code == 403

    def test_the_overdue_filter_lists_late_ones(self, client, office):
        follow_up = open_one(office)
        staff = make_user(Role.OFFICE_STAFF, office=office)
        client.force_login(staff)
        url = reverse("surveys-followups") + "?status=overdue"
        assert reverse("surveys-followup-detail", args=[follow_up.pk]) not in (
            client.get(url).content.decode()
        )
        with time_machine.travel(local_dt(2025, 3, 25, 8, 0), tick=False):
            client.force_login(staff)  # the first session expired meanwhile
            assert reverse("surveys-followup-detail", args=[follow_up.pk]) in (
                client.get(url).content.decode()
            )
