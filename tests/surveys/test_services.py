"""response_submit and questionnaire_for_office: the contract every channel uses."""

import datetime as dt
import threading
import uuid

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from offices.models import UnitLevel
from surveys.models import (
    Answer,
    FollowUp,
    KioskDevice,
    Questionnaire,
    QuestionnaireAssignment,
    Response,
)
from surveys.services import (
    ResponseError,
    ip_hash,
    questionnaire_for_office,
    questionnaire_new_version,
    response_build,
    response_prepare,
    response_process,
    response_save,
    response_submit,
    responses_check_pending,
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

    @pytest.fixture(params=[False, True], ids=["first-answer", "frozen"])
    def frozen(self, request):
        # Frozen: the one-statement insert; not yet: the transaction that freezes it.
        Questionnaire.objects.filter(code="counter").update(frozen=request.param)
        return request.param

    def test_the_same_client_id_sent_at_once_stores_one_response(self, frozen):
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

    def test_the_same_dossier_sent_at_once_stores_one_response(self, frozen):
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


class TestStoredRows:
    """Both insert paths (first answer: a transaction; frozen: one statement) store the same."""

    @pytest.mark.parametrize("frozen", [False, True], ids=["first-answer", "frozen"])
    def test_every_kind_of_answer_is_stored_with_its_response(self, office, frozen):
        questionnaire = sipas()
        Questionnaire.objects.filter(pk=questionnaire.pk).update(frozen=frozen)
        questionnaire.refresh_from_db()
        questions = list(questionnaire.questions.order_by("order", "pk"))
        scales = [q.code for q in questions if q.kind == "scale5"]
        choices = next(q for q in questions if q.kind in ("single", "multiple"))
        text = next(q for q in questions if q.kind in ("short_text", "long_text"))
        answers = {**dict.fromkeys(scales, 4), scales[0]: 2, text.code: "Chờ hơi lâu"}
        answers[choices.code] = (
            [choices.option_values()[0]]
            if choices.kind == "multiple"
            else choices.option_values()[0]
        )
        response, created = response_submit(
            office=office,
            channel="link",
            answers=answers,
            questionnaire=questionnaire,
            ip="10.0.0.9",
            duration_seconds=95,
            language="en",
            contact={"requested": True, "consent": True, "email": "a@example.org"},
        )
        assert created and response.pk is not None
        stored = Response.objects.get(pk=response.pk)
        assert stored.client_id == response.client_id
        assert (stored.office, stored.questionnaire, stored.channel) == (
            office,
            questionnaire,
            "link",
        )
        assert (stored.duration_seconds, stored.language, stored.contact_email) == (
            95,
            "en",
            "a@example.org",
        )
        assert stored.ip_hash == ip_hash("10.0.0.9") and stored.flag_reasons == []
        assert stored.created_at is not None and stored.checked_at is None
        rows = {
            a.question.code: (a.value_int, a.value_text, a.value_choices, a.satisfied)
            for a in Answer.objects.filter(response=stored).select_related("question")
        }
        assert len(rows) == len(answers)
        assert rows[scales[0]] == (2, "", [], False)
        assert rows[scales[1]] == (4, "", [], True)
        assert rows[text.code] == (None, "Chờ hơi lâu", [], None)
        chosen = rows[choices.code]
        assert chosen[2] == [choices.option_values()[0]] or chosen[1] == choices.option_values()[0]
        assert Questionnaire.objects.get(pk=questionnaire.pk).frozen


class TestPendingChecks:
    """Checks and follow-ups run once per response: periodically, or inline on commit."""

    COMPLAINT = {"rating": 1, "reason": ["time"]}

    @pytest.fixture(autouse=True)
    def _periodic_only(self, settings):
        settings.SURVEY_CHECK_INLINE = False

    def submit(self, office, answers=None, **kwargs):
        response, _ = response_submit(
            office=office, channel="link", answers=answers or {"rating": 3}, **kwargs
        )
        return response

    def test_a_new_response_waits_unchecked_for_the_periodic_run(self, office):
        response = self.submit(office, self.COMPLAINT)
        response.refresh_from_db()
        assert response.checked_at is None and not FollowUp.objects.exists()
        assert responses_check_pending() == 1
        response.refresh_from_db()
        assert response.checked_at is not None
        assert FollowUp.objects.get().response == response

    def test_running_again_does_nothing_more(self, office):
        self.submit(office, self.COMPLAINT)
        assert responses_check_pending() == 1
        assert responses_check_pending() == 0
        assert FollowUp.objects.count() == 1

    def test_it_flags_like_a_check_right_after_each_submission(self, office, settings):
        settings.INTEGRITY_BURST_MAX_IP = 2
        start = timezone.now() - dt.timedelta(minutes=3)
        made = [
            self.submit(office, ip="10.1.1.1", submitted_at=start + dt.timedelta(seconds=i))
            for i in range(4)
        ]
        assert responses_check_pending() == 4
        flagged = {
            r.pk: [reason["code"] for reason in r.flag_reasons]
            for r in Response.objects.filter(pk__in=[m.pk for m in made])
        }
        assert [flagged[m.pk] for m in made] == [[], [], ["ip_burst"], ["ip_burst"]]

    def test_it_works_through_every_batch(self, office):
        made = [self.submit(office) for _ in range(5)]
        assert responses_check_pending(batch_size=2) == 5
        assert not Response.objects.filter(
            pk__in=[m.pk for m in made], checked_at__isnull=True
        ).exists()

    def test_it_stops_when_its_time_is_up_and_leaves_the_rest(self, office):
        for _ in range(3):
            self.submit(office)
        assert responses_check_pending(seconds=0) == 0
        assert Response.objects.filter(checked_at__isnull=True).count() == 3

    def test_a_response_is_processed_once(self, office):
        response = self.submit(office, self.COMPLAINT)
        assert response_process(response_id=response.pk) is True
        assert response_process(response_id=response.pk) is False
        assert FollowUp.objects.count() == 1

    def test_a_failing_check_is_retried_next_run_and_the_others_go_on(self, office, monkeypatch):
        from surveys import integrity

        bad, good = self.submit(office, self.COMPLAINT), self.submit(office, self.COMPLAINT)
        real = integrity.response_check

        def failing(response_id):
            if response_id == bad.pk:
                raise RuntimeError("database hiccup")
            return real(response_id)

        monkeypatch.setattr(integrity, "response_check", failing)
        assert responses_check_pending() == 1
        bad.refresh_from_db()
        assert bad.checked_at is None and not FollowUp.objects.filter(response=bad).exists()
        assert FollowUp.objects.filter(response=good).exists()
        monkeypatch.setattr(integrity, "response_check", real)
        assert responses_check_pending() == 1
        assert FollowUp.objects.filter(response=bad).exists()

    def test_inline_mode_checks_right_after_the_commit(
        self, office, settings, django_capture_on_commit_callbacks
    ):
        settings.SURVEY_CHECK_INLINE = True
        with django_capture_on_commit_callbacks(execute=True):
            response = self.submit(office, self.COMPLAINT)
        response.refresh_from_db()
        assert response.checked_at is not None and FollowUp.objects.get().response == response
        assert responses_check_pending() == 0

    def test_a_failing_inline_check_leaves_the_response_for_the_periodic_run(
        self, office, settings, monkeypatch, django_capture_on_commit_callbacks
    ):
        from surveys import followups

        settings.SURVEY_CHECK_INLINE = True
        real = followups.followup_open_for
        monkeypatch.setattr(
            followups, "followup_open_for", lambda pk: (_ for _ in ()).throw(OSError("smtp"))
        )
        with django_capture_on_commit_callbacks(execute=True):
            response, created = response_submit(
                office=office, channel="link", answers=self.COMPLAINT
            )
        assert created
        response.refresh_from_db()
        assert response.checked_at is None
        monkeypatch.setattr(followups, "followup_open_for", real)
        assert responses_check_pending() == 1 and FollowUp.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
class TestConcurrentChecks:
    def test_two_workers_at_once_process_each_response_once(self, settings):
        if connection.vendor != "postgresql":
            pytest.skip("other backend: concurrency is checked on PostgreSQL")
        from django.core import mail

        from offices.models import Role
        from tests.factories import make_user

        settings.SURVEY_CHECK_INLINE = False
        office = OfficeFactory()
        make_user(Role.OFFICE_STAFF, office=office, email="canbo@example.org")
        for i in range(12):
            answers = {"rating": 1, "reason": ["time"]} if i % 2 else {"rating": 3}
            response_submit(office=office, channel="link", answers=answers)
        mail.outbox.clear()
        results, errors = _race(2, lambda: responses_check_pending(batch_size=3))
        assert errors == [] and sorted(results)[0] >= 0 and sum(results) == 12
        assert not Response.objects.filter(checked_at__isnull=True).exists()
        assert FollowUp.objects.count() == 6
        assert len(mail.outbox) == 6  # one notice per follow-up, none twice


class TestIpHash:
    def test_it_is_django_s_salted_hmac_of_the_ip(self):
        from django.utils.crypto import salted_hmac

        from surveys.services import ip_hash

        for ip in ("127.0.0.1", "2001:db8::1"):
            expected = salted_hmac("surveys.response.ip", ip, algorithm="sha256").hexdigest()
            assert ip_hash(ip) == expected
        assert ip_hash("") == "" and ip_hash(None) == ""

    def test_it_changes_with_the_secret_key(self, settings):
        from surveys.services import ip_hash

        before = ip_hash("127.0.0.1")
        settings.SECRET_KEY = "another-secret-for-this-test"
        assert ip_hash("127.0.0.1") != before


class TestResponsePrepare:
    """response_prepare validates, response_save writes: the API checks its limit in between."""

    def test_it_returns_the_unsaved_response_and_its_answers_and_writes_nothing(self, office):
        response, answers = response_prepare(office=office, channel="link", answers={"rating": 3})
        assert response.pk is None and [q.code for q, _fields in answers] == ["rating"]
        assert not Response.objects.exists()
        saved, created = response_save(response=response, answers=answers)
        assert created and Response.objects.get().pk == saved.pk

    def test_a_replay_that_no_longer_validates_gives_the_stored_response_to_answer(self, office):
        client_id = uuid.uuid4()
        first, _ = response_submit(
            office=office, channel="link", answers={"rating": 3}, client_id=client_id
        )
        again, answers = response_prepare(
            office=office, channel="link", answers={"rating": 99}, client_id=client_id
        )
        assert (again.pk, answers) == (first.pk, None)

    def test_an_invalid_submission_raises(self, office):
        with pytest.raises(ResponseError):
            response_prepare(office=office, channel="link", answers={"rating": 99})
        assert not Response.objects.exists()


class TestBuiltResponse:
    """response_build fills the instance without Response(**kwargs): the same values, no queries."""

    def test_it_holds_what_the_model_constructor_gives(self, office, django_assert_num_queries):
        device = KioskDevice.objects.create(office=office, name="Quầy 1")
        officer, dossier = OfficerFactory(office=office), DossierFactory(office=office)
        client_id, when = uuid.uuid4(), timezone.now() - dt.timedelta(minutes=3)
        built, _answers = response_build(
            office=office,
            channel="kiosk",
            answers={"rating": 3},
            client_id=client_id,
            dossier=dossier,
            device=device,
            officer=officer,
            submitted_at=when,
            duration_seconds=30,
            ip="203.0.113.7",
            language="en",
        )
        expected = Response(
            client_id=client_id,
            questionnaire=counter(),
            office=office,
            procedure=dossier.procedure,
            dossier=dossier,
            officer=officer,
            device=device,
            channel="kiosk",
            submitted_at=when,
            duration_seconds=30,
            language="en",
            ip_hash=ip_hash("203.0.113.7"),
        )
        for field in Response._meta.concrete_fields:
            assert getattr(built, field.attname) == getattr(expected, field.attname), field.name
        with django_assert_num_queries(0):
            related = [built.questionnaire, built.office, built.procedure, built.dossier]
            related += [built.officer, built.device]
        assert related == [counter(), office, dossier.procedure, dossier, officer, device]

    def test_absent_relations_are_empty_without_queries(self, office, django_assert_num_queries):
        built, _answers = response_build(office=office, channel="link", answers={"rating": 3})
        with django_assert_num_queries(0):
            assert (built.procedure, built.dossier, built.officer, built.device) == (None,) * 4
            assert built.flag_cleared_by is None

    def test_its_state_is_the_constructor_s(self, office):
        built, _answers = response_build(office=office, channel="link", answers={"rating": 3})
        expected = Response(office=office, channel="link")
        assert set(built.__dict__) == set(expected.__dict__)
        assert (built._state.adding, built._state.db) == (True, None)
        built.save()  # an ordinary instance for the ORM
        assert Response.objects.get(pk=built.pk).office == office

    def test_init_signal_receivers_see_every_built_response(self, office):
        from django.db.models.signals import post_init, pre_init

        seen = []

        def receiver(sender, instance=None, **kwargs):
            seen.append((sender, instance))

        for signal in (pre_init, post_init):
            signal.connect(receiver, sender=Response)
            try:
                built, _answers = response_build(
                    office=office, channel="link", answers={"rating": 3}
                )
            finally:
                signal.disconnect(receiver, sender=Response)
        assert [sender for sender, _instance in seen] == [Response, Response]
        assert seen[1][1] is built and built.office == office

    def test_each_response_gets_its_own_default_values(self, office):
        first, _ = response_build(office=office, channel="link", answers={"rating": 3})
        second, _ = response_build(office=office, channel="link", answers={"rating": 3})
        first.flag_reasons.append({"code": "fast"})
        assert second.flag_reasons == [] and first.client_id != second.client_id


def test_the_ip_hash_is_djangos_salted_hmac():
    from django.utils.crypto import salted_hmac

    expected = salted_hmac("surveys.response.ip", "203.0.113.7", algorithm="sha256").hexdigest()
    assert ip_hash("203.0.113.7") == expected and ip_hash("") == ""
