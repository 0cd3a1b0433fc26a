"""Writes to dossiers: import (file, upload job, API) and apology letters."""

import datetime as dt
import gc
from collections.abc import Callable, Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from offices.dossier_import import (
    COLUMNS,
    DossierCleaner,
    DossierImportReport,
    dossier_rows_check,
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


def dossiers_import(
    *,
    source=None,
    table: Table | None = None,
    name: str | None = None,
    offices=None,
    skip_invalid: bool = False,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
    before_write: Callable[[], None] | None = None,
) -> DossierImportReport:
    """Validate and upsert dossiers from a CSV/XLSX ``source`` or a ``table``; return the report.

    ``offices``: the offices the caller may write for (None = every office).
    Any invalid row means nothing is written unless ``skip_invalid``; then
    only the valid rows are. ``dry_run`` does everything, reports the counts
    and rolls back. ``progress(done, total)`` is called per 5,000 rows cleaned
    (outside any transaction, so another process can read the progress).
    Raises ``ImportFileError`` when the file itself is unusable.
    """
    if table is None:
        table = read_table(source, columns=COLUMNS, name=name)
    cleaner = DossierCleaner(offices=offices)
    total = len(table.rows)
    report = DossierImportReport(total=total, dry_run=dry_run)
    cleaned, errors = [], []
    # A million rows make millions of small objects that all survive: the
    # cyclic GC would rescan them again and again (~40 % of the time).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for start in range(0, total, CHUNK):
            part = Table(headers=table.headers, rows=table.rows[start : start + CHUNK])
            rows, row_errors = clean_table(part, cleaner)
            cleaned.extend(r.data for r in rows)
            errors.extend(row_errors)
            if progress is not None:
                progress(min(start + CHUNK, total), total)
    finally:
        if gc_was_enabled:
            gc.enable()
    errors.extend(dossier_rows_check(cleaned, offices=offices))
    bad = {e.row for e in errors}
    if bad:
        cleaned = [r for r in cleaned if r.number not in bad]
    report.errors = sorted(errors, key=lambda e: (e.row, e.column))
    report.error_rows = bad
    if errors and not skip_invalid:
        report.rejected = True
        return report
    report.skipped = len(bad)
    if before_write is not None:
        before_write()
    with transaction.atomic():
        report.created, report.updated, report.unchanged = rows_write(cleaned)
        if dry_run:
            transaction.set_rollback(True)
    report.written = not dry_run
    return report


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
