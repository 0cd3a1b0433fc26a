"""surveys.demo: responses consistent with the demo dossiers."""

import datetime as dt
import random

import pytest
from django.db.models import Count, Q
from django.utils import timezone

from offices.models import DossierStatus, OfficeKind
from surveys.demo import demo_responses_seed
from surveys.models import Answer, FollowUp, Questionnaire, Response
from tests.factories import DossierFactory, OfficeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def offices():
    now = timezone.now()
    result = [
        OfficeFactory(kind=OfficeKind.COMMUNE_ONE_STOP),
        OfficeFactory(kind=OfficeKind.DISTRICT_ONE_STOP),
        OfficeFactory(kind=OfficeKind.DEPARTMENT),
    ]
    for office in result:
        for i in range(120):
            received = now - dt.timedelta(days=60 + i % 30)
            DossierFactory(
                office=office,
                received_at=received,
                due_at=received + dt.timedelta(days=5),
                finished_at=received + dt.timedelta(days=3 if i % 10 else 8),
                status=DossierStatus.RETURNED,
            )
        DossierFactory(office=office, received_at=now, due_at=now + dt.timedelta(days=3))
    return result


def test_it_rates_55_to_90_percent_of_finished_dossiers_per_office(offices):
    result = demo_responses_seed(rng=random.Random(7), offices=offices)
    assert result.responses == Response.objects.count() > 0
    for office in offices:
        rated = Response.objects.filter(office=office, dossier__isnull=False).count()
        assert 0.45 <= rated / 120 <= 0.97, (office.kind, rated)
    assert not Response.objects.filter(dossier__finished_at__isnull=True).exists()


def test_every_office_has_counter_ratings_and_a_paper_sample_of_sipas(offices):
    demo_responses_seed(rng=random.Random(7), offices=offices)
    for office in offices:
        by_code = dict(
            Response.objects.filter(office=office)
            .values_list("questionnaire__code")
            .annotate(n=Count("pk"))
        )
        assert by_code["counter"] > by_code.get("sipas", 0)
    sipas = Response.objects.filter(questionnaire__code="sipas")
    assert sipas.exists()
    assert set(sipas.values_list("channel", flat=True)) == {"paper"}
    assert Questionnaire.objects.get(code="sipas", is_current=True).frozen
    assert Questionnaire.objects.get(code="counter", is_current=True).frozen


def test_satisfied_is_set_for_every_satisfaction_answer_and_mostly_true(offices):
    demo_responses_seed(rng=random.Random(7), offices=offices)
    counted = Answer.objects.filter(question__counts_toward_satisfaction=True)
    assert not counted.filter(satisfied__isnull=True).exists()
    assert not counted.filter(question__kind="scale5", value_int__gte=4, satisfied=False).exists()
    assert not counted.filter(question__kind="scale3", value_int=1, satisfied=True).exists()
    share = counted.aggregate(n=Count("pk"), yes=Count("pk", filter=Q(satisfied=True)))
    assert 0.55 < share["yes"] / share["n"] < 0.99


def test_it_opens_some_complaints_and_is_safe_to_run_again(offices):
    first = demo_responses_seed(rng=random.Random(7), offices=offices)
    assert FollowUp.objects.count() == first.follow_ups > 0
    again = demo_responses_seed(rng=random.Random(7), offices=offices)
    assert again.responses == 0
    assert Response.objects.count() == first.responses


def test_demo_responses_are_not_left_for_the_periodic_checks(offices):
    demo_responses_seed(rng=random.Random(7), offices=offices)
    assert not Response.objects.filter(checked_at__isnull=True).exists()
