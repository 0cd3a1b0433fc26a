"""Import offices from CSV/XLSX: code,name,kind,unit_level,unit_code,parent_office."""

from offices.imports import offices_import
from offices.management.commands._import_command import ImportCommand
from offices.models import UnitSet


class Command(ImportCommand):
    help = (
        "Nhập cơ quan một cửa (cột code,name,kind,unit_level,unit_code,parent_office). "
        "/ Import offices; upsert by code; all or nothing unless --skip-invalid."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--unit-set",
            default=UnitSet.Y2025,
            choices=UnitSet.values,
            help="Bộ đơn vị để tra unit_code (mặc định 2025) / unit set to look units up in",
        )

    def run_importer(self, *, source, skip_invalid, unit_set, **options):
        return offices_import(source=source, unit_set=unit_set, skip_invalid=skip_invalid)
