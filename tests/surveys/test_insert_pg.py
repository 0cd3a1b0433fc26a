"""surveys.insert_pg: the one-statement insert stores what the ORM's save() stores."""

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.forms.models import model_to_dict

from surveys.insert_pg import insert_one_statement
from surveys.models import Answer, KioskDevice, Question, Questionnaire, Response
from surveys.services import _insert_in_transaction
from tests.factories import DossierFactory, OfficeFactory, OfficerFactory, ProcedureFactory

pytestmark = pytest.mark.django_db

# Text that JSON and SQL both escape: quotes, backslashes, newlines, non-ASCII, a NUL-free emoji.
AWKWARD = "Chờ 2 giờ \"lâu\" \\ 'quá'\nxếp hàng; % %s $1 😞"


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("other backend: the one-statement insert is PostgreSQL's")


def _questionnaire():
    questionnaire = Questionnaire.objects.create(code="all-kinds", name_vi="Mọi loại", frozen=True)
    kinds = ["scale5", "scale3", "yes_no", "single", "multiple", "short_text", "long_text"]
    return [
        Question.objects.create(
            questionnaire=questionnaire, code=kind.replace("_", "-"), text_vi=kind, kind=kind
        )
        for kind in kinds
    ]


def _answers(questions):
    values = [
        {"value_int": 5, "satisfied": True},
        {"value_int": 1, "satisfied": False},
        {"value_int": 0},
        {"value_text": "b"},
        {"value_choices": ["time", "staff", AWKWARD]},
        {"value_text": AWKWARD},
        {"value_text": ""},
    ]
    return list(zip(questions, values, strict=True))


def _response(questions, **extra):
    office = OfficeFactory()
    fields = {
        "client_id": uuid.uuid4(),
        "questionnaire": questions[0].questionnaire,
        "office": office,
        "procedure": ProcedureFactory(),
        "dossier": DossierFactory(office=office),
        "officer": OfficerFactory(office=office),
        "device": KioskDevice.objects.create(office=office, name="Quầy 1"),
        "channel": "kiosk",
        "submitted_at": dt.datetime(2025, 12, 31, 23, 59, 58, 123456, tzinfo=dt.UTC),
        "duration_seconds": 42,
        "language": "en",
        "ip_hash": "ab" * 32,
        "contact_requested": True,
        "contact_consent": True,
        "contact_phone": "0912345678",
        "contact_email": "dan@example.org",
        "flag_reasons": [{"code": "fast", "note": AWKWARD}],
    }
    fields.update(extra)
    return Response(**fields)


def _stored(response_id):
    response = Response.objects.get(pk=response_id)
    row = model_to_dict(response, exclude=["id", "client_id", "dossier", "device", "officer"])
    answers = [
        model_to_dict(a, exclude=["id", "response"])
        for a in Answer.objects.filter(response=response).order_by("question_id")
    ]
    return row, answers, (response.created_at, response.updated_at)


def test_it_stores_every_column_as_save_does():
    questions = _questionnaire()
    fast = _response(questions)
    assert insert_one_statement(fast, _answers(questions)) is True
    slow = _response(
        questions,
        office=fast.office,
        procedure=fast.procedure,
        dossier=None,
        officer=fast.officer,
        device=fast.device,
    )
    assert _insert_in_transaction(slow, _answers(questions)) is True

    fast_row, fast_answers, (created, updated) = _stored(fast.pk)
    slow_row, slow_answers, _stamps = _stored(slow.pk)
    assert fast_row == slow_row
    assert fast_answers == slow_answers
    assert len(fast_answers) == 7 and fast_answers[4]["value_choices"][2] == AWKWARD
    assert Response.objects.get(pk=fast.pk).dossier_id == fast.dossier.pk
    # auto_now_add / auto_now are stamped on the instance and stored as such.
    assert (created, updated) == (fast.created_at, fast.updated_at)


def test_a_replayed_client_id_inserts_nothing():
    questions = _questionnaire()
    first = _response(questions, dossier=None)
    assert insert_one_statement(first, _answers(questions)) is True
    again = _response(questions, client_id=first.client_id, dossier=None)
    assert insert_one_statement(again, _answers(questions)) is False
    assert again.pk is None
    assert Response.objects.filter(client_id=first.client_id).count() == 1
    assert Answer.objects.filter(response__client_id=first.client_id).count() == 7


def test_a_response_without_answers_is_stored_alone():
    questions = _questionnaire()
    response = _response(questions, dossier=None, flag_reasons=[])
    assert insert_one_statement(response, []) is True
    assert not Answer.objects.filter(response_id=response.pk).exists()
    assert Response.objects.get(pk=response.pk).flag_reasons == []


def test_created_and_updated_are_stamped_on_the_instance_as_stored():
    questions = _questionnaire()
    response = _response(questions, dossier=None, client_id=str(uuid.uuid4()))
    assert insert_one_statement(response, _answers(questions)) is True
    stored = Response.objects.get(pk=response.pk)
    assert (stored.created_at, stored.updated_at) == (response.created_at, response.updated_at)
    assert str(stored.client_id) == response.client_id


def test_a_deferred_field_is_loaded_for_the_row():
    from surveys.insert_pg import _response_row

    questions = _questionnaire()
    response = _response(questions, dossier=None)
    assert insert_one_statement(response, []) is True
    full = _response_row(Response.objects.get(pk=response.pk))
    deferred = _response_row(Response.objects.only("id").get(pk=response.pk))
    stamps = ("created_at", "updated_at")
    assert {k: v for k, v in deferred.items() if k not in stamps} == {
        k: v for k, v in full.items() if k not in stamps
    }
    assert deferred["client_id"] == str(response.client_id)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
class TestKeptConnection:
    """The insert stands in for Django's health check: tried first, retried once if dead."""

    @pytest.fixture(autouse=True)
    def _request_start(self, settings):
        from surveys.services import (
            _config_cache,
            questionnaire_for_office,
            questionnaire_questions,
        )

        # As in production: the office's questionnaire and its questions are
        # read from the process's caches, so the insert is the request's
        # first query.
        settings.SURVEY_CONFIG_CACHE_SECONDS = 30
        Questionnaire.objects.filter(code="counter").update(frozen=True)
        self.office = OfficeFactory()
        questionnaire_questions(questionnaire=questionnaire_for_office(office=self.office))
        # As at the start of a request with CONN_HEALTH_CHECKS on.
        connection.ensure_connection()
        connection.health_check_enabled = True
        connection.health_check_done = False
        yield
        _config_cache.clear()

    def _submit(self):
        from surveys.services import response_submit

        return response_submit(office=self.office, channel="link", answers={"rating": 3})

    def test_a_live_connection_is_not_checked_first(self, monkeypatch):
        checks = []
        monkeypatch.setattr(connection, "is_usable", lambda: checks.append(1) or True)
        response, created = self._submit()
        assert created and checks == []
        assert Response.objects.filter(client_id=response.client_id).count() == 1

    def test_a_dead_connection_is_replaced_and_the_response_stored_once(self, monkeypatch):
        import psycopg2

        from surveys import insert_pg

        checks, tries = [], []
        real_is_usable, real_execute = connection.is_usable, insert_pg.execute_prepared
        monkeypatch.setattr(connection, "is_usable", lambda: checks.append(1) or real_is_usable())
        monkeypatch.setattr(
            insert_pg, "execute_prepared", lambda *args: tries.append(1) or real_execute(*args)
        )

        pid = connection.connection.get_backend_pid()
        params = connection.get_connection_params()
        other = psycopg2.connect(
            dbname=params["dbname"],
            user=params.get("user"),
            host=params.get("host"),
            port=params.get("port"),
            password=params.get("password"),
        )
        other.autocommit = True
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        other.close()
        response, created = self._submit()
        # The insert failed on the dead connection, then one check, then the retry.
        assert created and tries == [1, 1] and checks == [1]
        assert connection.connection.get_backend_pid() != pid
        assert Response.objects.filter(client_id=response.client_id).count() == 1
        assert Answer.objects.filter(response__client_id=response.client_id).count() == 1

    def test_an_error_of_a_live_connection_is_not_retried(self, monkeypatch):
        from django.db import OperationalError

        from surveys import insert_pg

        calls = []

        def failing(*args):
            calls.append(1)
            raise OperationalError("canceling statement due to statement timeout")

        monkeypatch.setattr(insert_pg, "execute_prepared", failing)
        with pytest.raises(OperationalError):
            self._submit()
        assert calls == [1] and not Response.objects.exists()
