import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook

from offices.importing import (
    Columns,
    ImportFileError,
    RowError,
    RowReader,
    TableRow,
    bilingual,
    read_table,
)
from offices.imports import offices_import, procedures_import, vn_slug
from offices.models import Field, Office, Procedure, UnitSet
from tests.factories import OfficeFactory, UnitFactory, make_user

OFFICE_HEADER = "code,name,kind,unit_level,unit_code,parent_office\n"


def write(tmp_path, text, name="data.csv", bom=False):
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


@pytest.fixture
def units(db):
    province = UnitFactory(unit_set=UnitSet.Y2025, level="province", code="44", name="Quảng Trị")
    commune = UnitFactory(
        unit_set=UnitSet.Y2025, level="commune", code="19009", parent=province, name="Đồng Hới"
    )
    old = UnitFactory(unit_set=UnitSet.Y2024, level="district", code="450", name="Đồng Hới cũ")
    return {"province": province, "commune": commune, "old_district": old}


class TestRowError:
    def test_it_reads_in_vietnamese_and_english(self):
        from django.utils.translation import gettext_lazy as _

        error = RowError(
            7,
            "kind",
            _("'%(value)s' không hợp lệ (phải là một trong %(choices)s)"),
            {"value": "xyz", "choices": "a, b"},
        )
        text = str(error)
        assert text.startswith("Dòng 7, cột kind: 'xyz' không hợp lệ (phải là một trong a, b)")
        assert "Row 7, column kind: invalid 'xyz' (must be one of a, b)" in text


class TestReadTable:
    def test_it_reads_csv_with_bom_and_numbers_rows_like_a_spreadsheet(self, tmp_path):
        path = write(tmp_path, "Code,Name\nA,Một\n\nB,Hai\n", bom=True)
        table = read_table(path, columns=Columns(required=("code", "name")))
        assert [(r.number, r.values) for r in table.rows] == [
            (2, {"code": "A", "name": "Một"}),
            (4, {"code": "B", "name": "Hai"}),
        ]

    def test_it_reads_semicolon_csv_and_aliases(self, tmp_path):
        path = write(tmp_path, "mã;tên\nA;Một\n")
        table = read_table(
            path, columns=Columns(required=("code", "name"), aliases={"Mã": "code", "tên": "name"})
        )
        assert table.rows[0].values == {"code": "A", "name": "Một"}

    def test_it_reads_xlsx(self, tmp_path):
        wb = Workbook()
        ws = wb.active
        ws.append(["code", "name"])
        ws.append([44, "Quảng Bình"])
        buf = io.BytesIO()
        wb.save(buf)
        table = read_table(
            SimpleUploadedFile("x.xlsx", buf.getvalue()), columns=Columns(required=("code", "name"))
        )
        assert table.rows[0].values == {"code": "44", "name": "Quảng Bình"}
        assert table.rows[0].number == 2

    def test_it_rejects_unknown_and_missing_headers(self, tmp_path):
        with pytest.raises(ImportFileError, match="Cột không xác định: colour"):
            read_table(write(tmp_path, "code,colour\n"), columns=Columns(required=("code", "name")))
        with pytest.raises(ImportFileError, match="Missing required column"):
            read_table(write(tmp_path, "code\n"), columns=Columns(required=("code", "name")))

    def test_it_rejects_a_file_that_is_not_utf8(self, tmp_path):
        path = tmp_path / "latin.csv"
        path.write_bytes("code,name\nA,Tỉnh\n".encode("utf-16"))
        with pytest.raises(ImportFileError, match="UTF-8"):
            read_table(path)


class TestRowReader:
    def reader(self, **values):
        return RowReader(TableRow(number=3, values=values))

    def test_it_parses_typed_cells(self):
        r = self.reader(n="12", fee="1.500.000", when="05/03/2025 08:30", flag="có")
        assert r.integer("n") == 12
        assert str(r.decimal("fee")) == "1500000"
        assert r.datetime("when").isoformat() == "2025-03-05T08:30:00+07:00"
        assert r.boolean("flag") is True
        assert r.errors == []

    def test_it_records_one_error_per_bad_cell(self):
        r = self.reader(n="x", fee="", day="31/02/2025")
        assert r.integer("n") is None
        assert r.decimal("fee") is None
        assert r.date("day") is None
        assert [(e.row, e.column) for e in r.errors] == [(3, "n"), (3, "fee"), (3, "day")]


@pytest.mark.django_db
class TestOfficesImport:
    def test_it_creates_then_updates_by_code_with_a_forward_parent(self, tmp_path, units):
        path = write(
            tmp_path,
            OFFICE_HEADER
            + "DH-1C,Bộ phận Một cửa Đồng Hới,commune_one_stop,commune,19009,QT-TTHCC\n"
            + "QT-TTHCC,Trung tâm PVHCC Quảng Trị,service_centre,province,44,\n",
            bom=True,
        )
        report = offices_import(source=path)
        assert (report.created, report.updated, report.written) == (2, 0, True)
        child = Office.objects.get(code="DH-1C")
        assert child.parent.code == "QT-TTHCC"
        assert child.unit == units["commune"]
        assert child.slug == "dh-1c"
        report = offices_import(source=path)
        assert (report.created, report.updated) == (0, 2)
        assert Office.objects.count() == 2

    def test_it_keeps_slugs_unique(self, tmp_path, units):
        OfficeFactory(code="OTHER", slug="dh-1c")
        path = write(tmp_path, OFFICE_HEADER + "DH-1C,A,commune_one_stop,commune,19009,\n")
        offices_import(source=path)
        assert Office.objects.get(code="DH-1C").slug == "dh-1c-2"

    def test_any_bad_row_means_nothing_is_written(self, tmp_path, units):
        path = write(
            tmp_path,
            OFFICE_HEADER
            + "A,Good,service_centre,province,44,\n"
            + "B,Bad kind,xyz,province,44,\n"
            + "C,Bad unit,service_centre,province,99,\n"
            + "D,Bad parent,service_centre,province,44,NOPE\n"
            + ",No code,service_centre,province,44,\n",
        )
        report = offices_import(source=path)
        assert not report.written
        assert Office.objects.count() == 0
        lines = report.error_lines()
        assert lines[0].startswith("Dòng 3, cột kind: 'xyz' không hợp lệ (phải là một trong")
        assert "Row 3, column kind: invalid 'xyz' (must be one of" in lines[0]
        assert [(e.row, e.column) for e in sorted(report.errors, key=lambda e: e.row)] == [
            (3, "kind"),
            (4, "unit_code"),
            (5, "parent_office"),
            (6, "code"),
        ]

    def test_skip_invalid_writes_the_good_rows(self, tmp_path, units):
        path = write(
            tmp_path, OFFICE_HEADER + "A,Good,service_centre,province,44,\nB,Bad,xyz,province,44,\n"
        )
        report = offices_import(source=path, skip_invalid=True)
        assert (report.created, report.skipped, report.written) == (1, 1, True)
        assert list(Office.objects.values_list("code", flat=True)) == ["A"]

    def test_it_looks_units_up_in_the_chosen_set(self, tmp_path, units):
        path = write(tmp_path, OFFICE_HEADER + "A,Old,district_one_stop,district,450,\n")
        assert not offices_import(source=path).written
        assert offices_import(source=path, unit_set="2024").written
        assert Office.objects.get(code="A").unit == units["old_district"]

    def test_it_rejects_duplicate_codes_in_the_file(self, tmp_path, units):
        path = write(
            tmp_path,
            OFFICE_HEADER + "A,x,service_centre,province,44,\nA,y,service_centre,province,44,\n",
        )
        report = offices_import(source=path)
        assert {(e.row, e.column) for e in report.errors} == {(2, "code"), (3, "code")}


PROC_HEADER = "code,name,field,level,legal_days,day_kind,fee,offices\n"


@pytest.mark.django_db
class TestProceduresImport:
    def test_it_creates_fields_and_links_offices(self, tmp_path):
        OfficeFactory(code="O1")
        OfficeFactory(code="O2")
        path = write(
            tmp_path,
            PROC_HEADER
            + "1.001,Đăng ký khai sinh,Hộ tịch,commune,3,working,0,O1;O2\n"
            + "1.002,Cấp giấy phép xây dựng,Xây dựng,district,15,calendar,150000,O2\n"
            + "1.003,Đăng ký kết hôn,hộ tịch,commune,5,,,\n",
        )
        report = procedures_import(source=path)
        assert (report.created, report.updated, report.written) == (3, 0, True)
        assert set(Field.objects.values_list("name", "code")) == {
            ("Hộ tịch", "ho-tich"),
            ("Xây dựng", "xay-dung"),
        }
        p = Procedure.objects.get(code="1.001")
        assert set(p.offices.values_list("code", flat=True)) == {"O1", "O2"}
        assert Procedure.objects.get(code="1.002").fee == 150000
        assert Procedure.objects.get(code="1.003").day_kind == "working"
        path2 = write(
            tmp_path, PROC_HEADER + "1.001,Đăng ký khai sinh,Hộ tịch,commune,4,,,O1\n", "b.csv"
        )
        assert procedures_import(source=path2).updated == 1
        p.refresh_from_db()
        assert p.legal_days == 4
        assert list(p.offices.values_list("code", flat=True)) == ["O1"]

    def test_it_reports_bad_numbers_choices_and_offices(self, tmp_path):
        path = write(
            tmp_path,
            PROC_HEADER + "1.001,A,Hộ tịch,village,x,working,-5,NOPE\n",
        )
        report = procedures_import(source=path)
        assert not report.written
        assert {e.column for e in report.errors} == {"level", "legal_days", "fee", "offices"}
        assert Procedure.objects.count() == 0 and Field.objects.count() == 0


@pytest.mark.django_db
class TestImportCommands:
    def test_import_offices_prints_errors_and_fails(self, tmp_path, units, capsys):
        path = write(tmp_path, OFFICE_HEADER + "B,Bad kind,xyz,province,44,\n")
        with pytest.raises(CommandError, match="Không ghi dữ liệu nào"):
            call_command("import_offices", str(path))
        assert "Row 2, column kind" in capsys.readouterr().err

    def test_import_offices_succeeds(self, tmp_path, units, capsys):
        path = write(tmp_path, OFFICE_HEADER + "A,Good,service_centre,province,44,\n")
        call_command("import_offices", str(path))
        assert "Đã thêm 1" in capsys.readouterr().out

    def test_a_bad_header_is_a_command_error(self, tmp_path):
        path = write(tmp_path, "code,name\n")
        with pytest.raises(CommandError, match="legal_days"):
            call_command("import_procedures", str(path))


@pytest.mark.django_db
class TestAdminImport:
    def test_the_changelist_links_to_the_import_page(self, client):
        client.force_login(make_user("admin"))
        response = client.get(reverse("admin:offices_office_changelist"))
        assert reverse("admin:offices_office_import").encode() in response.content

    def test_it_shows_errors_and_writes_nothing(self, client, units):
        client.force_login(make_user("admin"))
        upload = SimpleUploadedFile(
            "o.csv",
            (OFFICE_HEADER + "A,Good,service_centre,province,44,\nB,x,xyz,province,44,\n").encode(),
        )
        response = client.post(
            reverse("admin:offices_office_import"), {"file": upload, "unit_set": "2025"}
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert "Dòng 3, cột kind" in body
        assert Office.objects.count() == 0

    def test_it_imports_procedures(self, client):
        client.force_login(make_user("admin"))
        upload = SimpleUploadedFile(
            "p.csv", (PROC_HEADER + "1.9,A,Hộ tịch,commune,3,,,\n").encode()
        )
        response = client.post(reverse("admin:offices_procedure_import"), {"file": upload})
        assert response.status_code == 200
        assert Procedure.objects.filter(code="1.9").exists()

    def test_staff_without_admin_role_cannot_import(self, client, units):
        office = OfficeFactory(unit=units["commune"])
        client.force_login(make_user("office_staff", office=office, is_staff=True))
        response = client.get(reverse("admin:offices_office_import"))
        assert response.status_code == 403


def test_vn_slug_keeps_d():
    assert vn_slug("Đất đai") == "dat-dai"
    assert bilingual("x") == "x"
