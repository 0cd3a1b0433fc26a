"""The dossier import: file formats, validation rules, upsert and all-or-nothing."""

import csv
import datetime as dt
import io
import zoneinfo

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from offices.dossier_import import COLUMN_ORDER, DossierRow, derive
from offices.models import Dossier, Office
from offices.services import dossiers_import
from tests.factories import DossierFactory, OfficeFactory, OfficerFactory, ProcedureFactory

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


def row(code="HS-1", **over):
    values = {
        "code": code,
        "office": "OF1",
        "procedure": "1.000001",
        "channel": "direct",
        "status": "10",
        "received_at": "2025-03-03 08:30",
        "due_at": "2025-03-10",
        "finished_at": "2025-03-07 15:00",
        "returned_at": "2025-03-10 09:00",
        "supplement_days": "0",
        "supplement_requests": "0",
        "apology_issued_at": "",
    }
    values.update(over)
    return values


def write_csv(path, rows, *, headers=COLUMN_ORDER, bom=False):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(headers)
    for r in rows:
        writer.writerow([r.get(h, "") for h in COLUMN_ORDER])
    path.write_text(("\ufeff" if bom else "") + buffer.getvalue(), encoding="utf-8")
    return path


@pytest.fixture
def setup_refs(db):
    office = OfficeFactory(code="OF1")
    other = OfficeFactory(code="OF2")
    ProcedureFactory(code="1.000001")
    return office, other


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(dt.datetime(2025, 6, 1, 12, 0, tzinfo=TZ), tick=False)


def snapshot():
    return list(
        Dossier.objects.order_by("code").values_list(
            "code",
            "status",
            "received_at",
            "due_at",
            "finished_at",
            "returned_at",
            "outcome",
            "updated_at",
        )
    )


class TestFileFormats:
    def test_it_imports_a_csv_with_a_bom(self, setup_refs, tmp_path):
        path = write_csv(
            tmp_path / "a.csv",
            [row("HS-1"), row("HS-2", status="4", finished_at="", returned_at="")],
            bom=True,
        )
        report = dossiers_import(source=path)
        assert (report.written, report.created, report.updated) == (True, 2, 0)
        d = Dossier.objects.get(code="HS-1")
        # "2025-03-03 08:30" is local time.
        assert d.received_at == dt.datetime(2025, 3, 3, 8, 30, tzinfo=TZ)
        assert (d.due_on, d.finished_on, d.outcome) == (
            dt.date(2025, 3, 10),
            dt.date(2025, 3, 7),
            "early",
        )

    def test_it_reads_day_first_dates_and_iso_offsets(self, setup_refs, tmp_path):
        path = write_csv(
            tmp_path / "a.csv",
            [
                row(
                    received_at="03/03/2025 08:30",
                    due_at="10/03/2025",
                    finished_at="2025-03-10T17:30:00+00:00",
                    returned_at="",
                )
            ],
        )
        dossiers_import(source=path)
        d = Dossier.objects.get()
        assert d.received_at == dt.datetime(2025, 3, 3, 8, 30, tzinfo=TZ)
        # 17:30 UTC on 10/3 is 00:30 on 11/3 in Hanoi: one day late.
        assert (d.finished_on, d.outcome) == (dt.date(2025, 3, 11), "late")

    def test_it_imports_xlsx_with_vietnamese_headers(self, setup_refs, tmp_path):
        wb = Workbook()
        ws = wb.active
        ws.append(
            [
                "Mã hồ sơ",
                "Mã cơ quan",
                "Mã thủ tục",
                "Kênh nộp",
                "Trạng thái",
                "Ngày tiếp nhận",
                "Ngày hẹn trả",
                "Ngày có kết quả",
                "Ma can bo",
            ]
        )
        OfficerFactory(code="CB1", office=Office.objects.get(code="OF1"))
        ws.append(
            [
                "HS-X",
                "OF1",
                "1.000001",
                "Trực tuyến",
                9,
                dt.datetime(2025, 3, 3, 8),
                dt.datetime(2025, 3, 10),
                dt.datetime(2025, 3, 10, 16),
                "CB1",
            ]
        )
        wb.save(tmp_path / "a.xlsx")
        report = dossiers_import(source=tmp_path / "a.xlsx")
        assert report.created == 1, report.error_lines()
        d = Dossier.objects.get()
        assert (d.channel, d.status, d.outcome, d.officer.code) == ("online", 9, "on_time", "CB1")


class TestUpsert:
    def test_importing_the_same_file_twice_leaves_the_same_rows(self, setup_refs, tmp_path):
        rows = [row(f"HS-{i}") for i in range(50)]
        path = write_csv(tmp_path / "a.csv", rows)
        dossiers_import(source=path)
        before = snapshot()
        report = dossiers_import(source=path)
        assert (report.created, report.updated, report.unchanged) == (0, 0, 50)
        assert snapshot() == before  # updated_at included: nothing was touched

    def test_a_newer_export_updates_status_and_dates(self, setup_refs, tmp_path):
        open_row = row("HS-1", status="4", finished_at="", returned_at="")
        dossiers_import(source=write_csv(tmp_path / "a.csv", [open_row, row("HS-2")]))
        newer = row(
            "HS-1", status="10", finished_at="2025-03-12 10:00", returned_at="2025-03-12 11:00"
        )
        report = dossiers_import(source=write_csv(tmp_path / "b.csv", [newer, row("HS-2")]))
        assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
        d = Dossier.objects.get(code="HS-1")
        assert (d.status, d.finished_on, d.outcome) == (10, dt.date(2025, 3, 12), "late")

    def test_an_apology_marked_in_the_portal_survives_the_next_export(self, setup_refs, tmp_path):
        late = row("HS-1", finished_at="2025-03-12 10:00", returned_at="")
        path = write_csv(tmp_path / "a.csv", [late])
        dossiers_import(source=path)
        Dossier.objects.filter(code="HS-1").update(apology_issued_at=dt.date(2025, 3, 11))
        report = dossiers_import(source=path)
        assert report.unchanged == 1
        assert Dossier.objects.get().apology_issued_at == dt.date(2025, 3, 11)

    def test_dry_run_counts_and_writes_nothing(self, setup_refs, tmp_path):
        report = dossiers_import(source=write_csv(tmp_path / "a.csv", [row()]), dry_run=True)
        assert (report.created, report.written) == (1, False)
        assert not Dossier.objects.exists()


@pytest.mark.parametrize("stream", [False, True], ids=["checked-first", "streaming"])
class TestAllOrNothing:
    """Both write strategies (streaming only differs on PostgreSQL) give the same result."""

    def test_one_bad_row_in_ten_thousand_writes_nothing_and_names_it(
        self, setup_refs, tmp_path, stream
    ):
        rows = [row(f"HS-{i:05d}") for i in range(10_000)]
        rows[6_999]["due_at"] = "31/02/2025"
        path = write_csv(tmp_path / "big.csv", rows)
        report = dossiers_import(source=path, stream=stream)
        assert not report.written and report.rejected
        assert (report.created, report.updated) == (0, 0)
        assert not Dossier.objects.exists()
        assert [(e.row, e.column) for e in report.errors] == [(7_001, "due_at")]  # header is row 1
        assert "31/02/2025" in report.error_lines()[0]

    def test_a_bad_row_after_the_first_batch_still_writes_nothing(
        self, setup_refs, tmp_path, stream
    ):
        rows = [row(f"HS-{i:06d}") for i in range(60_001)]
        rows[60_000]["code"] = rows[3]["code"]  # repeated code, in the second batch of 50,000
        report = dossiers_import(source=write_csv(tmp_path / "big.csv", rows), stream=stream)
        assert [(e.row, e.column) for e in report.errors] == [(60_002, "code")]
        assert not Dossier.objects.exists()

    def test_skip_invalid_writes_the_valid_rows(self, setup_refs, tmp_path, stream):
        rows = [row("HS-1"), row("HS-2", office="NOPE"), row("HS-3")]
        report = dossiers_import(
            source=write_csv(tmp_path / "a.csv", rows), skip_invalid=True, stream=stream
        )
        assert (report.created, report.skipped, report.written) == (2, 1, True)
        assert set(Dossier.objects.values_list("code", flat=True)) == {"HS-1", "HS-3"}

    def test_reimporting_and_updating_count_the_same(self, setup_refs, tmp_path, stream):
        path = write_csv(tmp_path / "a.csv", [row("HS-1"), row("HS-2")])
        dossiers_import(source=path, stream=stream)
        before = snapshot()
        report = dossiers_import(source=path, stream=stream)
        assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
        assert snapshot() == before
        newer = write_csv(tmp_path / "b.csv", [row("HS-1", status="9"), row("HS-3")])
        report = dossiers_import(source=newer, stream=stream)
        assert (report.created, report.updated, report.unchanged) == (1, 1, 0)

    def test_dry_run_writes_nothing(self, setup_refs, tmp_path, stream):
        report = dossiers_import(
            source=write_csv(tmp_path / "a.csv", [row()]), dry_run=True, stream=stream
        )
        assert (report.created, report.written) == (1, False)
        assert not Dossier.objects.exists()


class TestValidation:
    @pytest.mark.parametrize(
        ("over", "column", "needle"),
        [
            ({"office": "NOPE"}, "office", "NOPE"),
            ({"procedure": "9.9"}, "procedure", "9.9"),
            ({"channel": "fax"}, "channel", "fax"),
            ({"status": "11"}, "status", "11"),
            ({"status": "x"}, "status", "x"),
            ({"received_at": ""}, "received_at", "trống"),
            ({"received_at": "2025-13-01"}, "received_at", "2025-13-01"),
            ({"due_at": "2025-03-01"}, "due_at", "trước ngày tiếp nhận"),
            (
                {"finished_at": "2025-03-01", "returned_at": ""},
                "finished_at",
                "trước ngày tiếp nhận",
            ),
            ({"status": "4"}, "finished_at", "đang giải quyết"),
            ({"finished_at": "", "returned_at": ""}, "finished_at", "cần ngày có kết quả"),
            ({"returned_at": "2025-03-06"}, "returned_at", "trước ngày có kết quả"),
            ({"supplement_days": "3"}, "supplement_days", "số lần yêu cầu bổ sung là 0"),
            ({"supplement_days": "-1", "supplement_requests": "1"}, "supplement_days", "-1"),
            (
                {
                    "received_at": "2025-07-01",
                    "due_at": "2025-07-05",
                    "finished_at": "",
                    "returned_at": "",
                    "status": "2",
                },
                "received_at",
                "tương lai",
            ),
            ({"code": "x" * 65}, "code", "65"),
        ],
    )
    def test_it_names_the_row_column_and_reason(self, setup_refs, tmp_path, over, column, needle):
        report = dossiers_import(source=write_csv(tmp_path / "a.csv", [row(**over)]))
        assert [(e.row, e.column) for e in report.errors] == [(2, column)]
        assert needle in report.error_lines()[0]
        assert "/ Row 2" in report.error_lines()[0]  # both languages

    def test_a_code_repeated_in_the_file_is_invalid(self, setup_refs, tmp_path):
        report = dossiers_import(
            source=write_csv(tmp_path / "a.csv", [row("A"), row("B"), row("A")])
        )
        assert [(e.row, e.column) for e in report.errors] == [(4, "code")]
        assert "dòng 2" in report.error_lines()[0]

    def test_a_missing_column_rejects_the_file(self, setup_refs, tmp_path):
        path = tmp_path / "a.csv"
        path.write_text("code,office\nA,OF1\n", encoding="utf-8")
        with pytest.raises(CommandError, match="procedure"):
            call_command("import_dossiers", str(path))


class TestOfficeScope:
    def test_rows_for_other_offices_are_invalid(self, setup_refs, tmp_path):
        office, _other = setup_refs
        rows = [row("A"), row("B", office="OF2")]
        report = dossiers_import(
            source=write_csv(tmp_path / "a.csv", rows), offices=Office.objects.filter(pk=office.pk)
        )
        assert [(e.row, e.column) for e in report.errors] == [(3, "office")]
        assert "ngoài phạm vi" in report.error_lines()[0]
        assert not Dossier.objects.exists()

    def test_a_code_owned_by_another_office_cannot_be_taken_over(self, setup_refs, tmp_path):
        office, other = setup_refs
        DossierFactory(code="A", office=other)
        report = dossiers_import(
            source=write_csv(tmp_path / "a.csv", [row("A")]),
            offices=Office.objects.filter(pk=office.pk),
        )
        assert [(e.row, e.column) for e in report.errors] == [(2, "code")]
        assert Dossier.objects.get(code="A").office == other


class TestCommand:
    def test_it_prints_the_summary(self, setup_refs, tmp_path, capsys):
        call_command("import_dossiers", str(write_csv(tmp_path / "a.csv", [row()])))
        assert "Đã thêm 1" in capsys.readouterr().out

    def test_it_fails_and_prints_every_error(self, setup_refs, tmp_path, capsys):
        path = write_csv(tmp_path / "a.csv", [row("A", status="0"), row("B", office="?")])
        with pytest.raises(CommandError, match="Không ghi"):
            call_command("import_dossiers", str(path), "--dry-run")
        err = capsys.readouterr().err
        assert "Dòng 2, cột status" in err and "Dòng 3, cột office" in err


aware = st.datetimes(
    min_value=dt.datetime(2020, 1, 1),
    max_value=dt.datetime(2030, 1, 1),
    timezones=st.sampled_from([TZ, dt.UTC, dt.timezone(dt.timedelta(hours=-5))]),
)


class TestDerive:
    @settings(max_examples=300, deadline=None)
    @given(
        received=aware,
        due=aware,
        finished=st.none() | aware,
        days=st.integers(0, 40),
        requests=st.integers(0, 3),
        status=st.integers(1, 10),
    )
    def test_it_agrees_with_the_model(self, received, due, finished, days, requests, status):
        fast = DossierRow(
            1,
            "c",
            1,
            1,
            "direct",
            status,
            received,
            due,
            finished,
            None,
            days,
            requests,
            None,
            None,
        )
        derive(fast, TZ)
        model = Dossier(
            received_at=received,
            due_at=due,
            finished_at=finished,
            status=status,
            supplement_days=days,
            supplement_requests=requests,
        )
        model.refresh_derived()
        assert (fast.received_on, fast.due_on, fast.finished_on, fast.outcome) == (
            model.received_on,
            model.due_on,
            model.finished_on,
            model.outcome,
        )


cells = {
    "code": st.sampled_from(["A", " A", "x" * 64, "x" * 65, "", "HS/1"]),
    "office": st.sampled_from(["OF1", "OF2", "NOPE", " OF1", ""]),
    "procedure": st.sampled_from(["1.000001", "9.9", ""]),
    "channel": st.sampled_from(["direct", "online", "postal", "Trực tuyến", "fax", ""]),
    "status": st.sampled_from(["1", "2", "3", "4", "7", "9", "10", "0", "11", "04", " 9", "x", ""]),
    "received_at": st.sampled_from(
        ["2025-03-03 08:30", "03/03/2025 08:30", "2025-03-03", "2025-03-03T08:30:00+00:00",
         "3/3/2025", "2025-02-30", "2025-07-01", ""]
    ),
    "due_at": st.sampled_from(["2025-03-10", "10/03/2025 17:00", "2025-03-01", "2025-03-03", ""]),
    "finished_at": st.sampled_from(["", "2025-03-07 15:00", "2025-03-12", "2025-03-01", "junk"]),
    "returned_at": st.sampled_from(["", "2025-03-12 09:00", "2025-03-05"]),
    "supplement_days": st.sampled_from(["", "0", "3", "-1", "99999", "1.5"]),
    "supplement_requests": st.sampled_from(["", "0", "1", "2"]),
    "apology_issued_at": st.sampled_from(["", "", "", "2025-03-11"]),
}  # fmt: skip


class TestFastPath:
    @settings(
        max_examples=400,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(data=st.data())
    def test_it_accepts_only_what_the_full_cleaning_accepts_with_the_same_result(
        self, setup_refs, data
    ):
        from offices.dossier_import import DossierCleaner
        from offices.importing import RowReader, TableRow

        # A valid row with up to three cells changed: most examples stay close to valid.
        values = row(returned_at="")
        for column in data.draw(st.sets(st.sampled_from(sorted(cells)), max_size=3)):
            values[column] = data.draw(cells[column])

        cleaner = DossierCleaner(offices=Office.objects.filter(code="OF1"))
        fast = cleaner.fast(RowReader(TableRow(2, dict(values))))
        full_reader = RowReader(TableRow(2, dict(values)))
        full = cleaner.full(full_reader)
        if fast is not None:
            assert full == fast
            assert full_reader.errors == []

    def test_a_plain_export_row_takes_the_fast_path(self, setup_refs):
        from offices.dossier_import import DossierCleaner
        from offices.importing import RowReader, TableRow

        fast = DossierCleaner().fast(RowReader(TableRow(2, row())))
        assert fast is not None and fast.outcome == "early"


class TestDossierUpsert:
    def test_it_creates_then_updates_one_dossier_and_names_every_problem(self, setup_refs):
        from offices.services import DossierError, dossier_upsert

        data = row("HS-1", status="4", finished_at="", returned_at="")
        assert dossier_upsert(data=data).status == 4
        assert dossier_upsert(data={**data, "status": "5"}).status == 5
        with pytest.raises(DossierError) as exc:
            dossier_upsert(data={**data, "office": "NOPE", "channel": "fax"})
        assert "office" in str(exc.value) and "channel" in str(exc.value)
