"""Alerts and digests: a burst of negative ratings, offices or kiosks gone silent, and the
weekly digest per unit. Sent by Celery (``reports.tasks_alerts``) in each recipient's language.

Each send is claimed first by inserting an ``AlertLog`` row whose unique key
(kind, subject, window) stops a second send for the same window, whether the
task runs twice or two workers run it at once.
"""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from offices.models import Office, Profile, Role
from offices.selectors import working_day_add
from reports.models import AlertKind, AlertLog
from reports.selectors import offices_in_unit, stats_compute, stats_grouped
from surveys.models import Answer, KioskDevice, Response

logger = logging.getLogger(__name__)
SILENT_LOOKBACK_DAYS = 90


@dataclass(frozen=True)
class Recipient:
    email: str
    language: str
    name: str


def _recipients(profiles):
    return [
        Recipient(
            email=p.user.email,
            language=p.language or settings.LANGUAGE_CODE,
            name=p.user.get_full_name() or p.user.username,
        )
        for p in profiles.select_related("user")
        .filter(user__is_active=True)
        .exclude(user__email="")
    ]


def office_staff(office_id):
    """Return the office's staff who have an e-mail address."""
    return _recipients(Profile.objects.filter(role=Role.OFFICE_STAFF, office_id=office_id))


def unit_officials(unit_id):
    """Return the officials of exactly this unit who have an e-mail address."""
    return _recipients(Profile.objects.filter(role=Role.OFFICIAL, unit_id=unit_id))


def email_send(*, template, recipients, context):
    """Send ``emails/<template>-subject.txt`` / ``-body.txt`` / ``-body.html`` to each
    recipient, rendered in the recipient's language. Return how many were sent."""
    sent = 0
    for recipient in recipients:
        with translation.override(recipient.language):
            ctx = {**context, "recipient": recipient, "site_url": settings.SITE_URL}
            subject = " ".join(render_to_string(f"emails/{template}-subject.txt", ctx).split())
            text = render_to_string(f"emails/{template}-body.txt", ctx)
            html = render_to_string(f"emails/{template}-body.html", ctx)
        message = EmailMultiAlternatives(
            subject, text, settings.DEFAULT_FROM_EMAIL, [recipient.email]
        )
        message.attach_alternative(html, "text/html")
        message.send()
        sent += 1
    return sent


def _claim(*, kind, subject_key, window_key, detail=None):
    """Return the new AlertLog, or None when this window was already claimed."""
    try:
        with transaction.atomic():
            return AlertLog.objects.create(
                kind=kind, subject_key=subject_key, window_key=window_key, detail=detail or {}
            )
    except IntegrityError:
        return None


# ----- negative ratings ---------------------------------------------------------------


def negative_bursts_find(*, now):
    """Return [{office_id, ratings, negative}] for offices whose last-window ratings cross
    the thresholds.

    A rating is a response (not flagged) with at least one answer that counts
    toward satisfaction; it is negative when more than half of those answers
    are unsatisfied. Counted in SQL over the window's responses (indexed on
    submitted_at); only the per-office sums come back.
    """
    since = now - datetime.timedelta(minutes=settings.ALERT_NEGATIVE_WINDOW_MINUTES)
    valid = Answer.objects.filter(response=OuterRef("pk"), satisfied__isnull=False).order_by()
    count = {"c": Count("pk")}
    rated = valid.values("response").annotate(**count).values("c")
    unsatisfied = valid.filter(satisfied=False).values("response").annotate(**count).values("c")
    rows = (
        Response.objects.filter(submitted_at__gt=since, submitted_at__lte=now, flagged=False)
        .annotate(rated=Subquery(rated), unsat=Subquery(unsatisfied))
        .annotate(unsat_twice=F("unsat") * 2)
        .order_by()
        .values("office_id")
        .annotate(
            ratings=Count("pk", filter=Q(rated__gt=0)),
            negative=Count("pk", filter=Q(rated__gt=0, unsat_twice__gt=F("rated"))),
        )
        .filter(ratings__gte=settings.ALERT_NEGATIVE_MIN_RATINGS)
    )
    share = settings.ALERT_NEGATIVE_SHARE
    return [dict(row) for row in rows if row["negative"] >= share * row["ratings"]]


def negative_alerts_send(*, now=None):
    """Alert each office's staff about a negative burst; return the number of e-mails sent."""
    now = now or timezone.now()
    window = datetime.timedelta(minutes=settings.ALERT_NEGATIVE_WINDOW_MINUTES)
    sent = 0
    for burst in negative_bursts_find(now=now):
        subject_key = f"office:{burst['office_id']}"
        recent = AlertLog.objects.filter(
            kind=AlertKind.NEGATIVE_BURST, subject_key=subject_key, created_at__gt=now - window
        )
        if recent.exists():  # the same ratings are still inside the sliding window
            continue
        window_key = str(int(now.timestamp() // window.total_seconds()))
        log = _claim(
            kind=AlertKind.NEGATIVE_BURST,
            subject_key=subject_key,
            window_key=window_key,
            detail={"ratings": burst["ratings"], "negative": burst["negative"]},
        )
        if log is None:
            continue
        office = Office.objects.get(pk=burst["office_id"])
        recipients = office_staff(office.pk)
        log.recipients = email_send(
            template="negative_burst",
            recipients=recipients,
            context={
                "office": office,
                "ratings": burst["ratings"],
                "negative": burst["negative"],
                "minutes": settings.ALERT_NEGATIVE_WINDOW_MINUTES,
                "url": settings.SITE_URL + reverse("reports-office", args=[office.code]),
            },
        )
        log.save(update_fields=["recipients"])
        sent += log.recipients
    return sent


# ----- silent offices and kiosks --------------------------------------------------------


def silent_cutoff(*, today):
    """Return the first local midnight of the last ``ALERT_SILENT_WORKING_DAYS`` working days."""
    first = working_day_add(start=today, days=-(settings.ALERT_SILENT_WORKING_DAYS - 1))
    return timezone.make_aware(datetime.datetime.combine(first, datetime.time()))


def silent_offices_find(*, today):
    """Return active offices that had ratings in the last 90 days but none since the cutoff.

    One query; the latest rating per office comes from the (office, submitted_at) index.
    """
    cutoff = silent_cutoff(today=today)
    latest = (
        Response.objects.filter(office=OuterRef("pk"))
        .order_by("-submitted_at")
        .values("submitted_at")[:1]
    )
    return list(
        Office.objects.filter(active=True)
        .annotate(last_rating=Subquery(latest))
        .filter(
            last_rating__lt=cutoff,
            last_rating__gte=cutoff - datetime.timedelta(days=SILENT_LOOKBACK_DAYS),
        )
        .select_related("unit")
    )


def silent_kiosks_find(*, today):
    """Return activated, unrevoked kiosks with no rating since the cutoff (active before it)."""
    cutoff = silent_cutoff(today=today)
    recent = Response.objects.filter(
        office=OuterRef("office_id"), device=OuterRef("pk"), submitted_at__gte=cutoff
    )
    latest = (
        Response.objects.filter(office=OuterRef("office_id"), device=OuterRef("pk"))
        .order_by("-submitted_at")
        .values("submitted_at")[:1]
    )
    return list(
        KioskDevice.objects.filter(
            activated_at__lt=cutoff, revoked_at__isnull=True, office__active=True
        )
        .exclude(Exists(recent))
        .annotate(last_rating=Subquery(latest))
        .select_related("office")
    )


def silent_alerts_send(*, today=None):
    """Warn office staff and the unit's officials once per silence; return e-mails sent."""
    today = today or timezone.localdate()
    sent = 0
    days = settings.ALERT_SILENT_WORKING_DAYS
    for office in silent_offices_find(today=today):
        log = _claim(
            kind=AlertKind.SILENT_OFFICE,
            subject_key=f"office:{office.pk}",
            window_key=office.last_rating.isoformat(),
        )
        if log is None:
            continue
        log.recipients = email_send(
            template="silent",
            recipients=office_staff(office.pk) + unit_officials(office.unit_id),
            context={
                "office": office,
                "kiosk": None,
                "last_rating": office.last_rating,
                "days": days,
                "url": settings.SITE_URL + reverse("reports-office", args=[office.code]),
            },
        )
        log.save(update_fields=["recipients"])
        sent += log.recipients
    for kiosk in silent_kiosks_find(today=today):
        last = kiosk.last_rating
        log = _claim(
            kind=AlertKind.SILENT_KIOSK,
            subject_key=f"kiosk:{kiosk.pk}",
            window_key=last.isoformat() if last else "never",
        )
        if log is None:
            continue
        log.recipients = email_send(
            template="silent",
            recipients=office_staff(kiosk.office_id),
            context={
                "office": kiosk.office,
                "kiosk": kiosk,
                "last_rating": last,
                "days": days,
                "url": settings.SITE_URL + reverse("reports-office", args=[kiosk.office.code]),
            },
        )
        log.save(update_fields=["recipients"])
        sent += log.recipients
    return sent


# ----- weekly digest ------------------------------------------------------------------------


def last_week(today):
    """Return (Monday, Sunday) of the week before ``today``'s week."""
    monday = today - datetime.timedelta(days=today.weekday() + 7)
    return monday, monday + datetime.timedelta(days=6)


def weekly_digests_send(*, today=None):
    """Send each official the previous week's figures of their unit; return e-mails sent.

    Figures per unit are computed once (roll-ups) and shared by its officials.
    """
    today = today or timezone.localdate()
    start, end = last_week(today)
    iso_year, iso_week, _day = start.isocalendar()
    window_key = f"{iso_year}-W{iso_week:02d}"
    profiles = (
        Profile.objects.filter(role=Role.OFFICIAL, user__is_active=True, unit__isnull=False)
        .exclude(user__email="")
        .select_related("user", "unit")
        .order_by("unit_id")
    )
    figures_by_unit = {}
    sent = 0
    for profile in profiles:
        log = _claim(
            kind=AlertKind.WEEKLY_DIGEST,
            subject_key=f"user:{profile.user_id}",
            window_key=window_key,
            detail={"unit": profile.unit_id},
        )
        if log is None:
            continue
        unit = profile.unit
        if unit.pk not in figures_by_unit:
            offices = offices_in_unit(unit=unit)
            summary = stats_compute(offices=offices, start=start, end=end, with_previous=True)
            weakest = []
            if unit.level != "commune":
                children = stats_grouped(
                    offices=offices, start=start, end=end, group_by="child", parent_unit=unit
                )
                weakest = sorted(
                    (r for r in children if r["satisfaction_rate"] is not None),
                    key=lambda r: r["satisfaction_rate"],
                )[:3]
            figures_by_unit[unit.pk] = (summary, weakest)
        summary, weakest = figures_by_unit[unit.pk]
        url = reverse("reports-unit", args=[unit.level, unit.code])
        query = f"?period=custom&start={start.isoformat()}&end={end.isoformat()}"
        if unit.unit_set != "2025":
            query += f"&set={unit.unit_set}"
        log.recipients = email_send(
            template="weekly_digest",
            recipients=_recipients(Profile.objects.filter(pk=profile.pk)),
            context={
                "unit": unit,
                "start": start,
                "end": end,
                "s": summary,
                "p": summary.get("previous") or {},
                "weakest": weakest,
                "url": settings.SITE_URL + url + query,
            },
        )
        log.save(update_fields=["recipients"])
        sent += log.recipients
    return sent
