"""Shared machinery for spreadsheet imports (CSV or XLSX), used by every importer.

An importer declares its columns, cleans one row at a time, and writes the
cleaned rows; this module does the rest:

- ``read_table(source)`` reads a CSV (UTF-8, with or without BOM, ``,`` ``;``
  or tab separated) or an ``.xlsx`` sheet (openpyxl, read-only) into a
  ``Table`` of ``TableRow(number, values)``; ``number`` is the row number a
  spreadsheet shows (the header is row 1).
- ``Columns(required=…, optional=…, aliases=…)`` maps the file's headers to
  canonical names and rejects unknown, missing or repeated headers.
- ``RowReader`` reads typed cells (``text``, ``choice``, ``integer``,
  ``decimal``, ``date``, ``datetime``, ``boolean``) and collects a
  ``RowError(row, column, message, params)`` for every bad cell.
- ``run_import(...)`` ties it together: read, map headers, clean every row,
  run cross-row checks, then call ``write`` inside one transaction. Any
  invalid row means nothing is written, unless ``skip_invalid=True``, in
  which case only valid rows are written and the bad ones are reported.

Messages are Vietnamese ``gettext_lazy`` strings with ``%(name)s``
placeholders, kept unformatted until shown, so the same error renders in
both languages: ``str(error)`` gives "Dòng 7, cột kind: … / Row 7, column
kind: …". Put your messages in your own app's catalogue.

Example::

    COLUMNS = Columns(required=("code", "name"), aliases={"mã": "code"})

    def clean(row: RowReader):
        return {"code": row.text("code", max_length=50), "name": row.text("name")}

    def write(rows: list[CleanRow]) -> tuple[int, int]:  # (created, updated)
        ...

    report = run_import(path, columns=COLUMNS, clean_row=clean, write=write)
    for line in report.error_lines():
        print(line)
"""

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

LANGS = ("vi", "en")


def render(message, params=None, *, lang: str) -> str:
    """Return ``message`` (lazy or plain) translated into ``lang`` and formatted."""
    with translation.override(lang):
        text = str(message)
        params = {k: (str(v) if isinstance(v, Promise) else v) for k, v in (params or {}).items()}
        return text % params if params else text


def bilingual(message, **params) -> str:
    """Return "<Vietnamese> / <English>" for ``message``; one language if both are equal."""
    vi, en = (render(message, params, lang=lang) for lang in LANGS)
    return vi if vi == en else f"{vi} / {en}"


@dataclass(frozen=True)
class RowError:
    """One problem in one cell (or a whole row when ``column`` is empty)."""

    row: int
    column: str
    message: Any
    params: dict = field(default_factory=dict, compare=False, hash=False)

    def text(self, lang: str) -> str:
        """Return the error with its row and column, in ``lang``."""
        body = render(self.message, self.params, lang=lang)
        if self.column:
            prefix = _("Dòng %(row)s, cột %(column)s: %(message)s")
        else:
            prefix = _("Dòng %(row)s: %(message)s")
        return render(prefix, {"row": self.row, "column": self.column, "message": body}, lang=lang)

    def __str__(self):
        vi, en = (self.text(lang) for lang in LANGS)
        return vi if vi == en else f"{vi} / {en}"


class ImportFileError(Exception):
    """The file as a whole cannot be imported (unreadable, wrong headers, …)."""

    def __init__(self, message, **params):
        self.message = message
        self.params = params
        super().__init__(bilingual(message, **params))


class RowInvalid(Exception):
    """Raised by ``clean_row`` or ``write`` to reject rows; carries ``RowError`` objects."""

    def __init__(self, errors: list[RowError]):
        self.errors = list(errors)
        super().__init__("; ".join(str(e) for e in self.errors))


@dataclass
class TableRow:
    number: int  # as the spreadsheet shows it: the header is row 1
    values: dict  # canonical column name -> str (CSV) or cell value (XLSX)


@dataclass
class Table:
    headers: list[str]
    rows: list[TableRow]


@dataclass
class CleanRow:
    number: int
    data: Any


@dataclass
class ImportReport:
    """What an import did: counts, the rejected rows' errors, whether anything was written."""

    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def error_lines(self) -> list[str]:
        """Return every error as a bilingual line, in row order."""
        return [str(e) for e in sorted(self.errors, key=lambda e: (e.row, e.column))]

    def summary(self) -> str:
        """Return one bilingual sentence with the counts."""
        if not self.written:
            return bilingual(
                _("Không ghi dữ liệu nào: %(n)s lỗi trong %(rows)s dòng."),
                n=len(self.errors),
                rows=len({e.row for e in self.errors}),
            )
        return bilingual(
            _("Đã thêm %(created)s, cập nhật %(updated)s, bỏ qua %(skipped)s dòng lỗi."),
            created=self.created,
            updated=self.updated,
            skipped=self.skipped,
        )


def _normalize_header(value) -> str:
    return re.sub(r"\s+", "_", str(value or "").replace("\ufeff", "").strip().lower())


@dataclass(frozen=True)
class Columns:
    """The columns an importer accepts: canonical names plus header aliases."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    aliases: dict = field(default_factory=dict)  # header (any case) -> canonical name

    def map(self, headers: list) -> list[str | None]:
        """Return the canonical name of each header (None for blank ones).

        Raises ``ImportFileError`` naming unknown, repeated or missing columns.
        """
        known = set(self.required) | set(self.optional)
        aliases = {_normalize_header(k): v for k, v in self.aliases.items()}
        mapped, unknown, seen, repeated = [], [], set(), []
        for header in headers:
            key = _normalize_header(header)
            if not key:
                mapped.append(None)
                continue
            name = key if key in known else aliases.get(key)
            if name is None:
                unknown.append(str(header).strip())
            elif name in seen:
                repeated.append(name)
            seen.add(name)
            mapped.append(name)
        expected = ", ".join([*self.required, *self.optional])
        if unknown:
            raise ImportFileError(
                _("Cột không xác định: %(columns)s (các cột hợp lệ: %(expected)s)"),
                columns=", ".join(unknown),
                expected=expected,
            )
        if repeated:
            raise ImportFileError(_("Cột bị lặp: %(columns)s"), columns=", ".join(repeated))
        missing = [c for c in self.required if c not in seen]
        if missing:
            raise ImportFileError(
                _("Thiếu cột bắt buộc: %(columns)s (các cột hợp lệ: %(expected)s)"),
                columns=", ".join(missing),
                expected=expected,
            )
        return mapped


def _source_bytes(source, name):
    if isinstance(source, str | Path):
        path = Path(source)
        try:
            return path.read_bytes(), name or path.name
        except OSError as exc:
            raise ImportFileError(
                _("Không đọc được tệp %(name)s: %(error)s"), name=path, error=exc.strerror
            ) from exc
    if isinstance(source, bytes):
        return source, name or ""
    if hasattr(source, "seek"):
        source.seek(0)
    data = source.read()
    if isinstance(data, str):
        data = data.encode("utf-8")
    return data, name or getattr(source, "name", "") or ""


def _cell(value):
    if isinstance(value, str):
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    return value  # date, datetime, bool: typed cells from a spreadsheet


def _read_xlsx(data):
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        raise ImportFileError(
            _("Tệp không phải bảng tính .xlsx hợp lệ: %(error)s"), error=exc
        ) from exc
    try:
        ws = wb.worksheets[0]
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            yield number, [_cell(v) for v in values]
    finally:
        wb.close()


def _read_csv(data):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _("Tệp CSV phải mã hóa UTF-8 (byte lỗi ở vị trí %(position)s)"), position=exc.start
        ) from exc
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, values in enumerate(reader, start=1):
            yield number, [_cell(v) for v in values]
    except csv.Error as exc:
        raise ImportFileError(_("Tệp CSV lỗi định dạng: %(error)s"), error=exc) from exc


def read_table(source, *, columns: Columns | None = None, name: str | None = None) -> Table:
    """Return the rows of a CSV or XLSX file as a ``Table``.

    ``source`` is a path, bytes, or a file object (e.g. an uploaded file);
    XLSX is recognised by its ``.xlsx`` name or its ZIP signature. With
    ``columns`` the headers are mapped to canonical names (see
    ``Columns.map``). Blank rows are dropped; row numbers stay as the
    spreadsheet shows them.
    """
    data, name = _source_bytes(source, name)
    is_xlsx = str(name).lower().endswith(".xlsx") or data[:4] == b"PK\x03\x04"
    lines = _read_xlsx(data) if is_xlsx else _read_csv(data)
    headers = None
    rows = []
    for number, values in lines:
        if all(v == "" for v in values):
            continue
        if headers is None:
            headers = [str(v) for v in values]
            names = (
                columns.map(headers) if columns else [_normalize_header(h) or None for h in headers]
            )
            continue
        cells = {n: (values[i] if i < len(values) else "") for i, n in enumerate(names) if n}
        extra = [v for v in values[len(names) :] if v != ""]
        if extra:
            cells["__extra__"] = extra
        rows.append(TableRow(number=number, values=cells))
    if headers is None:
        raise ImportFileError(_("Tệp trống: không có dòng tiêu đề"))
    return Table(headers=headers, rows=rows)


DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y")
DATETIME_FORMATS = (
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
)


class RowReader:
    """Typed access to one row's cells; every problem becomes a ``RowError``.

    Each accessor returns the cleaned value, or ``None`` when the cell is
    invalid (the error is recorded in ``errors``), or ``default`` when the
    cell is empty and not required.
    """

    def __init__(self, row: TableRow):
        self.row = row
        self.number = row.number
        self.errors: list[RowError] = []
        if row.values.get("__extra__"):
            self.error("", _("có ô thừa ngoài các cột tiêu đề"))

    def error(self, column: str, message, **params) -> None:
        """Record an error on ``column`` of this row."""
        self.errors.append(RowError(self.number, column, message, params))

    def raw(self, column: str):
        value = self.row.values.get(column, "")
        return "" if value is None else value

    def _empty(self, column, required, default):
        if required:
            self.error(column, _("không được để trống"))
            return None
        return default

    def text(self, column: str, *, required=True, max_length=None, default=""):
        value = self.raw(column)
        value = value.isoformat() if hasattr(value, "isoformat") else str(value).strip()
        if value == "":
            return self._empty(column, required, default)
        if max_length and len(value) > max_length:
            self.error(
                column, _("dài %(length)s ký tự, tối đa %(max)s"), length=len(value), max=max_length
            )
            return None
        return value

    def choice(self, column: str, choices, *, required=True, default=None):
        """Return the value of ``choices`` (a ``Choices`` class or (value, label) pairs).

        Accepts the value or the label, case-insensitively.
        """
        pairs = list(getattr(choices, "choices", choices))
        value = self.text(column, required=required, default=None)
        if value is None:
            return default if not required and self.raw(column) == "" else None
        wanted = value.casefold()
        for key, label in pairs:
            if wanted in (str(key).casefold(), str(label).casefold()):
                return key
        self.error(
            column,
            _("'%(value)s' không hợp lệ (phải là một trong %(choices)s)"),
            value=value,
            choices=", ".join(str(k) for k, _label in pairs),
        )
        return None

    def integer(self, column: str, *, required=True, min_value=None, max_value=None, default=None):
        value = self.text(column, required=required, default=None)
        if value is None:
            return default if not required and self.raw(column) == "" else None
        try:
            number = int(value.replace(" ", ""))
        except ValueError:
            self.error(column, _("'%(value)s' không phải số nguyên"), value=value)
            return None
        if min_value is not None and number < min_value:
            self.error(column, _("%(value)s nhỏ hơn %(min)s"), value=number, min=min_value)
            return None
        if max_value is not None and number > max_value:
            self.error(column, _("%(value)s lớn hơn %(max)s"), value=number, max=max_value)
            return None
        return number

    def decimal(self, column: str, *, required=True, min_value=None, default=None):
        """Return a Decimal; spaces and thousands dots/commas ("1.500.000") are accepted."""
        value = self.text(column, required=required, default=None)
        if value is None:
            return default if not required and self.raw(column) == "" else None
        cleaned = value.replace(" ", "")
        if re.fullmatch(r"\d{1,3}([.,]\d{3})+", cleaned):
            cleaned = re.sub(r"[.,]", "", cleaned)
        try:
            number = Decimal(cleaned.replace(",", "."))
            if not number.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            self.error(column, _("'%(value)s' không phải số"), value=value)
            return None
        if min_value is not None and number < min_value:
            self.error(column, _("%(value)s nhỏ hơn %(min)s"), value=value, min=min_value)
            return None
        return number

    def boolean(self, column: str, *, required=False, default=False):
        value = self.text(column, required=required, default=None)
        if value is None:
            return default if self.raw(column) == "" else None
        key = value.casefold()
        if key in {"1", "true", "yes", "x", "có", "co", "đúng"}:
            return True
        if key in {"0", "false", "no", "không", "khong", "sai"}:
            return False
        self.error(column, _("'%(value)s' không phải có/không (1/0)"), value=value)
        return None

    def date(self, column: str, *, required=True, default=None):
        """Return a date from an XLSX date cell, ``YYYY-MM-DD`` or ``DD/MM/YYYY``."""
        value = self.raw(column)
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        value = self.text(column, required=required, default=None)
        if value is None:
            return default if not required and self.raw(column) == "" else None
        for fmt in DATE_FORMATS:
            try:
                return dt.datetime.strptime(value, fmt).date()
            except ValueError:
                pass
        self.error(
            column, _("'%(value)s' không phải ngày (YYYY-MM-DD hoặc DD/MM/YYYY)"), value=value
        )
        return None

    def datetime(self, column: str, *, required=True, default=None):
        """Return an aware datetime; naive values are local time (Asia/Ho_Chi_Minh).

        Accepts XLSX date cells, ISO 8601 (with or without offset) and
        ``DD/MM/YYYY HH:MM[:SS]``; a bare date means midnight.
        """
        value = self.raw(column)
        parsed = None
        if isinstance(value, dt.datetime):
            parsed = value
        elif isinstance(value, dt.date):
            parsed = dt.datetime.combine(value, dt.time())
        else:
            value = self.text(column, required=required, default=None)
            if value is None:
                return default if not required and self.raw(column) == "" else None
            try:
                parsed = dt.datetime.fromisoformat(value)
            except ValueError:
                for fmt in DATETIME_FORMATS + DATE_FORMATS:
                    try:
                        parsed = dt.datetime.strptime(value, fmt)
                        break
                    except ValueError:
                        pass
            if parsed is None:
                self.error(
                    column,
                    _("'%(value)s' không phải ngày giờ (YYYY-MM-DD HH:MM hoặc DD/MM/YYYY HH:MM)"),
                    value=value,
                )
                return None
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        return parsed


def clean_table(
    table: Table, clean_row: Callable[[RowReader], Any]
) -> tuple[list[CleanRow], list[RowError]]:
    """Return the cleaned rows and the errors of the rejected ones."""
    cleaned, errors = [], []
    for row in table.rows:
        reader = RowReader(row)
        try:
            data = clean_row(reader)
        except RowInvalid as exc:
            reader.errors.extend(exc.errors)
        if reader.errors:
            errors.extend(reader.errors)
        else:
            cleaned.append(CleanRow(row.number, data))
    return cleaned, errors


def run_import(
    source,
    *,
    columns: Columns,
    clean_row: Callable[[RowReader], Any],
    write: Callable[[list[CleanRow]], tuple[int, int]],
    check: Callable[[list[CleanRow]], Iterable[RowError]] | None = None,
    skip_invalid: bool = False,
    name: str | None = None,
) -> ImportReport:
    """Read, validate and write ``source``; return an ``ImportReport``.

    ``clean_row(reader)`` returns a row's cleaned data (errors go through the
    reader or ``RowInvalid``). ``check(cleaned)`` returns errors that need
    every row (duplicates within the file, references to rows further down).
    ``write(cleaned)`` runs inside one transaction and returns ``(created,
    updated)``; it may raise ``RowInvalid``, which rolls everything back.
    Without ``skip_invalid`` any error means nothing is written. Raises
    ``ImportFileError`` when the file itself is unusable.
    """
    table = read_table(source, columns=columns, name=name)
    cleaned, errors = clean_table(table, clean_row)
    if check is not None:
        errors.extend(check(cleaned))
        bad = {e.row for e in errors}
        cleaned = [c for c in cleaned if c.number not in bad]
    report = ImportReport(errors=errors)
    if errors and not skip_invalid:
        return report
    report.skipped = len({e.row for e in errors})
    try:
        with transaction.atomic():
            report.created, report.updated = write(cleaned)
    except RowInvalid as exc:
        report.errors = errors + exc.errors
        report.created = report.updated = report.skipped = 0
        return report
    report.written = True
    return report
