"""Writes to dossiers: import (file, upload job, API) and apology letters."""

import datetime as dt
import gc
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

from django.db import connections, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from offices.dossier_import import (
    COLUMNS,
    DossierBatchCheck,
    DossierCleaner,
    DossierImportReport,
    rows_write,
)
from offices.importing import (
    ImportFileError,
    Table,
    TableRow,
    bilingual,
    clean_table,
    read_table,
    render,
)
from offices.models import Dossier, DossierImportJob

CHUNK = 5000


class DossierError(Exception):
    """A dossier action that cannot be done, with a message for the person who asked."""


def dossier_table_from_records(records: Iterable[dict]) -> Table:
    """Return API records (dicts keyed by canonical column) as a ``Table`` numbered from 1.

    Unknown keys make ``Columns.map`` raise ``ImportFileError``, as a file would.
    """
    records = list(records)
    keys = []
    for record in records:
        for key in record:
            if key not in keys:
                keys.append(key)
    COLUMNS.map(keys)
    rows = [
        TableRow(number=i, values={k: ("" if v is None else v) for k, v in record.items()})
        for i, record in enumerate(records, start=1)
    ]
    return Table(headers=keys, rows=rows)


def _clean_batches(table: Table, cleaner, check, size: int):
    """Yield (valid rows, errors) per ``size`` rows of ``table``, cross-row checks included."""
    for start in range(0, len(table.rows), size):
        part = Table(headers=table.headers, rows=table.rows[start : start + size])
        rows, errors = clean_table(part, cleaner)
        valid = [r.data for r in rows]
        errors.extend(check(valid))
        if errors:
            bad = {e.row for e in errors}
            valid = [r for r in valid if r.number not in bad]
        yield min(start + size, len(table.rows)), valid, errors


def dossiers_import(
    *,
    source=None,
    table: Table | None = None,
    name: str | None = None,
    offices=None,
    skip_invalid: bool = False,
    dry_run: bool = False,
    stream: bool = False,
    progress: Callable[[int, int], None] | None = None,
    before_write: Callable[[], None] | None = None,
) -> DossierImportReport:
    """Validate and upsert dossiers from a CSV/XLSX ``source`` or a ``table``; return the report.

    ``offices``: the offices the caller may write for (None = every office).
    Any invalid row means nothing is written unless ``skip_invalid``; then
    only the valid rows are. ``dry_run`` does everything, reports the counts
    and rolls back. Raises ``ImportFileError`` when the file itself is unusable.

    By default every row is checked first (``progress(done, total)`` is called
    per 5,000 rows, outside any transaction so another process can read it),
    then the valid rows are written in one transaction. With ``stream`` (on
    PostgreSQL) batches of 50,000 rows are written by a second thread inside
    the one transaction while the next batch is checked, so the database
    works while Python parses; an invalid row stops the writing and the
    transaction is rolled back at the end. Same rows, same errors, same result.
    """
    if table is None:
        table = read_table(source, columns=COLUMNS, name=name)
    cleaner = DossierCleaner(offices=offices)
    check = DossierBatchCheck(offices=offices)
    report = DossierImportReport(total=len(table.rows), dry_run=dry_run)
    conn = connections["default"]
    # A million rows make millions of small objects that all survive: the
    # cyclic GC would rescan them again and again (~40 % of the time).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        if stream and conn.vendor == "postgresql":
            errors = _import_streaming(table, cleaner, check, report, conn, skip_invalid, dry_run)
        else:
            errors = _import_checked_first(
                table, cleaner, check, report, skip_invalid, dry_run, progress, before_write
            )
    finally:
        if gc_was_enabled:
            gc.enable()
    report.errors = sorted(errors, key=lambda e: (e.row, e.column))
    report.error_rows = {e.row for e in errors}
    if errors and not skip_invalid:
        report.rejected = True
        report.created = report.updated = report.unchanged = 0
        report.written = False
    else:
        report.skipped = len(report.error_rows)
        report.written = not dry_run
    return report


def _import_checked_first(table, cleaner, check, report, skip_invalid, dry_run, progress, before):
    cleaned, errors = [], []
    for done, valid, batch_errors in _clean_batches(table, cleaner, check, CHUNK):
        cleaned.extend(valid)
        errors.extend(batch_errors)
        if progress is not None:
            progress(done, report.total)
    if errors and not skip_invalid:
        return errors
    if before is not None:
        before()
    with transaction.atomic():
        report.created, report.updated, report.unchanged = rows_write(cleaned)
        if dry_run:
            transaction.set_rollback(True)
    return errors


def _import_streaming(table, cleaner, check, report, conn, skip_invalid, dry_run):
    errors = []
    counts = [0, 0, 0]

    def write(rows):
        for i, n in enumerate(rows_write(rows, conn=conn)):
            counts[i] += n

    with transaction.atomic():
        conn.inc_thread_sharing()
        try:
            with ThreadPoolExecutor(max_workers=1) as pool:
                pending = None
                for _done, valid, batch_errors in _clean_batches(table, cleaner, check, 50_000):
                    errors.extend(batch_errors)
                    if pending is not None:
                        pending.result()
                        pending = None
                    if errors and not skip_invalid:
                        continue  # keep checking to report every error; write no more
                    pending = pool.submit(write, valid)
                if pending is not None:
                    pending.result()
        finally:
            conn.dec_thread_sharing()
        if dry_run or (errors and not skip_invalid):
            transaction.set_rollback(True)
    report.created, report.updated, report.unchanged = counts
    return errors


def dossier_upsert(*, data: dict, offices=None) -> Dossier:
    """Create or update one dossier from API-style ``data``; return it.

    Raises ``DossierError`` listing every problem of the row.
    """
    try:
        table = dossier_table_from_records([data])
    except ImportFileError as exc:
        raise DossierError(str(exc)) from exc
    report = dossiers_import(table=table, offices=offices)
    if report.errors:
        raise DossierError("; ".join(str(e) for e in report.errors))
    return Dossier.objects.get(code=str(data["code"]).strip())


def dossier_apology_issue(
    *, dossier: Dossier, reason: str, new_due_on: dt.date, issued_on: dt.date | None = None
) -> Dossier:
    """Record the apology letter (form 04) of a late dossier; return it.

    Raises ``DossierError`` when the dossier is not late, the reason is empty
    or the new return date is before today's letter.
    """
    issued_on = issued_on or timezone.localdate()
    if dossier.timeliness(issued_on) not in ("late", "overdue"):
        raise DossierError(_("Hồ sơ không trễ hạn, không cần thư xin lỗi."))
    if not reason.strip():
        raise DossierError(_("Cần ghi lý do trễ hạn."))
    if new_due_on < issued_on:
        raise DossierError(_("Ngày hẹn trả mới không được trước ngày gửi thư."))
    with transaction.atomic():
        locked = Dossier.objects.select_for_update().get(pk=dossier.pk)
        locked.apology_reason = reason.strip()
        locked.apology_new_due_at = new_due_on
        locked.apology_issued_at = issued_on
        locked.save(update_fields=["apology_reason", "apology_new_due_at", "apology_issued_at"])
    return locked


# --- upload jobs -------------------------------------------------------------

MAX_STORED_ERRORS = 20_000


def _job_fail(job: DossierImportJob, message: str) -> None:
    job.status = DossierImportJob.Status.FAILED
    job.message = message
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "message", "finished_at"])


def dossier_import_job_run(*, job_id: int) -> DossierImportJob | None:
    """Run the import of an uploaded file; return the job, or None if another worker has it.

    Claims the job with a conditional update (safe to run twice), records
    progress while rows are checked, then writes in one transaction.
    """
    claimed = DossierImportJob.objects.filter(
        pk=job_id, status=DossierImportJob.Status.PENDING
    ).update(status=DossierImportJob.Status.CHECKING)
    if claimed != 1:
        return None
    job = DossierImportJob.objects.select_related("office").get(pk=job_id)
    offices = None
    if job.office_id is not None:
        offices = type(job.office).objects.filter(pk=job.office_id)

    def progress(done, total):
        DossierImportJob.objects.filter(pk=job_id).update(done=done, total=total)

    def before_write():
        DossierImportJob.objects.filter(pk=job_id).update(status=DossierImportJob.Status.WRITING)

    try:
        with job.file.open("rb") as fh:
            data = fh.read()
        report = dossiers_import(
            source=data,
            name=job.original_name,
            offices=offices,
            skip_invalid=job.skip_invalid,
            progress=progress,
            before_write=before_write,
        )
    except ImportFileError as exc:
        _job_fail(job, str(exc))
        return job
    except Exception:
        # Leave no job "checking" forever; the traceback goes to the worker log.
        _job_fail(job, bilingual(_("Lỗi hệ thống khi nhập tệp, hãy báo quản trị.")))
        raise
    job.refresh_from_db(fields=["total", "done"])
    job.total = job.done = report.total
    job.created_count = report.created
    job.updated_count = report.updated
    job.unchanged_count = report.unchanged
    job.invalid_count = len(report.error_rows)
    job.errors = [
        {
            "row": e.row,
            "column": e.column,
            "message": render(e.message, e.params, lang="vi"),
            "message_en": render(e.message, e.params, lang="en"),
        }
        for e in report.errors[:MAX_STORED_ERRORS]
    ]
    job.status = (
        DossierImportJob.Status.DONE if report.written else DossierImportJob.Status.REJECTED
    )
    job.message = report.summary()
    job.finished_at = timezone.now()
    job.save()
    return job
