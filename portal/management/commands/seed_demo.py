"""Seed a realistic, deterministic demo: Quảng Bình province, its offices and users.

Safe to run again: every step upserts by stable codes. Each app adds one step
to ``STEPS`` (in order); a step takes the shared ``context`` and returns a
short line for the progress output.
"""

import random
import time

from django.core.management.base import BaseCommand

from offices.demo import DEFAULT_PASSWORD, demo_catalogue_seed


def step_catalogue(context):
    """Units of province 44, offices, procedures, officers, holidays, demo users."""
    catalogue = demo_catalogue_seed(rng=context["rng"], password=context["password"])
    context["catalogue"] = catalogue
    return (
        f"{len(catalogue.offices)} cơ quan / offices, {len(catalogue.procedures)} thủ tục / "
        f"procedures, {len(catalogue.users)} tài khoản / users"
    )


def step_dossiers(context):
    """Twelve months of dossiers for every demo office (offices.demo_dossiers)."""
    from offices.demo_dossiers import demo_dossiers_seed

    count = demo_dossiers_seed(offices=context["catalogue"].offices, seed=context["seed"])
    return f"{count} hồ sơ / dossiers"


def step_responses(context):
    """Responses for 55–90 % of each office's finished dossiers, follow-ups (surveys.demo)."""
    from surveys.demo import demo_responses_seed

    result = demo_responses_seed(rng=context["rng"], offices=context["catalogue"].offices)
    return (
        f"{result.responses} phiếu / responses, {result.answers} câu trả lời / answers, "
        f"{result.follow_ups} phản ánh / complaints"
    )


def step_stats(context):
    """A full statistics refresh, so dashboards have figures at once (reports.services)."""
    from reports.services import stats_refresh

    summary = stats_refresh(full=True)
    return f"{summary['rows']} dòng tổng hợp / roll-up rows"


def _demo_has_dossiers(catalogue):
    from offices.models import Dossier

    return Dossier.objects.filter(office=catalogue.centre).exists()


# The order matters: each step may use what the steps before it put in ``context``.
STEPS = [
    ("Danh mục (đơn vị, cơ quan, thủ tục, người dùng) / catalogue", step_catalogue),
    ("Hồ sơ 12 tháng / dossiers, 12 months", step_dossiers),
    ("Phiếu đánh giá, phản ánh / survey responses, complaints", step_responses),
    ("Tổng hợp số liệu thống kê / statistics roll-ups", step_stats),
]


class Command(BaseCommand):
    help = (
        "Tạo dữ liệu mẫu tỉnh Quảng Bình (chạy lại an toàn). / Seed the Quảng Bình demo "
        "data (deterministic, safe to re-run)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help=f"Mật khẩu các tài khoản demo / demo users' password (default {DEFAULT_PASSWORD})",
        )
        parser.add_argument("--seed", type=int, default=2025, help="Hạt giống ngẫu nhiên / seed")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help=(
                "Chỉ tạo hồ sơ, phiếu đánh giá khi chưa có (dùng cho `make run`) / seed dossiers "
                "and responses only when the demo has none yet (used by `make run`)"
            ),
        )

    def handle(self, *args, password, seed, if_empty=False, **options):
        context = {"rng": random.Random(seed), "password": password, "seed": seed}
        started = time.monotonic()
        already_seeded = None  # decided once, after the catalogue step
        for number, (title, step) in enumerate(STEPS, start=1):
            if number > 1 and already_seeded is None:
                already_seeded = if_empty and _demo_has_dossiers(context["catalogue"])
            if number > 1 and already_seeded:
                self.stdout.write(
                    f"[{number}/{len(STEPS)}] {title}: đã có, bỏ qua / already seeded, skipped"
                )
                continue
            step_started = time.monotonic()
            self.stdout.write(f"[{number}/{len(STEPS)}] {title} …")
            summary = step(context)
            self.stdout.write(f"    {summary} ({time.monotonic() - step_started:.1f} s)")
        users = ", ".join(context["catalogue"].users)
        self.stdout.write(
            self.style.SUCCESS(
                f"Xong / done ({time.monotonic() - started:.1f} s). Tài khoản / users: {users}; "
                f"mật khẩu / password: {password}"
            )
        )
