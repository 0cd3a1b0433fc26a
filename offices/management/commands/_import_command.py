"""The shared body of the catalogue import commands."""

from django.core.management.base import BaseCommand, CommandError

from offices.importing import ImportFileError


class ImportCommand(BaseCommand):
    """Run an importer on PATH and print its report; exit non-zero when nothing was written."""

    def add_arguments(self, parser):
        parser.add_argument("path", help="Tệp CSV (UTF-8) hoặc XLSX / CSV (UTF-8) or XLSX file")
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Ghi các dòng hợp lệ, bỏ qua dòng lỗi / write valid rows, skip bad ones",
        )

    def run_importer(self, **kwargs):
        raise NotImplementedError

    def handle(self, *args, path, skip_invalid, **options):
        try:
            report = self.run_importer(source=path, skip_invalid=skip_invalid, **options)
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        for line in report.error_lines():
            self.stderr.write(line)
        if not report.written:
            raise CommandError(report.summary())
        self.stdout.write(self.style.SUCCESS(report.summary()))
