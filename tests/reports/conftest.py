"""Shared builders for the stats tests: a small unit tree, a questionnaire, raw rows."""

import datetime as dt

import pytest
from django.utils import timezone

from offices.models import UnitLevel
from surveys.models import Answer, Criterion, FollowUp, Question, Questionnaire, Response
from tests.factories import DossierFactory, OfficeFactory, ProcedureFactory, UnitFactory


def local(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


class World:
    """Province 44 → districts 450, 451; offices o1, o2 in 450, o3 in 451; o4 in province 45."""

    def __init__(self):
        self.province = UnitFactory(code="44", name="Tỉnh A")
        self.district_a = UnitFactory(
            code="450", name="Huyện A1", level=UnitLevel.DISTRICT, parent=self.province
        )
        self.district_b = UnitFactory(
            code="451", name="Huyện A2", level=UnitLevel.DISTRICT, parent=self.province
        )
        self.other_province = UnitFactory(code="45", name="Tỉnh B")
        self.offices = [
            OfficeFactory(code="O1", unit=self.district_a),
            OfficeFactory(code="O2", unit=self.district_a),
            OfficeFactory(code="O3", unit=self.district_b),
            OfficeFactory(code="O4", unit=self.other_province),
        ]
        self.procedures = [ProcedureFactory(), ProcedureFactory(), ProcedureFactory()]
        self.questionnaire = Questionnaire.objects.create(code="t-stats", name_vi="Thử")
        q = self.questionnaire
        self.c_staff = Criterion.objects.create(
            questionnaire=q, code="staff", name_vi="Công chức", order=1, weight=2
        )
        self.c_result = Criterion.objects.create(
            questionnaire=q, code="result", name_vi="Kết quả", order=2, weight=1
        )
        self.q5 = Question.objects.create(
            questionnaire=q,
            criterion=self.c_staff,
            code="polite",
            text_vi="Lịch sự",
            kind="scale5",
            order=1,
            counts_toward_satisfaction=True,
        )
        self.q3 = Question.objects.create(
            questionnaire=q,
            criterion=self.c_result,
            code="overall",
            text_vi="Chung",
            kind="scale3",
            order=2,
            counts_toward_satisfaction=True,
        )
        self.qx = Question.objects.create(
            questionnaire=q,
            criterion=None,
            code="visits",
            text_vi="Số lần đi lại",
            kind="scale5",
            order=3,
            counts_toward_satisfaction=False,
        )

    def dossier(self, *, office=0, procedure=0, received, due, finished=None, **kwargs):
        return DossierFactory(
            office=self.offices[office],
            procedure=self.procedures[procedure],
            received_at=local(received, 8),
            due_at=local(due, 17),
            finished_at=local(finished, 15) if finished else None,
            **kwargs,
        )

    def response(
        self,
        *,
        office=0,
        procedure=None,
        when,
        channel="link",
        flagged=False,
        dossier=None,
        q5=None,
        q3=None,
        qx=None,
    ):
        r = Response.objects.create(
            questionnaire=self.questionnaire,
            office=self.offices[office],
            procedure=self.procedures[procedure] if procedure is not None else None,
            dossier=dossier,
            channel=channel,
            submitted_at=when,
            flagged=flagged,
        )
        answers = []
        if q5 is not None:
            answers.append(Answer(response=r, question=self.q5, value_int=q5, satisfied=q5 >= 4))
        if q3 is not None:
            answers.append(Answer(response=r, question=self.q3, value_int=q3, satisfied=q3 >= 2))
        if qx is not None:
            answers.append(Answer(response=r, question=self.qx, value_int=qx, satisfied=None))
        Answer.objects.bulk_create(answers)
        return r

    def complaint(self, response, *, opened, due, replied=None):
        return FollowUp.objects.create(
            response=response,
            office=response.office,
            opened_at=opened,
            due_at=due,
            replied_at=replied,
        )


@pytest.fixture
def world(db):
    return World()
