"""Load the 2024 or 2025 administrative units (and the 2025 commune mapping)."""

import time

from django.core.management.base import BaseCommand, CommandError

from offices.models import UnitSet
from offices.services_units import UnitLoadError, units_load


class Command(BaseCommand):
    help = (
        "Nạp đơn vị hành chính bộ 2024 (3 cấp) hoặc 2025 (2 cấp) từ offices/data; "
        "chạy lại an toàn. / Load the 2024 (3-tier) or 2025 (2-tier) administrative "
        "units from offices/data; safe to re-run. Load 2024 before 2025 to get the "
        "old→new commune mapping."
    )

    def add_arguments(self, parser):
        parser.add_argument("--set", dest="unit_set", required=True, choices=UnitSet.values)
        parser.add_argument(
            "--province", help="Chỉ nạp tỉnh có mã này và các đơn vị trực thuộc / one province only"
        )
        parser.add_argument("--data-dir", help="Thư mục chứa các tệp CSV / folder of the CSV files")

    def handle(self, *args, unit_set, province, data_dir, **options):
        started = time.monotonic()
        try:
            result = units_load(unit_set=unit_set, province=province, data_dir=data_dir)
        except UnitLoadError as exc:
            raise CommandError(str(exc)) from exc
        counts = ", ".join(f"{level}: {n}" for level, n in result.counts.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"Bộ {result.unit_set} / set {result.unit_set}: {counts} "
                f"({time.monotonic() - started:.1f} s)"
            )
        )
        if result.unit_set == UnitSet.Y2025 and not result.warnings:
            line = f"Chuyển đổi xã / commune changes: {result.changes}"
            if result.changes_skipped:
                line += (
                    f" (bỏ qua / skipped {result.changes_skipped}: "
                    "xã cũ không có trong bộ 2024 / old commune not in the 2024 set)"
                )
            self.stdout.write(line)
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(warning))
