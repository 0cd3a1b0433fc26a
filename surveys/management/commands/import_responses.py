"""Import tallied paper or legacy responses from CSV/XLSX."""

from offices.management.commands._import_command import ImportCommand
from surveys.services import responses_import


class Command(ImportCommand):
    help = (
        "Nhập phiếu đánh giá giấy hoặc từ hệ thống cũ (cột client_id,office,procedure,dossier,"
        "channel,submitted_at,questionnaire rồi mỗi mã câu hỏi một cột; thang điểm ghi số mức). "
        "/ Import paper or legacy responses: one column per question code, scale answers as "
        "level numbers; every answer validated; all or nothing unless --skip-invalid."
    )

    def run_importer(self, *, source, skip_invalid, **options):
        return responses_import(source=source, skip_invalid=skip_invalid)
