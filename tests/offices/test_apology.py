"""Apology letters (form 04): the list of late dossiers, the letter, marking it issued."""

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse

from offices.models import Dossier, Role, UnitLevel
from offices.selectors import dossiers_late_without_apology_count
from offices.services import DossierError, dossier_apology_issue
from tests.factories import DossierFactory, OfficeFactory, UnitFactory, local_dt, make_user

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(dt.datetime(2025, 3, 20, 10, 0, tzinfo=TZ), tick=False)


@pytest.fixture
def office():
    province = UnitFactory(code="P1")
    district = UnitFactory(code="D1", level=UnitLevel.DISTRICT, parent=province)
    return OfficeFactory(code="MINE", slug="mine", unit=district)


@pytest.fixture
def dossiers(office):
    received = local_dt(2025, 3, 3)
    late = DossierFactory(
        code="LATE",
        office=office,
        received_at=received,
        due_at=local_dt(2025, 3, 10),
        finished_at=local_dt(2025, 3, 12),
        status=10,
    )
    overdue = DossierFactory(
        code="OVERDUE", office=office, received_at=received, due_at=local_dt(2025, 3, 14), status=4
    )
    on_time = DossierFactory(
        code="OK",
        office=office,
        received_at=received,
        due_at=local_dt(2025, 3, 10),
        finished_at=local_dt(2025, 3, 10),
        status=10,
    )
    return late, overdue, on_time


def list_url(office):
    return reverse("offices-apology-list", args=[office.slug])


def letter_url(office, code):
    return reverse("offices-apology-letter", args=[office.slug, code])


class TestApologyList:
    def test_staff_see_late_and_overdue_dossiers_without_apology(self, client, office, dossiers):
        client.force_login(make_user(Role.OFFICE_STAFF, office=office))
        response = client.get(list_url(office))
        assert response.status_code == 200
        assert [d.code for d in response.context["late"]] == ["LATE", "OVERDUE"]
        assert response.context["late_count"] == 2
        assert "Lập phiếu" in response.content.decode()

    def test_officials_of_the_unit_read_without_actions(self, client, office, dossiers):
        client.force_login(make_user(Role.OFFICIAL, unit=office.unit.parent))
        response = client.get(list_url(office))
        assert response.status_code == 200 and not response.context["can_manage"]
        assert "Lập phiếu" not in response.content.decode()

    def test_staff_of_another_office_get_404(self, client, office, dossiers):
        client.force_login(make_user(Role.OFFICE_STAFF, office=OfficeFactory()))
        assert client.get(list_url(office)).status_code == 404


class TestApologyLetter:
    def test_marking_it_issued_stores_reason_and_new_date_and_prints_form_04(
        self, client, office, dossiers
    ):
        client.force_login(make_user(Role.OFFICE_STAFF, office=office))
        response = client.post(
            letter_url(office, "LATE"),
            {
                "reason": "Chờ ý kiến cơ quan thuế",
                "new_due_on": "2025-03-25",
                "issued_on": "2025-03-20",
            },
        )
        assert response.status_code == 302
        d = Dossier.objects.get(code="LATE")
        assert (d.apology_issued_at, d.apology_new_due_at) == (
            dt.date(2025, 3, 20),
            dt.date(2025, 3, 25),
        )
        html = client.get(letter_url(office, "LATE")).content.decode()
        assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in html
        assert "Chờ ý kiến cơ quan thuế" in html and "25/03/2025" in html
        assert "size: A4" in html
        assert (
            dossiers_late_without_apology_count(
                dossiers=Dossier.objects.filter(office=office), as_of=dt.date(2025, 3, 20)
            )
            == 1
        )

    def test_officials_cannot_mark_it_issued(self, client, office, dossiers):
        client.force_login(make_user(Role.OFFICIAL, unit=office.unit))
        response = client.post(
            letter_url(office, "LATE"),
            {"reason": "x", "new_due_on": "2025-03-25", "issued_on": "2025-03-20"},
        )
        assert response.status_code == 403
        assert Dossier.objects.get(code="LATE").apology_issued_at is None

    def test_a_new_date_before_the_letter_is_refused(self, client, office, dossiers):
        client.force_login(make_user(Role.OFFICE_STAFF, office=office))
        response = client.post(
            letter_url(office, "LATE"),
            {"reason": "x", "new_due_on": "2025-03-19", "issued_on": "2025-03-20"},
        )
        assert response.status_code == 200
        assert response.context["form"].errors["new_due_on"]


class TestApologyIssueService:
    def test_a_dossier_that_is_not_late_needs_no_apology(self, dossiers):
        _late, _overdue, on_time = dossiers
        with pytest.raises(DossierError):
            dossier_apology_issue(dossier=on_time, reason="x", new_due_on=dt.date(2025, 3, 25))

    def test_an_open_overdue_dossier_can_get_one(self, dossiers):
        _late, overdue, _ok = dossiers
        d = dossier_apology_issue(
            dossier=overdue, reason="Thiếu hồ sơ địa chính", new_due_on=dt.date(2025, 3, 28)
        )
        assert d.apology_issued_at == dt.date(2025, 3, 20)
