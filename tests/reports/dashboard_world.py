"""A small province with figures, for the dashboard tests (builds on D's ``World``).

Province 44 (2024 tree) → districts 450 (offices O1 good, O2 poor) and 451
(O3); a provincial department OP at the province itself; province 45 with O4
elsewhere. Q1 2025 is the period looked at, Q4 2024 the one before.
Users: a province official, a district-450 official, an official of
province 45, office staff of O1 and of O4, an admin, a role-less user.
"""

import datetime as dt

import pytest
from django.core.cache import cache

from offices.models import OfficeKind, Role
from reports.services import stats_refresh
from surveys.models import Answer, Question
from tests.factories import OfficeFactory, OfficerFactory, make_user
from tests.reports.conftest import World, local

TODAY = dt.date(2025, 3, 20)
Q1 = (dt.date(2025, 1, 1), dt.date(2025, 3, 31))


class DashboardWorld(World):
    def __init__(self):
        super().__init__()
        self.department = OfficeFactory(
            code="OP", name="Sở Tư pháp", kind=OfficeKind.DEPARTMENT, unit=self.province
        )
        self.offices.append(self.department)  # index 4
        self.offices[0].name = "Một cửa O1"
        self.offices[0].save()
        self.officer = OfficerFactory(office=self.offices[0], full_name="Nguyễn Văn A")
        self.comment_q = Question.objects.create(
            questionnaire=self.questionnaire,
            code="comment",
            text_vi="Góp ý",
            kind="long_text",
            order=9,
        )
        self.users = {
            "province": make_user(Role.OFFICIAL, unit=self.province, username="tinh"),
            "district": make_user(Role.OFFICIAL, unit=self.district_a, username="huyen"),
            "other_province": make_user(Role.OFFICIAL, unit=self.other_province, username="tinhb"),
            "staff_o1": make_user(Role.OFFICE_STAFF, office=self.offices[0], username="o1"),
            "staff_o4": make_user(Role.OFFICE_STAFF, office=self.offices[3], username="o4"),
            "integration": make_user(Role.INTEGRATION, unit=self.province, username="api"),
            "admin": make_user(Role.ADMIN, username="admin"),
            "nobody": make_user(None, username="nobody"),
        }
        self.officer.user = self.users["staff_o1"]
        self.officer.save()
        self._fill()
        stats_refresh(full=True)

    def rate(self, office, day, *, good, bad, text=None, flagged=False, procedure=0, bad_q3=1):
        """Add ``good`` satisfied and ``bad`` unsatisfied responses at ``office`` on ``day``.

        A "bad" response rates the officer 1/5 and the result ``bad_q3``/3.
        """
        responses = []
        for i in range(good + bad):
            r = self.response(
                office=office,
                procedure=procedure,
                when=local(day, 9, i % 60),
                q5=5 if i < good else 1,
                q3=3 if i < good else bad_q3,
                flagged=flagged,
            )
            responses.append(r)
        if text:
            Answer.objects.create(response=responses[-1], question=self.comment_q, value_text=text)
        return responses

    def _fill(self):
        jan, feb = dt.date(2025, 1, 10), dt.date(2025, 2, 12)
        nov = dt.date(2024, 11, 5)
        # Q1 2025: O1 good (38/40), O2 poor (20/40), O3 fair (34/40), OP good (36/40).
        self.rate(0, jan, good=38, bad=2, text="Cán bộ nhiệt tình")
        # O2's unhappy citizens blame the officer, not the result: "Công chức" is weakest.
        self.rate(1, jan, good=20, bad=20, text="Chờ quá lâu", bad_q3=2)
        self.rate(2, feb, good=34, bad=6)
        self.rate(4, feb, good=36, bad=4)
        self.rate(3, feb, good=40, bad=0)  # another province
        self.rate(1, feb, good=0, bad=1, text="Phiếu nghi vấn", flagged=True)
        # Q4 2024: O2 was better.
        self.rate(1, nov, good=30, bad=10)
        self.rate(0, nov, good=30, bad=10)
        # Dossiers: O1 all on time, O2 two late (one with apology), O3 one late.
        for _i in range(5):
            self.dossier(
                office=0, received=jan, due=dt.date(2025, 1, 20), finished=dt.date(2025, 1, 15)
            )
        late = self.dossier(
            office=1,
            received=jan,
            due=dt.date(2025, 1, 15),
            finished=dt.date(2025, 1, 20),
            code="HS-LATE-O2",
            officer=self.officer,
        )
        self.dossier(
            office=1,
            received=jan,
            due=dt.date(2025, 1, 15),
            finished=dt.date(2025, 1, 22),
            apology_issued_at=dt.date(2025, 1, 16),
        )
        self.dossier(
            office=2,
            received=feb,
            due=dt.date(2025, 2, 14),
            finished=dt.date(2025, 2, 20),
            code="HS-LATE-O3",
        )
        self.dossier(
            office=3,
            received=feb,
            due=dt.date(2025, 2, 14),
            finished=dt.date(2025, 2, 20),
            code="HS-LATE-O4",
        )
        self.late_dossier = late
        # An open complaint at O2.
        complaint_response = self.rate(1, feb, good=0, bad=1)[0]
        self.complaint(
            complaint_response,
            opened=local(feb),
            due=local(dt.date(2025, 3, 5)),
        )


@pytest.fixture(name="dash")
def dash_world(db, time_machine, settings):
    # Users are made with passwords; the default hasher would cost seconds per test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()  # cached dashboard figures of an earlier test must not leak in
    time_machine.move_to(dt.datetime(2025, 3, 20, 10, 0, tzinfo=dt.UTC), tick=False)
    return DashboardWorld()
