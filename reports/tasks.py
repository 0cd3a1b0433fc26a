"""Celery tasks that keep the roll-ups fresh (scheduled from ``portal.beat``)."""

import datetime

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from reports.services import stats_refresh

RECHECK_DAYS = 60


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def stats_refresh_touched():
    """Refresh the (office, day) roll-ups touched since the previous run."""
    return stats_refresh()


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def stats_refresh_recent(days: int = RECHECK_DAYS):
    """Re-check the last ``days`` days (catches deleted rows and moved dates)."""
    today = timezone.localdate()
    return stats_refresh(start=today - datetime.timedelta(days=days), end=None)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def stats_refresh_range(start: str | None = None, end: str | None = None, full: bool = False):
    """Refresh [start, end] (ISO dates) or everything; queued by admins or imports."""
    return stats_refresh(
        start=datetime.date.fromisoformat(start) if start else None,
        end=datetime.date.fromisoformat(end) if end else None,
        full=full,
    )


# Alert and digest tasks live in their own module; import it so autodiscovery registers them.
from reports import tasks_alerts  # noqa: E402, F401
