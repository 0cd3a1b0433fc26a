from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def ensure_response_triggers(using="default", **kwargs):
    """Re-create the response queue triggers after ``migrate`` (SQLite drops them with a
    table rebuild); idempotent, and a no-op before their tables exist."""
    from reports import triggers

    triggers.install(connections[using])


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Báo cáo, thống kê")

    def ready(self):
        from portal.beat import ensure_default_schedule

        # After migrate, create the default beat entries that are missing.
        post_migrate.connect(
            ensure_default_schedule, sender=self, dispatch_uid="portal-beat-defaults"
        )
        post_migrate.connect(
            ensure_response_triggers, sender=self, dispatch_uid="reports-response-triggers"
        )
