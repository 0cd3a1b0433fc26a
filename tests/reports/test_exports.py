"""Exports: CSV with a BOM, XLSX with percent cells, file names with unit and period."""

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse

from reports.exports import TABLES, ascii_slug, csv_bytes, export_filename, xlsx_bytes
from tests.reports.dashboard_world import dash_world  # noqa: F401 - the dash fixture

ROWS = [
    {"label": "Đồng Hới", "rate": 0.96875, "n": 320, "satisfied": 310, "ci": [0.94, 0.98]},
    {"label": "Lệ Thủy", "rate": None, "n": 0, "satisfied": 0, "ci": None},
]


class TestFileNames:
    def test_it_strips_vietnamese_marks_including_d_bar(self):
        assert ascii_slug("Quảng Bình") == "quang-binh"
        assert ascii_slug("Đắk Lắk") == "dak-lak"

    def test_it_carries_table_unit_and_period(self):
        name = export_filename(
            table=TABLES["criteria"],
            unit_name="Quảng Bình",
            start=dt.date(2025, 1, 1),
            end=dt.date(2025, 3, 31),
            ext="xlsx",
        )
        assert name == "tieu-chi_quang-binh_2025-01-01_2025-03-31.xlsx"


class TestCsv:
    def test_it_starts_with_a_bom_and_writes_percentages(self):
        data = csv_bytes(table=TABLES["criteria"], rows=ROWS)
        assert data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        assert rows[0][:3] == ["Tiêu chí", "Tỷ lệ hài lòng (%)", "Số câu trả lời (n)"]
        assert rows[1][:3] == ["Đồng Hới", "96.88", "320"]
        assert rows[2][1] == ""


class TestXlsx:
    def test_rates_are_numbers_formatted_as_percent(self):
        book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(table=TABLES["criteria"], rows=ROWS)))
        sheet = book.active
        assert sheet["A1"].value == "Tiêu chí"
        assert sheet["B2"].value == pytest.approx(0.96875)
        assert sheet["B2"].number_format == "0.00%"
        assert sheet["C2"].value == 320
        assert sheet["B3"].value is None
        assert sheet["E1"].value.startswith("Khoảng tin cậy 95%")


@pytest.mark.django_db
class TestExportViews:
    def test_the_unit_table_downloads_as_xlsx_with_the_figures_shown(self, client, dash):
        client.force_login(dash.users["province"])
        page = client.get(reverse("reports-unit", args=["province", "44"])).context["page"]
        url = reverse("reports-unit-export", args=["province", "44", "xlsx"]) + "?table=units"
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Disposition"] == (
            'attachment; filename="don-vi_tinh-a_2025-01-01_2025-03-31.xlsx"'
        )
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        headers = [c.value for c in sheet[1]]
        rows = {r[headers.index("Đơn vị")]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
        for shown in page.unit_rows:
            row = rows[shown["label"]]
            assert row[headers.index("Tỷ lệ hài lòng")] == pytest.approx(shown["satisfaction_rate"])
            assert row[headers.index("Số phiếu")] == shown["responses"]

    def test_the_csv_follows_the_filters_in_the_url(self, client, dash):
        client.force_login(dash.users["province"])
        url = reverse("reports-unit-export", args=["province", "44", "csv"])
        response = client.get(url + "?table=summary&period=last_quarter")
        assert "2024-10-01_2024-12-31.csv" in response["Content-Disposition"]
        text = response.content.decode("utf-8-sig")
        assert "Số phiếu đánh giá,80" in text

    def test_the_late_dossier_list_exports_from_a_district(self, client, dash):
        client.force_login(dash.users["district"])
        url = reverse("reports-unit-export", args=["district", "450", "csv"])
        text = client.get(url + "?table=late_dossiers").content.decode("utf-8-sig")
        assert "HS-LATE-O2" in text and "HS-LATE-O3" not in text
