"""Integrity checks: flag, never delete, responses that look manufactured.

``response_check(response_id)`` runs once for each submission (from
``surveys.services.response_process``: the minutely beat task, or right after
the submission with ``SURVEY_CHECK_INLINE``) and applies five rules, each a
database count around the response's own time (so running it a minute later
gives the same result):

- ``device_burst`` / ``ip_burst``: more than ``INTEGRITY_BURST_MAX_*``
  responses from one kiosk device (or one hashed IP) within
  ``INTEGRITY_BURST_MINUTES``; the responses beyond the limit are flagged.
- ``all_max_run``: the last ``INTEGRITY_ALL_MAX_RUN`` responses from the same
  device (or IP) all answered every scale question at its highest level.
- ``too_fast``: completed in fewer seconds than a person needs to read the
  questionnaire: ``INTEGRITY_READING_BASE_SECONDS`` plus
  ``INTEGRITY_READING_SECONDS_PER_QUESTION`` per question.
- ``outside_hours``: a kiosk response (the device stands at the counter) given
  when the office is closed: outside ``Office.opens_at``–``closes_at`` (local
  time, ``INTEGRITY_HOURS_GRACE_MINUTES`` either side), on a weekend or a
  holiday (``Holiday`` rows; a compensating working day counts as open).
- ``officer_after_dossiers``: at least ``INTEGRITY_OFFICER_MIN`` responses
  attributed to one officer within ``INTEGRITY_OFFICER_MINUTES`` right after
  that officer finished or returned dossiers, and more responses than those
  dossiers (one honest rating per dossier at most).

A flag sets ``flagged=True`` and appends ``{"code": ..., details}`` to
``flag_reasons``. Flagged responses are excluded from rates by default and are
listed for review; an admin may clear a flag (``response_flag_clear``), which
keeps the reasons and stops later checks from flagging the response again.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from offices.models import Dossier, Holiday, HolidayKind
from surveys.models import Answer, QuestionKind, Response, ResponseChannel

DEFAULTS = {
    "INTEGRITY_BURST_MINUTES": 5,
    "INTEGRITY_BURST_MAX_DEVICE": 10,
    "INTEGRITY_BURST_MAX_IP": 5,
    "INTEGRITY_ALL_MAX_RUN": 15,
    "INTEGRITY_READING_BASE_SECONDS": 1,
    "INTEGRITY_READING_SECONDS_PER_QUESTION": 1,
    "INTEGRITY_HOURS_GRACE_MINUTES": 30,
    "INTEGRITY_OFFICER_MINUTES": 30,
    "INTEGRITY_OFFICER_MIN": 5,
}

REASON_LABELS = {
    "device_burst": _("Quá nhiều phiếu từ một thiết bị trong thời gian ngắn"),
    "ip_burst": _("Quá nhiều phiếu từ một địa chỉ IP trong thời gian ngắn"),
    "all_max_run": _("Một loạt phiếu liên tiếp đều chọn mức cao nhất"),
    "too_fast": _("Trả lời nhanh hơn thời gian đọc tối thiểu"),
    "outside_hours": _("Gửi tại quầy ngoài giờ làm việc của cơ quan"),
    "officer_after_dossiers": _("Nhiều phiếu cho một cán bộ ngay sau khi cán bộ đó trả hồ sơ"),
}

MAX_LEVEL = {QuestionKind.SCALE5: 5, QuestionKind.SCALE3: 3}


def setting(name):
    """Return the integrity threshold ``name`` from settings, else its default."""
    return getattr(settings, name, DEFAULTS[name])


def reason_label(reason):
    """Return the readable label of a stored reason (a dict with ``code`` or a plain code)."""
    code = reason.get("code") if isinstance(reason, dict) else str(reason)
    return REASON_LABELS.get(code, code)


def _source_q(response):
    """Return a Q matching responses from the same device, else the same IP; None if neither."""
    if response.device_id:
        return Q(device_id=response.device_id)
    if response.ip_hash:
        return Q(ip_hash=response.ip_hash)
    return None


def _check_burst(response):
    minutes = setting("INTEGRITY_BURST_MINUTES")
    start = response.submitted_at - dt.timedelta(minutes=minutes)
    if response.device_id:
        code, limit, q = (
            "device_burst",
            setting("INTEGRITY_BURST_MAX_DEVICE"),
            Q(device_id=response.device_id),
        )
    elif response.ip_hash:
        code, limit, q = "ip_burst", setting("INTEGRITY_BURST_MAX_IP"), Q(ip_hash=response.ip_hash)
    else:
        return None
    count = Response.objects.filter(
        q, submitted_at__gt=start, submitted_at__lte=response.submitted_at
    ).count()
    if count > limit:
        return {"code": code, "count": count, "minutes": minutes, "limit": limit}
    return None


def _check_all_max_run(response):
    source = _source_q(response)
    run = setting("INTEGRITY_ALL_MAX_RUN")
    if source is None or run < 2:
        return None
    ids = list(
        Response.objects.filter(source, submitted_at__lte=response.submitted_at)
        .order_by("-submitted_at", "-pk")
        .values_list("pk", flat=True)[:run]
    )
    if len(ids) < run or response.pk not in ids:
        return None
    scale_answers = Answer.objects.filter(
        response_id__in=ids,
        question__kind__in=list(MAX_LEVEL),
        value_int__isnull=False,
    )
    below_max = Q()
    for kind, top in MAX_LEVEL.items():
        below_max |= Q(question__kind=kind, value_int__lt=top)
    if scale_answers.filter(below_max).exists():
        return None
    if scale_answers.values("response_id").distinct().count() < run:
        return None
    return {"code": "all_max_run", "run": run}


def _check_too_fast(response):
    if response.duration_seconds is None:
        return None
    questions = response.questionnaire.questions.count()
    minimum = setting("INTEGRITY_READING_BASE_SECONDS") + questions * setting(
        "INTEGRITY_READING_SECONDS_PER_QUESTION"
    )
    if response.duration_seconds < minimum:
        return {
            "code": "too_fast",
            "seconds": response.duration_seconds,
            "minimum": minimum,
        }
    return None


def office_is_open(office, at):
    """Return True when ``office`` is open at ``at`` (local time, with the grace margin).

    Reads one Holiday row for the local date.
    """
    local = timezone.localtime(at)
    day = Holiday.objects.filter(date=local.date()).values_list("kind", flat=True).first()
    if day == HolidayKind.HOLIDAY:
        return False
    if local.weekday() >= 5 and day != HolidayKind.WORKING_DAY:
        return False
    grace = dt.timedelta(minutes=setting("INTEGRITY_HOURS_GRACE_MINUTES"))
    opens = dt.datetime.combine(local.date(), _as_time(office.opens_at), tzinfo=local.tzinfo)
    closes = dt.datetime.combine(local.date(), _as_time(office.closes_at), tzinfo=local.tzinfo)
    return opens - grace <= local <= closes + grace


def _as_time(value):
    if isinstance(value, str):  # an unsaved default such as "07:30"
        return dt.time.fromisoformat(value)
    return value


def _check_outside_hours(response):
    if response.channel != ResponseChannel.KIOSK:
        # Citizens rate links and QR codes from home at any hour; only the
        # counter device is bound to the office's opening hours.
        return None
    if office_is_open(response.office, response.submitted_at):
        return None
    return {"code": "outside_hours", "at": timezone.localtime(response.submitted_at).isoformat()}


def _check_officer(response):
    if not response.officer_id:
        return None
    minutes = setting("INTEGRITY_OFFICER_MINUTES")
    start = response.submitted_at - dt.timedelta(minutes=minutes)
    end = response.submitted_at
    dossiers = (
        Dossier.objects.filter(officer_id=response.officer_id)
        .filter(
            Q(finished_at__gt=start, finished_at__lte=end)
            | Q(returned_at__gt=start, returned_at__lte=end)
        )
        .count()
    )
    if dossiers == 0:
        return None
    count = Response.objects.filter(
        officer_id=response.officer_id, submitted_at__gt=start, submitted_at__lte=end
    ).count()
    if count >= setting("INTEGRITY_OFFICER_MIN") and count > dossiers:
        return {
            "code": "officer_after_dossiers",
            "count": count,
            "dossiers": dossiers,
            "minutes": minutes,
        }
    return None


RULES = (_check_burst, _check_all_max_run, _check_too_fast, _check_outside_hours, _check_officer)


def response_flag(*, response_id: int, reasons: list[dict]) -> bool:
    """Flag a response with ``reasons``; return True when something new was recorded.

    Reasons already recorded (same code) are not repeated; a response whose
    flag an admin cleared is left alone. Locks the row so two checks of the
    same response cannot lose each other's reasons.
    """
    if not reasons:
        return False
    with transaction.atomic():
        response = Response.objects.select_for_update().get(pk=response_id)
        if response.flag_cleared_at is not None:
            return False
        known = {r.get("code") if isinstance(r, dict) else r for r in response.flag_reasons}
        new = [r for r in reasons if r["code"] not in known]
        if not new and response.flagged:
            return False
        response.flag_reasons = [*response.flag_reasons, *new]
        response.flagged = True
        response.save(update_fields=["flag_reasons", "flagged", "updated_at"])
    return True


def response_check(response_id: int) -> list[dict]:
    """Apply every integrity rule to one response; flag it and return the reasons found.

    Safe to run twice: reasons are recorded once. A handful of indexed counts.
    """
    response = (
        Response.objects.select_related("office", "questionnaire").filter(pk=response_id).first()
    )
    if response is None:
        return []
    reasons = [reason for rule in RULES if (reason := rule(response)) is not None]
    response_flag(response_id=response.pk, reasons=reasons)
    return reasons


def response_flag_clear(*, response: Response, user) -> Response:
    """Clear a response's flag (an admin decided it is genuine); the reasons are kept."""
    with transaction.atomic():
        locked = Response.objects.select_for_update().get(pk=response.pk)
        locked.flagged = False
        locked.flag_cleared_at = timezone.now()
        locked.flag_cleared_by = user
        locked.save(update_fields=["flagged", "flag_cleared_at", "flag_cleared_by", "updated_at"])
    return locked
