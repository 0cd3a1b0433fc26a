"""``manage.py stats_refresh [--from D] [--to D] [--full]``: rebuild statistics roll-ups."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from reports.services import stats_refresh


def _date(value):
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Ngày không hợp lệ / invalid date: {value!r} (YYYY-MM-DD)") from exc


class Command(BaseCommand):
    help = (
        "Tổng hợp lại số liệu thống kê: các ngày có thay đổi (mặc định), một khoảng ngày, "
        "hoặc toàn bộ (--full). / Rebuild statistics roll-ups."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", type=_date, help="YYYY-MM-DD")
        parser.add_argument("--to", dest="end", type=_date, help="YYYY-MM-DD")
        parser.add_argument("--full", action="store_true", help="all days / toàn bộ")

    def handle(self, *args, start=None, end=None, full=False, **options):
        if full and (start or end):
            raise CommandError("--full không dùng cùng --from/--to / --full excludes --from/--to")
        if start and end and end < start:
            raise CommandError(f"--to {end} trước --from {start} / --to is before --from")
        summary = stats_refresh(start=start, end=end, full=full)
        self.stdout.write(
            f"{summary['mode']}: {summary['blocks']} block(s), "
            f"{summary['new_responses']} new response(s), {summary['rows']} row(s), "
            f"{summary['seconds']} s"
        )
