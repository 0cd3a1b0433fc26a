"""response_submit and questionnaire_for_office: the contract every channel uses."""

import datetime as dt
import threading
import uuid

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from offices.models import UnitLevel
from surveys.models import Answer, KioskDevice, Questionnaire, QuestionnaireAssignment, Response
from surveys.services import (
    ResponseError,
    ip_hash,
    questionnaire_for_office,
    questionnaire_new_version,
    response_submit,
)
from tests.factories import DossierFactory, OfficeFactory, OfficerFactory, UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def office():
    return OfficeFactory()


def counter():
    return Questionnaire.objects.get(code="counter", is_current=True)


def sipas():
    return Questionnaire.objects.get(code="sipas", is_current=True)


class TestResponseSubmit:
    def test_it_stores_the_response_and_its_answers(self, office):
        response, created = response_submit(
            office=office,
            channel="link",
            answers={"rating": 2, "reason": ["time"], "comment": " Nhanh hơn "},
            duration_seconds=40,
        )
        assert created
        assert response.questionnaire == counter()
        assert response.duration_seconds == 40
        answers = {a.question.code: a for a in response.answers.select_related("question")}
        assert answers["rating"].value_int == 2 and answers["rating"].satisfied is True
        assert answers["reason"].value_choices == ["time"] and answers["reason"].satisfied is None
        assert answers["comment"].value_text == "Nhanh hơn"

    def test_it_skips_optional_questions_left_empty(self, office):
        response, _ = response_submit(
            office=office, channel="link", answers={"rating": 1, "comment": ""}
        )
        answer = response.answers.get()
        assert (answer.question.code, answer.value_int, answer.satisfied) == ("rating", 1, False)

    def test_it_returns_the_stored_response_when_the_client_id_is_replayed(self, office):
        client_id = uuid.uuid4()
        first, created = response_submit(
            office=office, channel="link", answers={"rating": 3}, client_id=client_id
        )
        again, created_again = response_submit(
            office=office, channel="link", answers={"rating": 1}, client_id=client_id
        )
        assert (created, created_again) == (True, False)
        assert again.pk == first.pk
        assert Response.objects.count() == 1
        assert Answer.objects.get().value_int == 3

    def test_it_refuses_a_second_response_for_the_same_dossier(self, office):
        dossier = DossierFactory(office=office)
        response_submit(office=office, channel="qr", answers={"rating": 3}, dossier=dossier)
        with pytest.raises(ResponseError) as exc:
            response_submit(office=office, channel="qr", answers={"rating": 1}, dossier=dossier)
        assert "đã được đánh giá" in exc.value.errors["dossier"][0]
        assert "already" in exc.value.errors_in("en")["dossier"][0]
        assert Response.objects.count() == 1

    def test_it_takes_the_procedure_from_the_dossier(self, office):
        dossier = DossierFactory(office=office)
        response, _ = response_submit(
            office=office, channel="qr", answers={"rating": 3}, dossier=dossier
        )
        assert response.procedure_id == dossier.procedure_id

    def test_it_rejects_a_dossier_of_another_office(self, office):
        dossier = DossierFactory()
        with pytest.raises(ResponseError) as exc:
            response_submit(office=office, channel="qr", answers={"rating": 3}, dossier=dossier)
        assert list(exc.value.errors) == ["dossier"]

    def test_it_reports_every_bad_answer_by_question_code(self, office):
        with pytest.raises(ResponseError) as exc:
            response_submit(
                office=office,
                channel="link",
                answers={"reason": ["nope"], "comment": "x" * 2001, "colour": "red"},
            )
        errors = exc.value.errors
        assert set(errors) == {"rating", "reason", "comment", "colour"}
        assert "bắt buộc" in errors["rating"][0] and "required" in errors["rating"][0]
        assert "nope" in errors["reason"][0]
        assert "2000" in errors["comment"][0]
        assert Response.objects.count() == 0

    def test_it_gives_messages_in_one_language_for_a_page(self, office):
        with pytest.raises(ResponseError) as exc:
            response_submit(office=office, channel="link", answers={"rating": 9})
        assert exc.value.errors_in("vi")["rating"] == [
            "Hãy chọn một mức từ 1 đến 3 (nhận được: 9)."
        ]
        assert "/" not in exc.value.errors_in("en")["rating"][0]

    def test_it_rejects_an_unknown_channel(self, office):
        with pytest.raises(ResponseError) as exc:
            response_submit(office=office, channel="fax", answers={"rating": 3})
        assert "channel" in exc.value.errors

    def test_it_rejects_an_inactive_office(self):
        office = OfficeFactory(active=False)
        with pytest.raises(ResponseError) as exc:
            response_submit(office=office, channel="link", answers={"rating": 3})
        assert "office" in exc.value.errors

    def test_it_requires_a_device_for_kiosk_responses(self, office):
        with pytest.raises(ResponseError) as exc:
            response_submit(office=office, channel="kiosk", answers={"rating": 3})
        assert "device" in exc.value.errors

    def test_it_rejects_a_device_of_another_office_or_revoked(self, office):
        other = KioskDevice.objects.create(office=OfficeFactory(), name="A")
        revoked = KioskDevice.objects.create(office=office, name="B", revoked_at=timezone.now())
        for device in (other, revoked):
            with pytest.raises(ResponseError) as exc:
                response_submit(
                    office=office, channel="kiosk", answers={"rating": 3}, device=device
                )
            assert "device" in exc.value.errors

    def test_it_stores_a_kiosk_response_with_its_device_and_officer(self, office):
        device = KioskDevice.objects.create(office=office, name="Quầy 1")
        officer = OfficerFactory(office=office)
        response, _ = response_submit(
            office=office, channel="kiosk", answers={"rating": 3}, device=device, officer=officer
        )
        assert (response.device, response.officer) == (device, officer)

    def test_it_rejects_an_officer_of_another_office(self, office):
        with pytest.raises(ResponseError) as exc:
            response_submit(
                office=office, channel="link", answers={"rating": 3}, officer=OfficerFactory()
            )
        assert "officer" in exc.value.errors

    @time_machine.travel(dt.datetime(2025, 5, 5, 3, 0, tzinfo=dt.UTC), tick=False)
    def test_it_rejects_a_submission_time_in_the_future(self, office):
        later = timezone.now() + dt.timedelta(hours=1)
        with pytest.raises(ResponseError) as exc:
            response_submit(office=office, channel="api", answers={"rating": 3}, submitted_at=later)
        assert "submitted_at" in exc.value.errors

    @time_machine.travel(dt.datetime(2025, 5, 5, 3, 0, tzinfo=dt.UTC), tick=False)
    def test_it_keeps_a_past_submission_time_and_defaults_to_now(self, office):
        earlier = timezone.now() - dt.timedelta(days=2)
        old, _ = response_submit(
            office=office, channel="paper", answers={"rating": 3}, submitted_at=earlier
        )
        new, _ = response_submit(office=office, channel="link", answers={"rating": 3})
        assert old.submitted_at == earlier
        assert new.submitted_at == timezone.now()

    def test_it_rejects_a_negative_duration(self, office):
        with pytest.raises(ResponseError) as exc:
            response_submit(
                office=office, channel="link", answers={"rating": 3}, duration_seconds=-5
            )
        assert "duration_seconds" in exc.value.errors

    def test_it_rejects_answers_that_are_not_a_mapping(self, office):
        with pytest.raises(ResponseError) as exc:
            response_submit(office=office, channel="link", answers=[3])
        assert "answers" in exc.value.errors

    def test_it_stores_a_salted_hash_of_the_ip_and_never_the_ip(self, office):
        response, _ = response_submit(
            office=office, channel="link", answers={"rating": 3}, ip="203.0.113.7"
        )
        assert response.ip_hash == ip_hash("203.0.113.7")
        assert len(response.ip_hash) == 64 and "203.0.113.7" not in response.ip_hash
        assert ip_hash("203.0.113.8") != response.ip_hash

    def test_it_freezes_the_questionnaire_on_the_first_answer(self, office):
        assert not counter().frozen
        response_submit(office=office, channel="link", answers={"rating": 3})
        assert counter().frozen

    def test_old_answers_keep_their_version_after_a_new_one(self, office):
        old_response, _ = response_submit(office=office, channel="link", answers={"rating": 3})
        new_version = questionnaire_new_version(questionnaire=counter())
        new_response, _ = response_submit(office=office, channel="link", answers={"rating": 2})
        old_response.refresh_from_db()
        assert old_response.questionnaire.version == 1
        assert new_response.questionnaire == new_version
        assert new_response.answers.get(question__code="rating").question.questionnaire_id == (
            new_version.pk
        )


class TestContact:
    def test_it_stores_no_contact_unless_asked(self, office):
        response, _ = response_submit(office=office, channel="link", answers={"rating": 1})
        assert (response.contact_requested, response.contact_phone, response.contact_email) == (
            False,
            "",
            "",
        )

    def test_it_stores_a_phone_with_consent(self, office):
        response, _ = response_submit(
            office=office,
            channel="link",
            answers={"rating": 1},
            contact={"requested": True, "consent": True, "phone": "0912 345 678"},
        )
        assert response.contact_requested and response.contact_consent
        assert response.contact_phone == "0912345678"

    def test_it_refuses_contact_details_without_consent(self, office):
        with pytest.raises(ResponseError) as exc:
            response_submit(
                office=office,
                channel="link",
                answers={"rating": 1},
                contact={"requested": True, "consent": False, "email": "a@example.com"},
            )
        assert "contact_consent" in exc.value.errors

    def test_it_refuses_contact_details_when_contact_was_not_requested(self, office):
        with pytest.raises(ResponseError) as exc:
            response_submit(
                office=office,
                channel="link",
                answers={"rating": 1},
                contact={"requested": False, "consent": True, "phone": "0912345678"},
            )
        assert "contact" in exc.value.errors

    @pytest.mark.parametrize(
        "contact,key",
        [
            ({"phone": "12ab"}, "contact_phone"),
            ({"email": "not-an-email"}, "contact_email"),
            ({}, "contact"),
        ],
    )
    def test_it_rejects_a_bad_or_missing_phone_or_email(self, office, contact, key):
        with pytest.raises(ResponseError) as exc:
            response_submit(
                office=office,
                channel="link",
                answers={"rating": 1},
                contact={"requested": True, "consent": True, **contact},
            )
        assert key in exc.value.errors


class TestQuestionnaireForOffice:
    def test_it_defaults_to_the_counter_rating(self, office):
        assert questionnaire_for_office(office=office) == counter()

    def test_it_uses_the_nearest_unit_up_the_tree(self):
        province = UnitFactory()
        district = UnitFactory(parent=province, level=UnitLevel.DISTRICT)
        commune = UnitFactory(parent=district, level=UnitLevel.COMMUNE)
        office = OfficeFactory(unit=commune)
        QuestionnaireAssignment.objects.create(unit=province, questionnaire_code="counter")
        QuestionnaireAssignment.objects.create(unit=district, questionnaire_code="sipas")
        assert questionnaire_for_office(office=office) == sipas()

    def test_an_office_assignment_overrides_its_unit(self):
        province = UnitFactory()
        office = OfficeFactory(unit=province)
        QuestionnaireAssignment.objects.create(unit=province, questionnaire_code="sipas")
        QuestionnaireAssignment.objects.create(office=office, questionnaire_code="counter")
        assert questionnaire_for_office(office=office) == counter()

    def test_it_ignores_units_of_another_branch(self):
        province = UnitFactory()
        district = UnitFactory(parent=province, level=UnitLevel.DISTRICT)
        sibling = UnitFactory(parent=province, level=UnitLevel.DISTRICT)
        QuestionnaireAssignment.objects.create(unit=sibling, questionnaire_code="sipas")
        assert questionnaire_for_office(office=OfficeFactory(unit=district)) == counter()

    def test_it_falls_back_when_the_assigned_code_has_no_questionnaire(self, office):
        QuestionnaireAssignment.objects.create(office=office, questionnaire_code="gone")
        assert questionnaire_for_office(office=office) == counter()

    def test_it_returns_the_current_version(self, office):
        QuestionnaireAssignment.objects.create(office=office, questionnaire_code="sipas")
        newer = questionnaire_new_version(questionnaire=sipas())
        assert questionnaire_for_office(office=office) == newer


def _race(n, submit):
    """Run ``submit`` in ``n`` threads released together; return results and errors."""
    barrier = threading.Barrier(n)
    results, errors = [], []

    def worker():
        try:
            barrier.wait(timeout=10)
            results.append(submit())
        except Exception as exc:  # noqa: BLE001 - collected and asserted on below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results, errors


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
class TestConcurrentSubmissions:
    @pytest.fixture(autouse=True)
    def _postgres_only(self):
        if connection.vendor != "postgresql":
            pytest.skip("other backend: concurrency is checked on PostgreSQL")

    def test_the_same_client_id_sent_at_once_stores_one_response(self):
        office = OfficeFactory()
        client_id = uuid.uuid4()
        results, errors = _race(
            8,
            lambda: response_submit(
                office=office,
                channel="link",
                answers={"rating": 3},
                client_id=client_id,
            ),
        )
        assert errors == []
        assert sorted(created for _r, created in results) == [False] * 7 + [True]
        assert len({response.pk for response, _c in results}) == 1
        assert Response.objects.filter(client_id=client_id).count() == 1
        assert Answer.objects.filter(response__client_id=client_id).count() == 1

    def test_the_same_dossier_sent_at_once_stores_one_response(self):
        office = OfficeFactory()
        dossier = DossierFactory(office=office)
        results, errors = _race(
            8,
            lambda: response_submit(
                office=office, channel="qr", answers={"rating": 3}, dossier=dossier
            ),
        )
        assert len(results) == 1 and results[0][1] is True
        assert len(errors) == 7
        assert all(isinstance(e, ResponseError) and "dossier" in e.errors for e in errors)
        assert Response.objects.filter(dossier=dossier).count() == 1


class TestReplaysAndCaching:
    def test_a_replay_returns_the_stored_response_even_if_it_no_longer_validates(self, office):
        client_id = uuid.uuid4()
        first, _ = response_submit(
            office=office, channel="link", answers={"rating": 3}, client_id=client_id
        )
        again, created = response_submit(
            office=office, channel="link", answers={"rating": 99}, client_id=client_id
        )
        assert (again.pk, created) == (first.pk, False)

    def test_the_config_cache_keeps_the_office_questionnaire_for_a_while(
        self, office, settings, django_assert_num_queries
    ):
        from surveys import services

        settings.SURVEY_CONFIG_CACHE_SECONDS = 30
        services._config_cache.clear()
        try:
            first = questionnaire_for_office(office=office)
            with django_assert_num_queries(0):
                assert questionnaire_for_office(office=office) == first
        finally:
            services._config_cache.clear()

    def test_without_the_cache_an_assignment_applies_at_once(self, office, settings):
        settings.SURVEY_CONFIG_CACHE_SECONDS = 0
        assert questionnaire_for_office(office=office) == counter()
        QuestionnaireAssignment.objects.create(office=office, questionnaire_code="sipas")
        assert questionnaire_for_office(office=office) == sipas()
