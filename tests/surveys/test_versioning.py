"""Questionnaire versions: editing a frozen one through the admin makes the next version."""

import pytest

from offices.models import Role
from surveys.models import Question, Questionnaire, QuestionnaireAssignment, Response
from surveys.services import questionnaire_new_version, response_submit
from tests.factories import OfficeFactory, make_user

pytestmark = pytest.mark.django_db


def counter():
    return Questionnaire.objects.get(code="counter", is_current=True)


def change_form_data(questionnaire, **overrides):
    """Return the POST data of the admin change form, as the page would send it unchanged."""
    data = {
        "name_vi": questionnaire.name_vi,
        "name_en": questionnaire.name_en,
        "description_vi": questionnaire.description_vi,
        "description_en": questionnaire.description_en,
    }
    criteria = list(questionnaire.criteria.order_by("order"))
    questions = list(questionnaire.questions.order_by("order"))
    for prefix, rows in (("criteria", criteria), ("questions", questions)):
        data[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
        data[f"{prefix}-INITIAL_FORMS"] = str(len(rows))
        data[f"{prefix}-MIN_NUM_FORMS"] = "0"
        data[f"{prefix}-MAX_NUM_FORMS"] = "1000"
    for i, c in enumerate(criteria):
        data.update(
            {
                f"criteria-{i}-id": str(c.pk),
                f"criteria-{i}-questionnaire": str(questionnaire.pk),
                f"criteria-{i}-order": str(c.order),
                f"criteria-{i}-code": c.code,
                f"criteria-{i}-name_vi": c.name_vi,
                f"criteria-{i}-name_en": c.name_en,
                f"criteria-{i}-weight": str(c.weight),
            }
        )
    for i, q in enumerate(questions):
        import json

        row = {
            f"questions-{i}-id": str(q.pk),
            f"questions-{i}-questionnaire": str(questionnaire.pk),
            f"questions-{i}-order": str(q.order),
            f"questions-{i}-code": q.code,
            f"questions-{i}-criterion": str(q.criterion_id or ""),
            f"questions-{i}-text_vi": q.text_vi,
            f"questions-{i}-text_en": q.text_en,
            f"questions-{i}-kind": q.kind,
            f"questions-{i}-options": json.dumps(q.options, ensure_ascii=False),
        }
        if q.required:
            row[f"questions-{i}-required"] = "on"
        if q.counts_toward_satisfaction:
            row[f"questions-{i}-counts_toward_satisfaction"] = "on"
        data.update(row)
    data.update(overrides)
    return data


@pytest.fixture
def admin_client(client):
    client.force_login(make_user(Role.ADMIN))
    return client


def change_url(questionnaire):
    return f"/admin/surveys/questionnaire/{questionnaire.pk}/change/"


class TestNewVersionService:
    def test_it_copies_criteria_and_questions_into_a_current_version(self):
        old = counter()
        new = questionnaire_new_version(questionnaire=old)
        old.refresh_from_db()
        assert (old.is_current, new.is_current, new.version, new.frozen) == (False, True, 2, False)
        assert list(new.questions.values_list("code", flat=True)) == ["rating", "reason", "comment"]
        rating = new.questions.get(code="rating")
        assert rating.criterion.questionnaire_id == new.pk
        assert old.questions.count() == 3


class TestAdminEditing:
    def test_an_unfrozen_questionnaire_is_edited_in_place(self, admin_client):
        questionnaire = counter()
        response = admin_client.post(
            change_url(questionnaire), change_form_data(questionnaire, name_en="Counter v1")
        )
        assert response.status_code == 302
        assert Questionnaire.objects.filter(code="counter").count() == 1
        assert counter().name_en == "Counter v1"

    def test_editing_a_frozen_questionnaire_makes_the_next_version(self, admin_client):
        office = OfficeFactory()
        old_response, _ = response_submit(office=office, channel="link", answers={"rating": 3})
        frozen = counter()
        assert frozen.frozen
        i = list(frozen.questions.order_by("order").values_list("code", flat=True)).index("rating")
        data = change_form_data(
            frozen,
            name_vi="Đánh giá tại quầy (2026)",
            **{f"questions-{i}-text_vi": "Ông/bà hài lòng với việc giải quyết hồ sơ?"},
        )
        response = admin_client.post(change_url(frozen), data)
        assert response.status_code == 302, response.content.decode()[:2000]
        new = counter()
        assert new.version == 2 and new.pk != frozen.pk
        assert response["Location"] == change_url(new)
        assert new.name_vi == "Đánh giá tại quầy (2026)"
        assert new.questions.get(code="rating").text_vi.startswith("Ông/bà hài lòng với việc")
        frozen.refresh_from_db()
        assert not frozen.is_current and frozen.name_vi == "Đánh giá tại Bộ phận Một cửa"
        assert frozen.questions.get(code="rating").text_vi.startswith("Ông/bà hài lòng thế nào")
        old_response.refresh_from_db()
        assert old_response.questionnaire_id == frozen.pk
        new_response, _ = response_submit(office=office, channel="link", answers={"rating": 2})
        assert new_response.questionnaire_id == new.pk

    def test_a_question_added_to_a_frozen_version_goes_into_the_new_one(self, admin_client):
        response_submit(office=OfficeFactory(), channel="link", answers={"rating": 3})
        frozen = counter()
        data = change_form_data(frozen)
        n = int(data["questions-TOTAL_FORMS"])
        data.update(
            {
                "questions-TOTAL_FORMS": str(n + 1),
                f"questions-{n}-order": "9",
                f"questions-{n}-code": "visits",
                f"questions-{n}-text_vi": "Ông/bà phải đến mấy lần?",
                f"questions-{n}-kind": "short_text",
                f"questions-{n}-options": "[]",
            }
        )
        assert admin_client.post(change_url(frozen), data).status_code == 302
        assert counter().questions.filter(code="visits").exists()
        assert not frozen.questions.filter(code="visits").exists()

    def test_a_choice_question_needs_options(self, admin_client):
        questionnaire = counter()
        i = list(questionnaire.questions.order_by("order").values_list("code", flat=True)).index(
            "reason"
        )
        data = change_form_data(questionnaire, **{f"questions-{i}-options": "[]"})
        response = admin_client.post(change_url(questionnaire), data)
        assert response.status_code == 200
        assert "cần danh sách lựa chọn" in response.content.decode()

    def test_a_frozen_questionnaire_cannot_be_deleted(self, admin_client):
        response_submit(office=OfficeFactory(), channel="link", answers={"rating": 3})
        frozen = counter()
        response = admin_client.post(
            f"/admin/surveys/questionnaire/{frozen.pk}/delete/", {"post": "yes"}
        )
        assert response.status_code == 403
        assert Response.objects.count() == 1

    def test_non_admin_staff_do_not_see_questionnaires(self, client):
        office = OfficeFactory()
        user = make_user(Role.OFFICE_STAFF, office=office)
        user.is_staff = True
        user.save()
        client.force_login(user)
        assert client.get("/admin/surveys/questionnaire/").status_code == 403


class TestAssignmentAdmin:
    def test_an_admin_assigns_sipas_to_an_office(self, admin_client):
        office = OfficeFactory()
        response = admin_client.post(
            "/admin/surveys/questionnaireassignment/add/",
            {"questionnaire_code": "sipas", "office": str(office.pk), "unit": ""},
        )
        assert response.status_code == 302
        assert QuestionnaireAssignment.objects.get().office == office

    def test_it_needs_exactly_one_of_unit_or_office(self, admin_client):
        response = admin_client.post(
            "/admin/surveys/questionnaireassignment/add/",
            {"questionnaire_code": "sipas", "office": "", "unit": ""},
        )
        assert response.status_code == 200
        assert QuestionnaireAssignment.objects.count() == 0


def test_question_options_survive_a_new_version():
    new = questionnaire_new_version(questionnaire=counter())
    assert (
        new.questions.get(code="reason").options
        == Question.objects.get(
            questionnaire__version=1, questionnaire__code="counter", code="reason"
        ).options
    )
