"""The dashboards' tables: column specs, and their CSV / XLSX exports.

A table is a list of plain dicts (rows from the stats selectors, or a
bounded list of dossiers / follow-ups / comments) plus a list of
``Column``. The same spec renders the HTML table under a chart, the
sortable unit table and the downloaded file, so what is shown is what is
exported. Rates are fractions: shown as ``96,88%``, written to XLSX as
numbers formatted ``0.00%`` and to CSV as percentages with two decimals.
"""

import io
import unicodedata
from dataclasses import dataclass

import pandas as pd
from django.http import HttpResponse
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from reports.templatetags.reports_tags import DASH, format_change, format_number, format_rate


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"  # text | int | rate | ci | change | date | bool
    link: bool = False  # render as a link to row["url"]

    def display(self, row):
        """Return the cell as the reader sees it."""
        value = row.get(self.key)
        if self.kind == "int":
            return format_number(value)
        if self.kind == "rate":
            return format_rate(value)
        if self.kind == "change":
            return format_change(value)
        if self.kind == "ci":
            if not value or value[0] is None:
                return DASH
            return f"{format_rate(value[0], 1)} – {format_rate(value[1], 1)}"
        if self.kind == "date":
            return value.strftime("%d/%m/%Y") if value else DASH
        if self.kind == "bool":
            return str(_("Có")) if value else ""
        return DASH if value is None or value == "" else str(value)

    def sort_value(self, row):
        """Return a value the browser can sort on (numbers, ISO dates, text)."""
        value = row.get(self.key)
        if self.kind == "ci":
            value = value[0] if value else None
        if value is None:
            return ""
        if self.kind == "date":
            return value.isoformat()
        return value


@dataclass(frozen=True)
class Table:
    name: str  # the ?table= key
    slug: str  # file name part, ASCII
    title: str
    columns: tuple

    def body_html(self, rows, *, small_sample_label="", empty_label=""):
        """Return the ``<tr>`` rows of the HTML table, escaped, built in Python.

        A province table has thousands of cells; one pass here costs a fraction
        of rendering them cell by cell with template tags.
        """
        if not rows:
            return format_html(
                '<tr><td colspan="{}" class="text-body-secondary">{}</td></tr>',
                len(self.columns),
                empty_label,
            )
        numeric = [c.kind not in ("text", "date", "bool") for c in self.columns]
        badge = (
            f' <span class="badge badge-small">{escape(small_sample_label)}</span>'
            if small_sample_label
            else ""
        )
        lines = []
        for row in rows:
            classes = " ".join(
                c
                for c, on in (
                    ("below-target", row.get("below_target")),
                    ("small-sample", row.get("small_sample")),
                )
                if on
            )
            cells = []
            for column, is_number in zip(self.columns, numeric, strict=True):
                text = escape(column.display(row))
                if column.link and row.get("url"):
                    text = f'<a href="{escape(row["url"])}">{text}</a>'
                    if row.get("small_sample"):
                        text += badge
                css = ' class="num tabular-nums"' if is_number else ""
                cells.append(f'<td data-sort="{escape(column.sort_value(row))}"{css}>{text}</td>')
            row_class = f' class="{classes}"' if classes else ""
            lines.append(f"<tr{row_class}>{''.join(cells)}</tr>")
        return mark_safe("\n".join(lines))  # every value above is escaped


def _figures(*extra):
    return (
        Column("responses", _("Số phiếu"), "int"),
        Column("satisfaction_rate", _("Tỷ lệ hài lòng"), "rate"),
        Column("satisfaction_n", _("Số câu trả lời (n)"), "int"),
        Column("satisfaction_ci", _("Khoảng tin cậy 95%"), "ci"),
        Column("received", _("Hồ sơ tiếp nhận"), "int"),
        Column("finished", _("Hồ sơ đã giải quyết"), "int"),
        Column("early", _("Trước hạn"), "int"),
        Column("on_time", _("Đúng hạn"), "int"),
        Column("late", _("Trễ hạn"), "int"),
        Column("on_time_rate", _("Tỷ lệ đúng hạn"), "rate"),
        Column("evaluation_rate", _("Tỷ lệ đánh giá"), "rate"),
        Column("late_without_apology", _("Trễ hạn chưa xin lỗi"), "int"),
        Column("complaints_open", _("Phản ánh đang mở"), "int"),
        Column("complaints_overdue", _("Phản ánh quá hạn"), "int"),
        *extra,
    )


UNIT_COLUMNS = (
    Column("rank", _("Hạng"), "int"),
    Column("label", _("Đơn vị"), link=True),
    Column("kind_label", _("Loại")),
    *_figures(Column("below_target_label", _("Dưới mục tiêu"))),
)

TABLES = {
    t.name: t
    for t in (
        Table("units", "don-vi", _("Các đơn vị"), UNIT_COLUMNS),
        Table(
            "rank_satisfaction",
            "xep-hang-hai-long",
            _("Xếp hạng theo tỷ lệ hài lòng"),
            (
                Column("rank", _("Hạng"), "int"),
                Column("label", _("Đơn vị"), link=True),
                Column("satisfaction_rate", _("Tỷ lệ hài lòng"), "rate"),
                Column("satisfaction_n", _("Số câu trả lời (n)"), "int"),
                Column("satisfaction_ci", _("Khoảng tin cậy 95%"), "ci"),
                Column("below_target_label", _("Dưới mục tiêu")),
            ),
        ),
        Table(
            "rank_on_time",
            "xep-hang-dung-han",
            _("Xếp hạng theo tỷ lệ đúng hạn"),
            (
                Column("label", _("Đơn vị"), link=True),
                Column("on_time_rate", _("Tỷ lệ đúng hạn"), "rate"),
                Column("on_time_n", _("Số hồ sơ tính tỷ lệ (n)"), "int"),
                Column("on_time_ci", _("Khoảng tin cậy 95%"), "ci"),
                Column("below_target_label", _("Dưới mục tiêu")),
            ),
        ),
        Table(
            "timeliness",
            "dung-han",
            _("Trước hạn, đúng hạn, trễ hạn"),
            (
                Column("label", _("Đơn vị"), link=True),
                Column("finished", _("Hồ sơ đã giải quyết"), "int"),
                Column("early", _("Trước hạn"), "int"),
                Column("on_time", _("Đúng hạn"), "int"),
                Column("late", _("Trễ hạn"), "int"),
                Column("late_without_apology", _("Trễ hạn chưa xin lỗi"), "int"),
                Column("on_time_rate", _("Tỷ lệ đúng hạn"), "rate"),
            ),
        ),
        Table("offices", "co-quan", _("Các cơ quan"), UNIT_COLUMNS),
        Table(
            "summary",
            "tong-hop",
            _("Chỉ số tổng hợp"),
            (
                Column("label", _("Chỉ số")),
                Column("display", _("Giá trị")),
                Column("n_display", _("Cỡ mẫu (n)")),
                Column("previous_display", _("Kỳ trước")),
                Column("change_display", _("Thay đổi")),
            ),
        ),
        Table(
            "criteria",
            "tieu-chi",
            _("Tỷ lệ hài lòng theo tiêu chí"),
            (
                Column("label", _("Tiêu chí")),
                Column("rate", _("Tỷ lệ hài lòng"), "rate"),
                Column("n", _("Số câu trả lời (n)"), "int"),
                Column("satisfied", _("Số câu hài lòng"), "int"),
                Column("ci", _("Khoảng tin cậy 95%"), "ci"),
            ),
        ),
        Table(
            "months",
            "theo-thang",
            _("Theo tháng"),
            (
                Column("label", _("Tháng")),
                Column("responses", _("Số phiếu"), "int"),
                Column("satisfaction_rate", _("Tỷ lệ hài lòng"), "rate"),
                Column("satisfaction_n", _("Số câu trả lời (n)"), "int"),
                Column("finished", _("Hồ sơ đã giải quyết"), "int"),
                Column("on_time_rate", _("Tỷ lệ đúng hạn"), "rate"),
            ),
        ),
        Table(
            "procedures",
            "thu-tuc",
            _("Theo thủ tục"),
            (Column("label", _("Thủ tục"), link=True), *_figures()),
        ),
        Table(
            "fields", "linh-vuc", _("Theo lĩnh vực"), (Column("label", _("Lĩnh vực")), *_figures())
        ),
        Table(
            "officers",
            "cong-chuc",
            _("Theo công chức"),
            (
                Column("label", _("Công chức")),
                Column("responses", _("Số phiếu"), "int"),
                Column("satisfaction_rate", _("Tỷ lệ hài lòng"), "rate"),
                Column("satisfaction_n", _("Số câu trả lời (n)"), "int"),
                Column("finished", _("Hồ sơ đã giải quyết"), "int"),
                Column("late", _("Trễ hạn"), "int"),
                Column("on_time_rate", _("Tỷ lệ đúng hạn"), "rate"),
            ),
        ),
        Table(
            "late_dossiers",
            "tre-han-chua-xin-loi",
            _("Hồ sơ trễ hạn chưa có thư xin lỗi"),
            (
                Column("code", _("Mã hồ sơ")),
                Column("office", _("Cơ quan")),
                Column("procedure", _("Thủ tục")),
                Column("received_on", _("Ngày tiếp nhận"), "date"),
                Column("due_on", _("Hạn trả"), "date"),
                Column("finished_on", _("Ngày có kết quả"), "date"),
                Column("days_late", _("Số ngày trễ"), "int"),
            ),
        ),
        Table(
            "follow_ups",
            "phan-anh-dang-mo",
            _("Phản ánh, kiến nghị đang mở"),
            (
                Column("office", _("Cơ quan")),
                Column("opened_on", _("Ngày tiếp nhận"), "date"),
                Column("due_on", _("Hạn xử lý"), "date"),
                Column("status", _("Trạng thái")),
                Column("overdue", _("Quá hạn"), "bool"),
                Column("reason", _("Nội dung")),
            ),
        ),
        Table(
            "comments",
            "y-kien",
            _("Ý kiến gần đây"),
            (
                Column("submitted_on", _("Ngày"), "date"),
                Column("office", _("Cơ quan")),
                Column("question", _("Câu hỏi")),
                Column("text", _("Ý kiến")),
                Column("flagged", _("Nghi vấn"), "bool"),
            ),
        ),
        Table(
            "scoreboard",
            "bang-xep-hang",
            _("Bảng xếp hạng công khai"),
            (
                Column("rank", _("Hạng"), "int"),
                Column("label", _("Cơ quan")),
                Column("unit_label", _("Địa bàn")),
                Column("satisfaction_rate", _("Tỷ lệ hài lòng"), "rate"),
                Column("satisfaction_n", _("Số câu trả lời (n)"), "int"),
                Column("on_time_rate", _("Tỷ lệ đúng hạn"), "rate"),
                Column("finished", _("Hồ sơ đã giải quyết"), "int"),
            ),
        ),
    )
}


def ascii_slug(text):
    """Return an ASCII slug of Vietnamese ``text`` ("Quảng Bình" → "quang-binh")."""
    text = str(text).replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return slugify(text)


def export_filename(*, table, unit_name, start, end, ext):
    """Return e.g. ``don-vi_quang-binh_2025-01-01_2025-03-31.xlsx``."""
    return f"{table.slug}_{ascii_slug(unit_name)}_{start.isoformat()}_{end.isoformat()}.{ext}"


def table_dataframe(*, table, rows):
    """Return a DataFrame with Vietnamese (or active-language) headers.

    Intervals become two columns (low, high); rates stay fractions.
    """
    data = {}
    for column in table.columns:
        label = str(column.label)
        values = [row.get(column.key) for row in rows]
        if column.kind == "ci":
            data[f"{label} – {_('thấp')}"] = [v[0] if v else None for v in values]
            data[f"{label} – {_('cao')}"] = [v[1] if v else None for v in values]
        elif column.kind == "bool":
            data[label] = [bool(v) for v in values]
        elif column.kind == "rate":
            data[label] = pd.array(values, dtype="Float64")
        elif column.kind == "int":
            data[label] = pd.array(values, dtype="Int64")
        else:
            data[label] = ["" if v is None else v for v in values]
    return pd.DataFrame(data)


def _rate_headers(table):
    headers = []
    for column in table.columns:
        label = str(column.label)
        if column.kind == "rate":
            headers.append(label)
        elif column.kind == "ci":
            headers += [f"{label} – {_('thấp')}", f"{label} – {_('cao')}"]
    return headers


def csv_bytes(*, table, rows):
    """Return the table as UTF-8 CSV with a BOM (Excel opens it with accents intact).

    Rates are written as percentages with two decimals (96.88).
    """
    frame = table_dataframe(table=table, rows=rows)
    for header in _rate_headers(table):
        frame[header] = (frame[header] * 100).round(2)
    frame = frame.rename(columns={h: f"{h} (%)" for h in _rate_headers(table)})
    return frame.to_csv(index=False).encode("utf-8-sig")


def xlsx_bytes(*, table, rows, sheet_title=None):
    """Return the table as an XLSX workbook; rate cells are formatted ``0.00%``."""
    frame = table_dataframe(table=table, rows=rows)
    buffer = io.BytesIO()
    sheet = (sheet_title or table.slug)[:31]
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name=sheet)
        worksheet = writer.sheets[sheet]
        rate_headers = set(_rate_headers(table))
        for index, header in enumerate(frame.columns, start=1):
            letter = worksheet.cell(row=1, column=index).column_letter
            width = max([len(str(header))] + [len(str(v)) for v in frame[header].head(200)])
            worksheet.column_dimensions[letter].width = min(max(width + 2, 8), 60)
            if header in rate_headers:
                for cell in worksheet[letter][1:]:
                    cell.number_format = "0.00%"
        worksheet.freeze_panes = "A2"
    return buffer.getvalue()


def export_response(*, table, rows, fmt, unit_name, start, end):
    """Return an attachment HttpResponse of the table as ``fmt`` ("csv" or "xlsx")."""
    filename = export_filename(table=table, unit_name=unit_name, start=start, end=end, ext=fmt)
    if fmt == "csv":
        response = HttpResponse(
            csv_bytes(table=table, rows=rows), content_type="text/csv; charset=utf-8"
        )
    else:
        response = HttpResponse(
            xlsx_bytes(table=table, rows=rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
