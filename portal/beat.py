"""The periodic tasks and their default schedule, in one place.

``DEFAULT_SCHEDULE`` is written into django-celery-beat's tables after every
``migrate`` (``ensure_default_schedule``, connected to ``post_migrate``) when
a task of that name is missing, so admins can edit or disable the entries in
the admin and their changes are never overwritten.
"""

DEFAULT_SCHEDULE = {
    "stats: refresh touched days": {
        "task": "reports.tasks.stats_refresh_touched",
        "every_seconds": 120,
    },
    "stats: nightly re-check of the last 60 days": {
        "task": "reports.tasks.stats_refresh_recent",
        "crontab": {"minute": "15", "hour": "2"},
    },
    "surveys: check new responses and open follow-ups": {
        "task": "surveys.tasks.responses_check_pending",
        "every_seconds": 60,
    },
    "surveys: escalate overdue follow-ups": {
        "task": "surveys.tasks.followups_escalate",
        "crontab": {"minute": "7"},
    },
    "reports: negative rating alerts": {
        "task": "reports.tasks_alerts.alerts_negative_check",
        "every_seconds": 600,
    },
    "reports: silent offices and kiosks": {
        "task": "reports.tasks_alerts.alerts_silent_check",
        "crontab": {"minute": "30", "hour": "7", "day_of_week": "1-5"},
    },
    "reports: weekly digest": {
        "task": "reports.tasks_alerts.digests_weekly_send",
        "crontab": {"minute": "0", "hour": "7", "day_of_week": "1"},
    },
}


def ensure_default_schedule(**kwargs):
    """Create the missing PeriodicTask rows of ``DEFAULT_SCHEDULE``; leave existing ones alone."""
    from django.db import connections
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    connection = connections[kwargs.get("using") or "default"]
    if PeriodicTask._meta.db_table not in connection.introspection.table_names():
        return  # a partial migrate (one app, or back to an old state): the next full one does it
    for name, spec in DEFAULT_SCHEDULE.items():
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        fields = {"task": spec["task"]}
        if "every_seconds" in spec:
            interval, _ = IntervalSchedule.objects.get_or_create(
                every=spec["every_seconds"], period=IntervalSchedule.SECONDS
            )
            fields["interval"] = interval
        else:
            cron = spec["crontab"]
            crontab, _ = CrontabSchedule.objects.get_or_create(
                minute=cron.get("minute", "*"),
                hour=cron.get("hour", "*"),
                day_of_week=cron.get("day_of_week", "*"),
                day_of_month=cron.get("day_of_month", "*"),
                month_of_year=cron.get("month_of_year", "*"),
                timezone="Asia/Ho_Chi_Minh",
            )
            fields["crontab"] = crontab
        PeriodicTask.objects.create(name=name, **fields)
