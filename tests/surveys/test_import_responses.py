"""import_responses: tallied paper or legacy responses, all or nothing."""

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from surveys.models import Answer, QuestionnaireAssignment, Response
from surveys.services import import_client_id, responses_import
from tests.factories import DossierFactory, OfficeFactory, ProcedureFactory

pytestmark = pytest.mark.django_db

HEADER = (
    "client_id,office,procedure,dossier,channel,submitted_at,questionnaire,rating,reason,comment"
)


@pytest.fixture
def office():
    return OfficeFactory(code="UBND-BN", slug="ben-nghe")


def write_csv(tmp_path, *lines, header=HEADER):
    path = tmp_path / "responses.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


class TestResponsesImport:
    def test_it_imports_every_row_with_its_answers(self, tmp_path, office):
        procedure = ProcedureFactory(code="1.001")
        dossier = DossierFactory(office=office, code="HS-1")
        path = write_csv(
            tmp_path,
            "PHIEU-1,UBND-BN,1.001,,paper,2025-03-05 09:30,counter,3,,Tốt",
            "PHIEU-2,ben-nghe,,HS-1,,05/03/2025 10:00,counter,1,time|fees,",
        )
        report = responses_import(source=path)
        assert report.written and report.created == 2, report.error_lines()
        first = Response.objects.get(client_id=import_client_id("PHIEU-1"))
        assert (first.office, first.procedure, first.channel) == (office, procedure, "paper")
        local = timezone.localtime(first.submitted_at)
        assert (local.hour, local.minute) == (9, 30)
        second = Response.objects.get(dossier=dossier)
        assert second.channel == "paper" and second.procedure == dossier.procedure
        reason = Answer.objects.get(response=second, question__code="reason")
        assert reason.value_choices == ["time", "fees"]
        rating = Answer.objects.get(response=second, question__code="rating")
        assert (rating.value_int, rating.satisfied) == (1, False)

    def test_it_writes_nothing_when_one_row_is_bad(self, tmp_path, office):
        path = write_csv(
            tmp_path,
            "PHIEU-1,UBND-BN,,,paper,2025-03-05 09:30,counter,3,,",
            "PHIEU-2,UBND-BN,,,paper,2025-03-05 09:30,counter,4,,",
        )
        report = responses_import(source=path)
        assert not report.written and Response.objects.count() == 0
        assert len(report.errors) == 1
        line = report.error_lines()[0]
        assert line.startswith("Dòng 3, cột rating:") and "1 đến 3" in line

    def test_skip_invalid_writes_the_good_rows_and_reports_the_bad(self, tmp_path, office):
        path = write_csv(
            tmp_path,
            "PHIEU-1,UBND-BN,,,paper,2025-03-05 09:30,counter,3,,",
            "PHIEU-2,NOWHERE,,,paper,2025-03-05 09:30,counter,3,,",
            "PHIEU-3,UBND-BN,,,fax,2025-03-05 09:30,counter,3,,",
            "PHIEU-4,UBND-BN,,,paper,yesterday,counter,3,,",
            "PHIEU-5,UBND-BN,,,paper,2025-03-05 09:30,counter,,,",
        )
        report = responses_import(source=path, skip_invalid=True)
        assert report.written and report.created == 1 and report.skipped == 4
        columns = {(e.row, e.column) for e in report.errors}
        assert {(3, "office"), (4, "channel"), (5, "submitted_at"), (6, "rating")} <= columns

    def test_a_reimport_of_the_same_file_adds_nothing(self, tmp_path, office):
        path = write_csv(tmp_path, "PHIEU-1,UBND-BN,,,paper,2025-03-05 09:30,counter,3,,")
        responses_import(source=path)
        again = responses_import(source=path)
        assert again.written and again.created == 0
        assert Response.objects.count() == 1

    def test_it_accepts_a_uuid_client_id_as_is(self, tmp_path, office):
        uid = "0f8fad5b-d9cb-469f-a165-70867728950e"
        responses_import(source=write_csv(tmp_path, f"{uid},UBND-BN,,,,2025-03-05,counter,2,,"))
        assert str(Response.objects.get().client_id) == uid

    def test_it_refuses_two_rows_for_one_dossier_or_client_id(self, tmp_path, office):
        DossierFactory(office=office, code="HS-1")
        path = write_csv(
            tmp_path,
            "A,UBND-BN,,HS-1,paper,2025-03-05,counter,3,,",
            "B,UBND-BN,,HS-1,paper,2025-03-05,counter,3,,",
            "A,UBND-BN,,,paper,2025-03-05,counter,3,,",
        )
        report = responses_import(source=path)
        assert not report.written
        assert {(e.row, e.column) for e in report.errors} == {(3, "dossier"), (4, "client_id")}

    def test_it_refuses_a_dossier_rated_before(self, tmp_path, office):
        dossier = DossierFactory(office=office, code="HS-1")
        from surveys.services import response_submit

        response_submit(office=office, channel="qr", answers={"rating": 3}, dossier=dossier)
        report = responses_import(
            source=write_csv(tmp_path, "A,UBND-BN,,HS-1,paper,2025-03-05,counter,3,,")
        )
        assert not report.written and "đã được đánh giá" in report.error_lines()[0]

    def test_it_imports_sipas_columns_beside_counter_ones(self, tmp_path, office):
        header = HEADER.replace(",reason,comment", ",access_info")
        path = write_csv(
            tmp_path,
            "A,UBND-BN,,,paper,2025-03-05,counter,3,",
            "B,UBND-BN,,,paper,2025-03-05,counter,3,5",
            header=header,
        )
        report = responses_import(source=path)
        assert not report.written
        assert [(e.row, e.column) for e in report.errors] == [(3, "access_info")]

    def test_an_empty_questionnaire_cell_uses_the_office_questionnaire(self, tmp_path, office):
        QuestionnaireAssignment.objects.create(office=office, questionnaire_code="sipas")
        header = "client_id,office,procedure,dossier,channel,submitted_at,questionnaire,rating"
        report = responses_import(
            source=write_csv(tmp_path, "A,UBND-BN,,,paper,2025-03-05,,3", header=header)
        )
        assert not report.written
        assert [e.column for e in report.errors] == ["rating"]
        assert "“sipas” không có câu hỏi này" in report.error_lines()[0]

    def test_it_rejects_unknown_columns(self, tmp_path, office):
        from offices.importing import ImportFileError

        with pytest.raises(ImportFileError) as exc:
            responses_import(
                source=write_csv(tmp_path, "A,UBND-BN", header="client_id,office,colour")
            )
        assert "colour" in str(exc.value)


class TestImportResponsesCommand:
    def test_it_prints_the_summary(self, tmp_path, office, capsys):
        path = write_csv(tmp_path, "A,UBND-BN,,,paper,2025-03-05,counter,3,,")
        call_command("import_responses", str(path))
        assert "Đã thêm 1" in capsys.readouterr().out

    def test_it_fails_and_lists_the_errors(self, tmp_path, office, capsys):
        path = write_csv(tmp_path, "A,UBND-BN,,,paper,2025-03-05,counter,9,,")
        with pytest.raises(CommandError):
            call_command("import_responses", str(path))
        assert "Dòng 2, cột rating" in capsys.readouterr().err
        assert Response.objects.count() == 0
