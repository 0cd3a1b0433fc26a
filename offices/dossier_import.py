"""Dossier rows: the columns, the per-row cleaning and the two bulk writers.

The file import, the upload page and the API all clean rows with
``DossierCleaner`` (built on ``offices.importing.RowReader``) and check the
whole batch with ``dossier_rows_check``, so a row is valid or invalid for the
same reason everywhere. Writing is an upsert by ``code``:

- PostgreSQL: the rows are ``COPY``-ed into a temporary staging table, then
  one ``INSERT … SELECT … ON CONFLICT (code) DO UPDATE … WHERE … IS DISTINCT
  FROM …`` writes them; unchanged rows are not touched (``updated_at`` stays).
- Other databases (SQLite): per chunk, the existing rows are read and
  compared in Python, new rows go through ``bulk_create`` and changed rows
  through ``bulk_update``.

Both writers apply the same merge rule: an empty ``apology_issued_at`` or
``officer`` in the incoming row keeps what the portal already has (an apology
marked in the portal is never erased by the next export); every other column
takes the incoming value. The tests run against both databases.
"""

import datetime as dt
import io
import re
import unicodedata
import zoneinfo
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from offices.importing import Columns, ImportReport, RowError, RowReader, bilingual
from offices.models import Channel, Dossier, Office, Officer, Procedure

COLUMN_ORDER = (
    "code",
    "office",
    "procedure",
    "channel",
    "status",
    "received_at",
    "due_at",
    "finished_at",
    "returned_at",
    "supplement_days",
    "supplement_requests",
    "apology_issued_at",
)
OPTIONAL_COLUMNS = (
    "finished_at",
    "returned_at",
    "supplement_days",
    "supplement_requests",
    "apology_issued_at",
    "officer",
)

# Vietnamese headers seen in one-stop system exports (documented in docs/IMPORT.md).
_VI_ALIASES = {
    "code": ["mã hồ sơ", "số hồ sơ", "mã số hồ sơ"],
    "office": ["mã cơ quan", "mã đơn vị", "cơ quan", "đơn vị tiếp nhận"],
    "procedure": ["mã thủ tục", "mã tthc", "thủ tục"],
    "channel": ["kênh nộp", "hình thức nộp", "kênh tiếp nhận"],
    "status": ["trạng thái", "mã trạng thái"],
    "received_at": ["ngày tiếp nhận", "thời gian tiếp nhận", "ngày nhận"],
    "due_at": ["ngày hẹn trả", "hẹn trả", "ngày hẹn trả kết quả"],
    "finished_at": ["ngày có kết quả", "ngày hoàn thành", "ngày kết thúc xử lý"],
    "returned_at": ["ngày trả kết quả", "ngày trả"],
    "supplement_days": ["số ngày chờ bổ sung", "số ngày bổ sung"],
    "supplement_requests": ["số lần yêu cầu bổ sung", "số lần bổ sung"],
    "apology_issued_at": ["ngày gửi thư xin lỗi", "ngày xin lỗi"],
    "officer": ["mã cán bộ", "cán bộ xử lý"],
}


def _unaccent(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text if not unicodedata.combining(c))


def _aliases() -> dict:
    aliases = {}
    for name, headers in _VI_ALIASES.items():
        for header in headers:
            for variant in (header, _unaccent(header)):
                aliases[unicodedata.normalize("NFC", variant)] = name
    return aliases


ALIASES = _aliases()
COLUMNS = Columns(
    required=tuple(c for c in COLUMN_ORDER if c not in OPTIONAL_COLUMNS),
    optional=OPTIONAL_COLUMNS,
    aliases=ALIASES,
)

_CHANNEL_ALIASES = {
    "truc tiep": Channel.DIRECT,
    "tai quay": Channel.DIRECT,
    "truc tuyen": Channel.ONLINE,
    "dich vu cong truc tuyen": Channel.ONLINE,
    "buu chinh": Channel.POSTAL,
    "buu chinh cong ich": Channel.POSTAL,
    "buu dien": Channel.POSTAL,
}
_CHANNELS = frozenset(Channel.values)
_DATETIME_COLUMNS = ("received_at", "due_at", "finished_at", "returned_at")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?")
_DAY_FIRST = re.compile(r"(\d{2})/(\d{2})/(\d{4})(?: (\d{2}):(\d{2})(?::(\d{2}))?)?")
_STATUS_TEXT = {str(n): n for n in range(1, 11)}
_OPEN_STATUSES = {1, 2, 4, 5, 6}
_UNKNOWN_OFFICE = _("không có cơ quan mã '%(value)s'")
_UNKNOWN_PROCEDURE = _("không có thủ tục mã '%(value)s'")
_REPEATED_CODE = _("mã hồ sơ trùng với dòng %(first)s")
_CODE_TAKEN = _("mã hồ sơ '%(value)s' đã thuộc một cơ quan ngoài phạm vi được phép")
_FINISHED_STATUSES = {9, 10}
_SMALLINT_MAX = 32767


@dataclass(slots=True)
class DossierRow:
    """One cleaned row, ready to write (derived columns filled by ``derive``)."""

    number: int
    code: str
    office_id: int
    procedure_id: int
    channel: str
    status: int
    received_at: dt.datetime
    due_at: dt.datetime
    finished_at: dt.datetime | None
    returned_at: dt.datetime | None
    supplement_days: int
    supplement_requests: int
    apology_issued_at: dt.date | None
    officer_id: int | None
    received_on: dt.date | None = None
    due_on: dt.date | None = None
    finished_on: dt.date | None = None
    outcome: str = ""


def _local_tz():
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _fast_datetime(value: str, tz) -> dt.datetime | None:
    """Return the two commonest export formats as aware local datetimes, else None.

    A speed-up only (``RowReader.datetime`` costs ~15 µs a cell): anything
    this does not recognise, or an impossible date, is left to
    ``RowReader.datetime``, which parses the other formats and words the error.
    """
    match = _ISO.fullmatch(value)
    if match:
        y, m, d, hh, mm, ss = match.groups()
    else:
        match = _DAY_FIRST.fullmatch(value)
        if not match:
            return None
        d, m, y, hh, mm, ss = match.groups()
    try:
        return dt.datetime(
            int(y), int(m), int(d), int(hh or 0), int(mm or 0), int(ss or 0), tzinfo=tz
        )
    except ValueError:
        return None


def derive(row: DossierRow, tz) -> None:
    """Fill the derived columns exactly as ``Dossier.refresh_derived`` would.

    ``refresh_derived`` costs ~30 µs a row (four ``timezone.localdate``
    calls); this does the same arithmetic with the zone passed in, ~3 µs.
    ``tests/offices/test_dossier_import.py`` checks with Hypothesis that both
    agree on arbitrary rows.
    """

    def local(value):
        return value if value.tzinfo is tz else value.astimezone(tz)

    received = local(row.received_at)
    due = local(row.due_at + dt.timedelta(days=row.supplement_days))
    row.received_on = received.date()
    row.due_on = due.date()
    if row.finished_at is None:
        row.finished_on = None
        row.outcome = ""
        return
    finished_on = local(row.finished_at).date()
    row.finished_on = finished_on
    if row.status in Dossier.EXCLUDED_STATUSES:
        row.outcome = ""
    elif row.supplement_requests > 1:
        row.outcome = "late"
    elif finished_on < row.due_on:
        row.outcome = "early"
    elif finished_on == row.due_on:
        row.outcome = "on_time"
    else:
        row.outcome = "late"


class DossierCleaner:
    """Clean one ``RowReader`` into a ``DossierRow``; look-ups are loaded once.

    ``offices``: the offices the importing user may write for (None = all).
    """

    def __init__(self, *, offices=None, today: dt.date | None = None):
        self.office_ids = dict(Office.objects.values_list("code", "id"))
        self.allowed_office_ids = (
            None if offices is None else set(offices.values_list("id", flat=True))
        )
        self.procedure_ids = dict(Procedure.objects.values_list("code", "id"))
        self.officers = {
            c: (i, o) for c, i, o in Officer.objects.values_list("code", "id", "office_id")
        }
        self.today = today or timezone.localdate()
        self.tz = _local_tz()

    def _lookup(self, r: RowReader, column: str, table: dict, message):
        value = r.text(column)
        if value is None:
            return None
        found = table.get(value)
        if found is None:
            r.error(column, message, value=value)
        return found

    def _channel(self, r: RowReader):
        raw = r.raw("channel")
        if raw in _CHANNELS:
            return raw
        if isinstance(raw, str):
            key = " ".join(_unaccent(raw).casefold().split())
            if key in _CHANNEL_ALIASES:
                return _CHANNEL_ALIASES[key]
        return r.choice("channel", Channel)

    def __call__(self, r: RowReader) -> DossierRow | None:
        return self.fast(r) or self.full(r)

    def fast(self, r: RowReader) -> DossierRow | None:
        """Return the row when it is plain and valid, else None (then ``full`` decides).

        A speed-up for the common case of an export (~4× faster than
        ``full``): plain strings, known codes, the two usual date formats, no
        apology or officer. It accepts only rows ``full`` accepts, with the
        same result (a Hypothesis test compares both); anything else, every
        invalid row included, goes through ``full``, which words the errors.
        """
        v = r.row.values
        if r.errors or v.get("apology_issued_at") or v.get("officer"):
            return None
        try:
            code, office, procedure = v["code"], v["office"], v["procedure"]
            channel, status = v["channel"], _STATUS_TEXT.get(v["status"])
            received, due = v["received_at"], v["due_at"]
        except (KeyError, TypeError):
            return None
        if (
            code.__class__ is not str
            or not 0 < len(code) <= 64
            or code != code.strip()
            or channel.__class__ is not str
            or channel not in _CHANNELS
            or status is None
            or office.__class__ is not str
            or procedure.__class__ is not str
            or received.__class__ is not str
            or due.__class__ is not str
        ):
            return None
        office_id = self.office_ids.get(office)
        procedure_id = self.procedure_ids.get(procedure)
        if office_id is None or procedure_id is None:
            return None
        if self.allowed_office_ids is not None and office_id not in self.allowed_office_ids:
            return None
        tz = self.tz
        received_at = _fast_datetime(received, tz)
        due_at = _fast_datetime(due, tz)
        if received_at is None or due_at is None:
            return None
        stamps = []
        for column in ("finished_at", "returned_at"):
            value = v.get(column, "")
            if value == "":
                stamps.append(None)
                continue
            if value.__class__ is not str:
                return None
            stamp = _fast_datetime(value, tz)
            if stamp is None:
                return None
            stamps.append(stamp)
        counts = []
        for column in ("supplement_days", "supplement_requests"):
            value = v.get(column, "")
            if value == "":
                counts.append(0)
            elif value.__class__ is str and value.isascii() and value.isdigit() and len(value) < 5:
                counts.append(int(value))
            else:
                return None
        finished_at, returned_at = stamps
        self._check_consistency(
            r, status, received_at, due_at, finished_at, returned_at, counts[0], counts[1], None
        )
        if r.errors:
            r.errors.clear()
            return None
        row = DossierRow(
            number=r.number,
            code=code,
            office_id=office_id,
            procedure_id=procedure_id,
            channel=channel,
            status=status,
            received_at=received_at,
            due_at=due_at,
            finished_at=finished_at,
            returned_at=returned_at,
            supplement_days=counts[0],
            supplement_requests=counts[1],
            apology_issued_at=None,
            officer_id=None,
        )
        derive(row, tz)
        return row

    def full(self, r: RowReader) -> DossierRow | None:
        """Return the cleaned row, or None with every problem recorded on ``r``."""
        values = r.row.values
        for column in _DATETIME_COLUMNS:
            value = values.get(column)
            if value.__class__ is str and value:
                parsed = _fast_datetime(value, self.tz)
                if parsed is not None:
                    values[column] = parsed
        code = r.text("code", max_length=64)
        office_id = self._lookup(r, "office", self.office_ids, _UNKNOWN_OFFICE)
        if (
            office_id is not None
            and self.allowed_office_ids is not None
            and office_id not in self.allowed_office_ids
        ):
            r.error(
                "office", _("cơ quan '%(value)s' ngoài phạm vi được phép"), value=r.raw("office")
            )
        procedure_id = self._lookup(r, "procedure", self.procedure_ids, _UNKNOWN_PROCEDURE)
        channel = self._channel(r)
        status = r.integer("status", min_value=1, max_value=10)
        received_at = r.datetime("received_at")
        due_at = r.datetime("due_at")
        finished_at = r.datetime("finished_at", required=False)
        returned_at = r.datetime("returned_at", required=False)
        supplement_days = r.integer(
            "supplement_days", required=False, min_value=0, max_value=_SMALLINT_MAX, default=0
        )
        supplement_requests = r.integer(
            "supplement_requests", required=False, min_value=0, max_value=_SMALLINT_MAX, default=0
        )
        apology_issued_at = r.date("apology_issued_at", required=False)
        officer_id = None
        officer_code = r.text("officer", required=False, max_length=50, default="")
        if officer_code:
            officer = self.officers.get(officer_code)
            if officer is None:
                r.error("officer", _("không có cán bộ mã '%(value)s'"), value=officer_code)
            elif office_id is not None and officer[1] != office_id:
                r.error(
                    "officer",
                    _("cán bộ '%(value)s' không thuộc cơ quan của hồ sơ"),
                    value=officer_code,
                )
            else:
                officer_id = officer[0]
        if r.errors:
            return None
        self._check_consistency(
            r,
            status,
            received_at,
            due_at,
            finished_at,
            returned_at,
            supplement_days,
            supplement_requests,
            apology_issued_at,
        )
        if r.errors:
            return None
        row = DossierRow(
            number=r.number,
            code=code,
            office_id=office_id,
            procedure_id=procedure_id,
            channel=channel,
            status=status,
            received_at=received_at,
            due_at=due_at,
            finished_at=finished_at,
            returned_at=returned_at,
            supplement_days=supplement_days,
            supplement_requests=supplement_requests,
            apology_issued_at=apology_issued_at,
            officer_id=officer_id,
        )
        derive(row, self.tz)
        return row

    def _check_consistency(
        self,
        r,
        status,
        received_at,
        due_at,
        finished_at,
        returned_at,
        supplement_days,
        supplement_requests,
        apology_issued_at,
    ):
        tz = self.tz
        received_on = received_at.astimezone(tz).date()
        if received_on > self.today:
            r.error("received_at", _("ngày tiếp nhận ở tương lai"))
        if due_at.astimezone(tz).date() < received_on:
            r.error("due_at", _("ngày hẹn trả trước ngày tiếp nhận"))
        if finished_at is not None:
            finished_on = finished_at.astimezone(tz).date()
            if finished_on < received_on:
                r.error("finished_at", _("ngày có kết quả trước ngày tiếp nhận"))
            if finished_on > self.today:
                r.error("finished_at", _("ngày có kết quả ở tương lai"))
            if status in _OPEN_STATUSES:
                r.error(
                    "finished_at",
                    _("có ngày có kết quả nhưng trạng thái %(status)s là hồ sơ đang giải quyết"),
                    status=status,
                )
        elif status in _FINISHED_STATUSES:
            r.error("finished_at", _("trạng thái %(status)s cần ngày có kết quả"), status=status)
        if returned_at is not None:
            if finished_at is None:
                r.error("returned_at", _("có ngày trả kết quả nhưng chưa có ngày có kết quả"))
            elif returned_at < finished_at:
                r.error("returned_at", _("ngày trả kết quả trước ngày có kết quả"))
        if supplement_days and not supplement_requests:
            r.error(
                "supplement_days",
                _("có ngày chờ bổ sung nhưng số lần yêu cầu bổ sung là 0"),
            )
        if apology_issued_at is not None and apology_issued_at < received_on:
            r.error("apology_issued_at", _("ngày gửi thư xin lỗi trước ngày tiếp nhận"))


class DossierBatchCheck:
    """Errors that need more than one row: repeated codes, codes owned elsewhere.

    Call it on successive batches of cleaned rows (the file in order); it
    remembers the codes seen so far, so a code repeated anywhere in the file
    is rejected from its second occurrence. With ``offices`` (a limited
    scope), a code that already belongs to a dossier of an office outside it
    is rejected: one query per 2,000 codes.
    """

    def __init__(self, *, offices=None):
        self.first_row = {}
        self.allowed = None if offices is None else list(offices.values_list("id", flat=True))

    def __call__(self, rows: list[DossierRow]) -> list[RowError]:
        errors = []
        first_row = self.first_row
        for row in rows:
            first = first_row.setdefault(row.code, row.number)
            if first != row.number:
                errors.append(RowError(row.number, "code", _REPEATED_CODE, {"first": first}))
        if self.allowed is not None:
            numbers = {row.code: row.number for row in reversed(rows)}
            codes = list(numbers)
            for i in range(0, len(codes), 2000):
                taken = (
                    Dossier.objects.filter(code__in=codes[i : i + 2000])
                    .exclude(office_id__in=self.allowed)
                    .values_list("code", flat=True)
                )
                for code in taken:
                    errors.append(RowError(numbers[code], "code", _CODE_TAKEN, {"value": code}))
        return errors


def dossier_rows_check(rows: list[DossierRow], *, offices=None) -> list[RowError]:
    """Return the cross-row errors of one whole batch (see ``DossierBatchCheck``)."""
    return DossierBatchCheck(offices=offices)(rows)


@dataclass
class DossierImportReport(ImportReport):
    """``ImportReport`` plus the rows left as they were and whether it was a dry run."""

    total: int = 0
    unchanged: int = 0
    dry_run: bool = False
    rejected: bool = False  # invalid rows and no skip_invalid: nothing written
    error_rows: set = field(default_factory=set)

    def summary(self) -> str:
        if self.rejected:
            return bilingual(
                _(
                    "Không ghi dữ liệu nào: %(n)s lỗi trong %(rows)s dòng "
                    "(trên tổng %(total)s dòng)."
                ),
                n=len(self.errors),
                rows=len({e.row for e in self.errors}),
                total=self.total,
            )
        message = (
            _(
                "Chạy thử, không ghi: sẽ thêm %(created)s, cập nhật %(updated)s, giữ nguyên "
                "%(unchanged)s, bỏ qua %(skipped)s dòng lỗi."
            )
            if self.dry_run
            else _(
                "Đã thêm %(created)s, cập nhật %(updated)s, giữ nguyên %(unchanged)s, "
                "bỏ qua %(skipped)s dòng lỗi."
            )
        )
        return bilingual(
            message,
            created=self.created,
            updated=self.updated,
            unchanged=self.unchanged,
            skipped=self.skipped,
        )


# --- writers ---------------------------------------------------------------

SOURCE_FIELDS = (
    "office_id",
    "procedure_id",
    "channel",
    "status",
    "received_at",
    "due_at",
    "finished_at",
    "returned_at",
    "supplement_days",
    "supplement_requests",
    "apology_issued_at",
    "officer_id",
)
DERIVED_FIELDS = ("received_on", "due_on", "finished_on", "outcome")
KEEP_WHEN_EMPTY = ("apology_issued_at", "officer_id")


def rows_write(rows: list[DossierRow], *, conn=None) -> tuple[int, int, int]:
    """Upsert ``rows`` by code; return (created, updated, unchanged). Run inside a transaction.

    ``conn``: the connection wrapper to use (another thread's, shared for a
    streaming import); the current thread's default connection otherwise.
    """
    conn = conn or connection
    if not rows:
        return 0, 0, 0
    if conn.vendor == "postgresql":
        return _write_postgresql(rows, conn)
    return _write_orm(rows)


def _write_orm(rows: list[DossierRow], chunk: int = 2000) -> tuple[int, int, int]:
    created = updated = unchanged = 0
    now = timezone.now()
    for start in range(0, len(rows), chunk):
        batch = rows[start : start + chunk]
        existing = {
            d.code: d
            for d in Dossier.objects.filter(code__in=[r.code for r in batch]).only(
                "id", "code", *SOURCE_FIELDS
            )
        }
        new, changed = [], []
        for row in batch:
            values = {f: getattr(row, f) for f in SOURCE_FIELDS}
            current = existing.get(row.code)
            if current is None:
                dossier = Dossier(code=row.code, **values)
                dossier.refresh_derived()
                new.append(dossier)
                continue
            for name in KEEP_WHEN_EMPTY:
                if values[name] is None:
                    values[name] = getattr(current, name)
            if all(getattr(current, f) == v for f, v in values.items()):
                unchanged += 1
                continue
            for name, value in values.items():
                setattr(current, name, value)
            current.refresh_derived()
            current.updated_at = now
            changed.append(current)
        Dossier.objects.bulk_create(new)
        Dossier.objects.bulk_update(
            changed, [*SOURCE_FIELDS, *DERIVED_FIELDS, "updated_at"], batch_size=500
        )
        created += len(new)
        updated += len(changed)
    return created, updated, unchanged


_STAGE = "dossier_import_stage"
_STAGE_COLUMNS = ("code", *SOURCE_FIELDS, *DERIVED_FIELDS)
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(rows: list[DossierRow]) -> io.StringIO:
    out = io.StringIO()
    write = out.write
    for r in rows:
        write(
            "\t".join(
                (
                    r.code.translate(_COPY_ESCAPES),
                    str(r.office_id),
                    str(r.procedure_id),
                    r.channel,
                    str(r.status),
                    r.received_at.isoformat(),
                    r.due_at.isoformat(),
                    r.finished_at.isoformat() if r.finished_at else "\\N",
                    r.returned_at.isoformat() if r.returned_at else "\\N",
                    str(r.supplement_days),
                    str(r.supplement_requests),
                    r.apology_issued_at.isoformat() if r.apology_issued_at else "\\N",
                    str(r.officer_id) if r.officer_id else "\\N",
                    r.received_on.isoformat(),
                    r.due_on.isoformat(),
                    r.finished_on.isoformat() if r.finished_on else "\\N",
                    r.outcome,
                )
            )
        )
        write("\n")
    out.seek(0)
    return out


def _write_postgresql(rows: list[DossierRow], conn, chunk: int = 50_000) -> tuple[int, int, int]:
    table = conn.ops.quote_name(Dossier._meta.db_table)
    with conn.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_STAGE}")
        cursor.execute(
            f"""CREATE TEMP TABLE {_STAGE} (
                code varchar(64) NOT NULL, office_id bigint NOT NULL,
                procedure_id bigint NOT NULL, channel varchar(10) NOT NULL,
                status smallint NOT NULL, received_at timestamptz NOT NULL,
                due_at timestamptz NOT NULL, finished_at timestamptz,
                returned_at timestamptz, supplement_days smallint NOT NULL,
                supplement_requests smallint NOT NULL, apology_issued_at date,
                officer_id bigint, received_on date, due_on date, finished_on date,
                outcome varchar(8) NOT NULL
            ) ON COMMIT DROP"""
        )
        for start in range(0, len(rows), chunk):
            cursor.copy_expert(
                f"COPY {_STAGE} ({', '.join(_STAGE_COLUMNS)}) FROM STDIN",
                _copy_text(rows[start : start + chunk]),
            )
        cursor.execute(f"SELECT count(*) FROM {_STAGE} s JOIN {table} d ON d.code = s.code")
        existing = cursor.fetchone()[0]

        def incoming(name):
            if name in KEEP_WHEN_EMPTY:
                return f"COALESCE(EXCLUDED.{name}, d.{name})"
            return f"EXCLUDED.{name}"

        assignments = ", ".join(
            f"{name} = {incoming(name)}" for name in (*SOURCE_FIELDS, *DERIVED_FIELDS)
        )
        current = ", ".join(f"d.{name}" for name in SOURCE_FIELDS)
        proposed = ", ".join(incoming(name) for name in SOURCE_FIELDS)
        columns = ", ".join(_STAGE_COLUMNS)
        cursor.execute(
            f"""INSERT INTO {table} AS d ({columns}, apology_reason, created_at, updated_at)
                SELECT {columns}, '', %s, %s FROM {_STAGE}
                ON CONFLICT (code) DO UPDATE SET {assignments}, updated_at = EXCLUDED.updated_at
                WHERE ({current}) IS DISTINCT FROM ({proposed})""",
            [timezone.now(), timezone.now()],
        )
        written = cursor.rowcount
        cursor.execute(f"DROP TABLE {_STAGE}")
    created = len(rows) - existing
    updated = written - created
    return created, updated, existing - updated
