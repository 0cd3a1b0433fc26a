"""Import dossiers from an export of the one-stop electronic system (CSV or XLSX).

    python manage.py import_dossiers PATH [--dry-run] [--skip-invalid]

Upsert by dossier code; see docs/IMPORT.md for the columns.
"""

import time

from django.core.management.base import CommandError

from offices.importing import ImportFileError
from offices.management.commands._import_command import ImportCommand
from offices.services import dossiers_import


class Command(ImportCommand):
    help = (
        "Nhập hồ sơ từ tệp CSV/XLSX của hệ thống một cửa điện tử, cập nhật theo mã hồ sơ / "
        "Import dossiers from a one-stop system export, upserting by code (docs/IMPORT.md)."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Kiểm tra và đếm, không ghi / check and count, write nothing",
        )

    def run_importer(self, **kwargs):
        return dossiers_import(**kwargs)

    def handle(self, *args, path, skip_invalid, dry_run, **options):
        started = time.perf_counter()
        try:
            report = self.run_importer(
                source=path, skip_invalid=skip_invalid, dry_run=dry_run, stream=True
            )
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        for line in report.error_lines():
            self.stderr.write(line)
        summary = f"{report.summary()} [{report.total} rows, {time.perf_counter() - started:.1f} s]"
        if report.rejected:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))
