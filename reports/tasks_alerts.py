"""Celery tasks for alerts and digests (scheduled from ``portal.beat``); thin, safe to rerun."""

from celery import shared_task
from django.db import OperationalError

from reports import alerts


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def alerts_negative_check():
    """E-mail office staff about a burst of negative ratings in the last window."""
    return alerts.negative_alerts_send()


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def alerts_silent_check():
    """Warn about offices and kiosks that sent no rating for N working days."""
    return alerts.silent_alerts_send()


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def digests_weekly_send():
    """E-mail every official last week's figures of their unit."""
    return alerts.weekly_digests_send()
