from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Báo cáo, thống kê")

    def ready(self):
        from portal.beat import ensure_default_schedule

        # After migrate, create the default beat entries that are missing.
        post_migrate.connect(
            ensure_default_schedule, sender=self, dispatch_uid="portal-beat-defaults"
        )
