"""The shipped questionnaires and the validation of every question type."""

import pytest
from django.core.exceptions import ValidationError

from surveys.models import Question, QuestionKind, Questionnaire

pytestmark = pytest.mark.django_db

OPTIONS = [
    {"value": "a", "label_vi": "Một", "label_en": "One"},
    {"value": "b", "label_vi": "Hai", "label_en": "Two"},
    {"value": "c", "label_vi": "Ba", "label_en": "Three"},
]


def make_question(kind, *, required=False, counts=False, options=None):
    return Question(
        code="q",
        text_vi="Câu hỏi",
        kind=kind,
        required=required,
        counts_toward_satisfaction=counts,
        options=options or [],
    )


def error_of(question, raw):
    with pytest.raises(ValidationError) as exc:
        question.answer_fields(raw)
    return exc.value.error_list[0]


class TestShippedQuestionnaires:
    def test_it_ships_the_counter_rating_with_three_questions(self):
        counter = Questionnaire.objects.get(code="counter", is_current=True)
        questions = {q.code: q for q in counter.questions.all()}
        assert list(questions) == ["rating", "reason", "comment"]
        rating = questions["rating"]
        assert (rating.kind, rating.required, rating.counts_toward_satisfaction) == (
            QuestionKind.SCALE3,
            True,
            True,
        )
        assert not questions["reason"].required and not questions["comment"].required

    def test_it_ships_sipas_with_five_elements_and_expectations(self):
        sipas = Questionnaire.objects.get(code="sipas", is_current=True)
        criteria = list(sipas.criteria.values_list("code", flat=True))
        assert criteria == ["access", "procedure", "officer", "result", "feedback", "expectations"]
        scale_items = sipas.questions.filter(kind=QuestionKind.SCALE5)
        assert scale_items.count() == 19
        assert not scale_items.filter(counts_toward_satisfaction=False).exists()
        assert sipas.questions.filter(criterion__code="expectations").count() == 6
        for question in sipas.questions.all():
            assert question.text_en, question.code

    def test_every_shipped_question_code_is_unique_within_its_questionnaire(self):
        for questionnaire in Questionnaire.objects.all():
            codes = list(questionnaire.questions.values_list("code", flat=True))
            assert len(codes) == len(set(codes))


class TestScaleAnswers:
    @pytest.mark.parametrize("raw,level", [(5, 5), ("4", 4), (" 1 ", 1), (3.0, 3)])
    def test_it_stores_a_five_level_answer_as_its_level(self, raw, level):
        fields = make_question(QuestionKind.SCALE5).answer_fields(raw)
        assert fields["value_int"] == level

    @pytest.mark.parametrize("raw", [0, 6, "6", "abc", 4.5, True, [4], "-1"])
    def test_it_rejects_a_five_level_answer_out_of_range(self, raw):
        error = error_of(make_question(QuestionKind.SCALE5), raw)
        assert error.code == "scale"
        assert "1 đến 5" in str(error.message % error.params)

    @pytest.mark.parametrize("raw", [0, 4, "x"])
    def test_it_rejects_a_three_level_answer_out_of_range(self, raw):
        error = error_of(make_question(QuestionKind.SCALE3), raw)
        assert error.params["top"] == 3

    @pytest.mark.parametrize("level,satisfied", [(1, False), (3, False), (4, True), (5, True)])
    def test_it_marks_five_level_answers_satisfied_from_four(self, level, satisfied):
        fields = make_question(QuestionKind.SCALE5, counts=True).answer_fields(level)
        assert fields["satisfied"] is satisfied

    @pytest.mark.parametrize("level,satisfied", [(1, False), (2, True), (3, True)])
    def test_it_marks_three_level_answers_satisfied_from_two(self, level, satisfied):
        fields = make_question(QuestionKind.SCALE3, counts=True).answer_fields(level)
        assert fields["satisfied"] is satisfied

    def test_it_leaves_satisfied_empty_when_the_question_does_not_count(self):
        fields = make_question(QuestionKind.SCALE5, counts=False).answer_fields(5)
        assert fields["satisfied"] is None


class TestYesNoAnswers:
    @pytest.mark.parametrize("raw", [True, 1, "1", "yes", "Có", "true"])
    def test_it_stores_yes_as_one(self, raw):
        assert make_question(QuestionKind.YES_NO).answer_fields(raw)["value_int"] == 1

    @pytest.mark.parametrize("raw", [False, 0, "0", "no", "không", "KHONG"])
    def test_it_stores_no_as_zero(self, raw):
        assert make_question(QuestionKind.YES_NO).answer_fields(raw)["value_int"] == 0

    @pytest.mark.parametrize("raw", [2, "maybe", [1]])
    def test_it_rejects_anything_else(self, raw):
        assert error_of(make_question(QuestionKind.YES_NO), raw).code == "yes_no"


class TestChoiceAnswers:
    def test_it_stores_a_single_choice_value(self):
        question = make_question(QuestionKind.SINGLE, options=OPTIONS)
        assert question.answer_fields("b")["value_text"] == "b"

    def test_it_rejects_a_single_choice_that_is_not_an_option(self):
        error = error_of(make_question(QuestionKind.SINGLE, options=OPTIONS), "z")
        assert error.code == "choice"
        assert error.params["options"] == "a, b, c"

    def test_it_rejects_a_list_for_a_single_choice(self):
        assert error_of(make_question(QuestionKind.SINGLE, options=OPTIONS), ["a"]).code == "choice"

    @pytest.mark.parametrize("raw", [["a", "c"], "a|c", "a; c", "a,c"])
    def test_it_stores_multiple_choices_as_a_list(self, raw):
        question = make_question(QuestionKind.MULTIPLE, options=OPTIONS)
        assert question.answer_fields(raw)["value_choices"] == ["a", "c"]

    def test_it_rejects_an_unknown_value_among_multiple_choices(self):
        error = error_of(make_question(QuestionKind.MULTIPLE, options=OPTIONS), ["a", "zz"])
        assert (error.code, error.params["value"]) == ("choice", "zz")

    def test_it_rejects_a_choice_given_twice(self):
        error = error_of(make_question(QuestionKind.MULTIPLE, options=OPTIONS), ["a", "a"])
        assert error.code == "duplicate"

    def test_it_rejects_multiple_choices_that_are_not_a_list(self):
        error = error_of(make_question(QuestionKind.MULTIPLE, options=OPTIONS), {"a": 1})
        assert error.code == "choices"


class TestTextAnswers:
    def test_it_strips_text(self):
        fields = make_question(QuestionKind.SHORT_TEXT).answer_fields("  xin chào ")
        assert fields["value_text"] == "xin chào"

    def test_it_rejects_short_text_over_its_limit(self):
        error = error_of(make_question(QuestionKind.SHORT_TEXT), "x" * 256)
        assert (error.code, error.params["limit"], error.params["length"]) == ("too_long", 255, 256)

    def test_it_accepts_long_text_up_to_its_limit(self):
        fields = make_question(QuestionKind.LONG_TEXT).answer_fields("y" * 2000)
        assert len(fields["value_text"]) == 2000

    def test_it_rejects_long_text_over_its_limit(self):
        assert error_of(make_question(QuestionKind.LONG_TEXT), "y" * 2001).code == "too_long"

    def test_it_rejects_a_number_as_text(self):
        assert error_of(make_question(QuestionKind.LONG_TEXT), 12).code == "text"


class TestRequiredAnswers:
    @pytest.mark.parametrize("kind", QuestionKind.values)
    @pytest.mark.parametrize("raw", [None, "", "   ", []])
    def test_it_rejects_a_missing_required_answer_of_every_kind(self, kind, raw):
        question = make_question(kind, required=True, options=OPTIONS)
        assert error_of(question, raw).code == "required"

    @pytest.mark.parametrize("kind", QuestionKind.values)
    def test_it_returns_nothing_for_a_missing_optional_answer(self, kind):
        assert make_question(kind, options=OPTIONS).answer_fields(None) is None

    def test_it_rejects_an_empty_multiple_choice_string_when_required(self):
        question = make_question(QuestionKind.MULTIPLE, required=True, options=OPTIONS)
        assert error_of(question, " | ").code == "required"
