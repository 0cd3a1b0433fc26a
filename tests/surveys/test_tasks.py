"""Celery tasks of surveys: the minutely check of new responses."""

import pytest

from portal.beat import DEFAULT_SCHEDULE
from surveys.models import FollowUp, Response
from surveys.services import response_submit
from surveys.tasks import response_after_submit, responses_check_pending
from tests.factories import OfficeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _periodic_only(settings):
    settings.SURVEY_CHECK_INLINE = False


def complaint():
    response, _ = response_submit(
        office=OfficeFactory(), channel="link", answers={"rating": 1, "reason": ["time"]}
    )
    return response


class TestResponsesCheckPending:
    def test_it_is_scheduled_every_minute(self):
        entries = [
            spec
            for spec in DEFAULT_SCHEDULE.values()
            if spec["task"] == "surveys.tasks.responses_check_pending"
        ]
        assert entries == [{"task": "surveys.tasks.responses_check_pending", "every_seconds": 60}]

    def test_it_checks_the_waiting_responses_and_opens_their_follow_ups(self):
        response = complaint()
        assert responses_check_pending.delay().get() == 1
        assert Response.objects.get(pk=response.pk).checked_at is not None
        assert FollowUp.objects.filter(response=response).count() == 1


class TestResponseAfterSubmit:
    def test_it_checks_one_response_once(self):
        response = complaint()
        response_after_submit.delay(response.pk)
        response_after_submit.delay(response.pk)
        assert Response.objects.get(pk=response.pk).checked_at is not None
        assert FollowUp.objects.filter(response=response).count() == 1
        assert responses_check_pending.delay().get() == 0
