"""Import procedures from CSV/XLSX: code,name,field,level,legal_days,day_kind,fee,offices."""

from offices.imports import procedures_import
from offices.management.commands._import_command import ImportCommand


class Command(ImportCommand):
    help = (
        "Nhập thủ tục hành chính (cột code,name,field,level,legal_days,day_kind,fee,offices; "
        "offices cách nhau bởi ';'). / Import procedures; upsert by code; all or nothing "
        "unless --skip-invalid."
    )

    def run_importer(self, *, source, skip_invalid, **options):
        return procedures_import(source=source, skip_invalid=skip_invalid)
