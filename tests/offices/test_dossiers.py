"""The upload page: Celery job, progress, error report, templates; access by role."""

import datetime as dt
import io
import zoneinfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from offices.dossier_import import COLUMN_ORDER
from offices.models import Dossier, DossierImportJob, Role
from offices.services import dossier_import_job_run
from tests.factories import OfficeFactory, ProcedureFactory, make_user

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
HEADER = ",".join(COLUMN_ORDER)


@pytest.fixture(autouse=True)
def _today(time_machine, settings, tmp_path):
    time_machine.move_to(dt.datetime(2025, 6, 1, 12, 0, tzinfo=TZ), tick=False)
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def offices():
    ProcedureFactory(code="P1")
    return OfficeFactory(code="MINE"), OfficeFactory(code="THEIRS")


def csv_file(*lines, name="export.csv"):
    body = "\n".join([HEADER, *lines]) + "\n"
    return SimpleUploadedFile(name, body.encode("utf-8"), content_type="text/csv")


def line(code, office="MINE"):
    return f"{code},{office},P1,direct,4,2025-03-03 08:00,2025-03-10,,,0,0,"


def upload(client, django_capture_on_commit_callbacks, file, **extra):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("offices-dossier-import"), {"file": file, **extra})
    assert response.status_code == 302, (
        getattr(response, "context", None) and response.context["form"].errors
    )
    return DossierImportJob.objects.latest("pk")


class TestUploadPage:
    def test_office_staff_import_their_offices_dossiers_through_the_task(
        self, client, offices, django_capture_on_commit_callbacks
    ):
        mine, _ = offices
        client.force_login(make_user(Role.OFFICE_STAFF, office=mine))
        job = upload(client, django_capture_on_commit_callbacks, csv_file(line("A"), line("B")))
        job.refresh_from_db()
        assert (job.status, job.created_count, job.total, job.percent) == ("done", 2, 2, 100)
        assert job.office == mine
        page = client.get(reverse("offices-dossier-import-progress", args=[job.pk]))
        assert "hx-get" not in page.content.decode()  # finished: polling stops
        assert Dossier.objects.count() == 2

    def test_rows_of_other_offices_reject_the_file_with_a_downloadable_report(
        self, client, offices, django_capture_on_commit_callbacks
    ):
        mine, _ = offices
        client.force_login(make_user(Role.OFFICE_STAFF, office=mine))
        job = upload(
            client, django_capture_on_commit_callbacks, csv_file(line("A"), line("B", "THEIRS"))
        )
        job.refresh_from_db()
        assert (job.status, job.invalid_count) == ("rejected", 1)
        assert not Dossier.objects.exists()
        report = client.get(reverse("offices-dossier-import-errors", args=[job.pk]))
        text = report.content.decode("utf-8-sig")
        assert text.splitlines()[0] == "row,column,message,message_en"
        assert text.splitlines()[1].startswith("3,office,")

    def test_skip_invalid_keeps_the_good_rows(
        self, client, offices, django_capture_on_commit_callbacks
    ):
        mine, _ = offices
        client.force_login(make_user(Role.OFFICE_STAFF, office=mine))
        job = upload(
            client,
            django_capture_on_commit_callbacks,
            csv_file(line("A"), line("B", "THEIRS")),
            skip_invalid="on",
        )
        job.refresh_from_db()
        assert (job.status, job.created_count, job.invalid_count) == ("done", 1, 1)

    def test_a_pending_job_shows_a_polling_progress_bar(self, client, offices):
        mine, _ = offices
        user = make_user(Role.OFFICE_STAFF, office=mine)
        client.force_login(user)
        job = DossierImportJob.objects.create(
            created_by=user,
            office=mine,
            file=csv_file(line("A")),
            original_name="x.csv",
            total=10,
            done=4,
        )
        html = client.get(reverse("offices-dossier-import-job", args=[job.pk])).content.decode()
        assert 'hx-trigger="every 1s"' in html and 'aria-valuenow="40"' in html
        assert "vendor/htmx/htmx.min.js" in html

    def test_running_a_job_twice_does_nothing_the_second_time(self, offices):
        mine, _ = offices
        job = DossierImportJob.objects.create(
            office=mine, file=csv_file(line("A")), original_name="x.csv"
        )
        assert dossier_import_job_run(job_id=job.pk) is not None
        assert dossier_import_job_run(job_id=job.pk) is None
        assert Dossier.objects.count() == 1

    def test_an_unreadable_file_fails_the_job_with_a_message(self, offices):
        job = DossierImportJob.objects.create(
            file=SimpleUploadedFile("x.csv", b"code;office\n1;2\n"), original_name="x.csv"
        )
        job = dossier_import_job_run(job_id=job.pk)
        assert job.status == "failed" and "procedure" in job.message

    def test_officials_cannot_upload_and_staff_cannot_see_other_offices_jobs(self, client, offices):
        mine, theirs = offices
        official = make_user(Role.OFFICIAL, unit=mine.unit)
        client.force_login(official)
        assert client.get(reverse("offices-dossier-import")).status_code == 403
        job = DossierImportJob.objects.create(office=theirs, file=csv_file(), original_name="x.csv")
        client.force_login(make_user(Role.OFFICE_STAFF, office=mine))
        assert client.get(reverse("offices-dossier-import-job", args=[job.pk])).status_code == 404

    def test_the_form_rejects_other_file_types(self, client, offices):
        client.force_login(make_user(Role.ADMIN))
        bad = SimpleUploadedFile("x.pdf", b"%PDF")
        response = client.post(reverse("offices-dossier-import"), {"file": bad})
        assert response.status_code == 200 and "form" in response.context
        assert response.context["form"].errors["file"]


class TestTemplates:
    def test_the_csv_template_has_the_canonical_headers(self, client):
        client.force_login(make_user(Role.ADMIN))
        response = client.get(reverse("offices-dossier-import-template", args=["csv"]))
        assert response.content.decode("utf-8-sig").strip() == HEADER

    def test_the_xlsx_template_has_the_headers_and_a_help_sheet(self, client):
        client.force_login(make_user(Role.ADMIN))
        response = client.get(reverse("offices-dossier-import-template", args=["xlsx"]))
        wb = load_workbook(io.BytesIO(response.content))
        assert [c.value for c in wb.worksheets[0][1]] == list(COLUMN_ORDER)
        assert wb.worksheets[1].max_row == len(COLUMN_ORDER) + 1


class TestDemoDossiers:
    def test_it_is_deterministic_realistic_and_safe_to_rerun(self):
        from offices.demo_dossiers import demo_dossiers_seed
        from offices.models import OfficeKind
        from offices.selectors import dossier_on_time_simple

        centre = OfficeFactory(code="TTHCC", kind=OfficeKind.SERVICE_CENTRE)
        commune = OfficeFactory(code="XA01", kind=OfficeKind.COMMUNE_ONE_STOP)
        ProcedureFactory(level="province", legal_days=5)
        ProcedureFactory(level="commune", legal_days=3)
        today = dt.date(2025, 6, 2)
        n = demo_dossiers_seed(offices=[centre, commune], seed=7, today=today, months=2)
        first = list(Dossier.objects.order_by("code").values_list("code", "status", "finished_at"))
        again = demo_dossiers_seed(offices=[centre, commune], seed=7, today=today, months=2)
        assert n == again == len(first) == Dossier.objects.count()
        assert first == list(
            Dossier.objects.order_by("code").values_list("code", "status", "finished_at")
        )
        # ~43 working days: the centre hundreds a day, the commune a handful.
        per_day_centre = Dossier.objects.filter(office=centre).count() / 43
        per_day_commune = Dossier.objects.filter(office=commune).count() / 43
        assert 180 <= per_day_centre <= 280 and 1 <= per_day_commune <= 7
        rate = dossier_on_time_simple(
            dossiers=Dossier.objects.all(), start=dt.date(2025, 4, 1), end=dt.date(2025, 6, 1)
        )
        assert 0.9 < rate["rate"] < 0.995
        late = Dossier.objects.filter(outcome="late")
        assert late.filter(apology_issued_at__isnull=False).count() > late.count() / 2
        assert set(Dossier.objects.values_list("channel", flat=True)) == {
            "direct",
            "online",
            "postal",
        }
