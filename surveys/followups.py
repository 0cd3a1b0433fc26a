"""Complaints and follow-ups (tiếp nhận, xử lý phản ánh kiến nghị).

When a follow-up opens (``followup_open_for``, run once for every submission,
within a minute, by ``surveys.services.response_process``):

- a low rating with an explanation: an answer at the lowest level of the
  3-level counter rating (1, "Không hài lòng") or at level ≤ 2 of a 5-level
  question, on a question that counts toward satisfaction, together with a
  chosen reason (a single/multiple-choice answer) or a written comment; or
- a written comment with a request to be contacted (``contact_requested``).

The office then assigns, replies and closes it. It is due 15 working days
after the response (``offices.selectors.working_day_add``, holiday-aware),
at the end of that day. A reply goes to the citizen by email and/or SMS in
the citizen's language when they left contact details. An unanswered
follow-up past its due time is escalated once (``followups_escalate``, hourly)
to the officials of the unit above the office's unit.
"""

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from offices.access import scope_for
from offices.models import Role
from surveys.models import Answer, FollowUp, FollowUpStatus, QuestionKind, Response

logger = logging.getLogger(__name__)

FOLLOWUP_WORKING_DAYS = 15
LOW_LEVEL = {QuestionKind.SCALE3: 1, QuestionKind.SCALE5: 2}
CHOICE_KINDS = (QuestionKind.SINGLE, QuestionKind.MULTIPLE)
REASON_CODES = ("reason",)
TEXT_KINDS = (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT)
OPEN_STATUSES = (FollowUpStatus.OPEN, FollowUpStatus.ASSIGNED)


class FollowUpError(Exception):
    """A follow-up action that cannot be done; the message says why."""


def followup_reason(*, response: Response) -> str:
    """Return the complaint text of ``response``, or "" when it does not open a follow-up.

    One query (the response's answers with their questions); the text is in
    Vietnamese, the office's language.
    """
    answers = list(
        Answer.objects.filter(response=response)
        .select_related("question")
        .order_by("question__order", "question_id")
    )
    low, choices, texts = [], [], []
    for answer in answers:
        question = answer.question
        if (
            question.kind in LOW_LEVEL
            and question.counts_toward_satisfaction
            and answer.value_int is not None
            and answer.value_int <= LOW_LEVEL[question.kind]
        ):
            low.append(
                f"{question.text_vi}: {answer.value_int}/{question.SCALE_LEVELS[question.kind]}"
            )
        elif question.kind in CHOICE_KINDS and question.code in REASON_CODES:
            values = answer.value_choices or ([answer.value_text] if answer.value_text else [])
            if values:
                labels = ", ".join(question.option_label(value) for value in values)
                choices.append(f"{question.text_vi}: {labels}")
        elif question.kind in TEXT_KINDS and answer.value_text.strip():
            texts.append(f"{question.text_vi}: {answer.value_text.strip()}")
    if (low and (choices or texts)) or (response.contact_requested and texts):
        return "\n".join([*low, *choices, *texts])
    return ""


def followup_due_at(*, opened_at: dt.datetime) -> dt.datetime:
    """Return the end (23:59:59 local) of the 15th working day after ``opened_at``."""
    from offices.selectors import working_day_add

    due_day = working_day_add(start=timezone.localdate(opened_at), days=FOLLOWUP_WORKING_DAYS)
    return timezone.make_aware(dt.datetime.combine(due_day, dt.time(23, 59, 59)))


def followup_open_for(response_id: int) -> FollowUp | None:
    """Open the follow-up a response calls for; return it, or None when none is needed.

    Safe to run twice: one follow-up per response (unique), the second call
    returns the first one.
    """
    response = Response.objects.select_related("office").filter(pk=response_id).first()
    if response is None:
        return None
    existing = FollowUp.objects.filter(response=response).first()
    if existing is not None:
        return existing
    reason = followup_reason(response=response)
    if not reason:
        return None
    try:
        with transaction.atomic():
            follow_up = FollowUp.objects.create(
                response=response,
                office=response.office,
                reason=reason,
                opened_at=response.submitted_at,
                due_at=followup_due_at(opened_at=response.submitted_at),
            )
    except IntegrityError:
        return FollowUp.objects.filter(response=response).first()
    _notify_office(follow_up)
    return follow_up


def _staff_emails(office):
    return list(
        get_user_model()
        .objects.filter(
            is_active=True,
            profile__role=Role.OFFICE_STAFF,
            profile__office=office,
        )
        .exclude(email="")
        .values_list("email", "profile__language")
    )


def _send_email(*, template: str, context: dict, to: str, language: str) -> None:
    with translation.override(language):
        subject = render_to_string(f"surveys/emails/{template}-subject.txt", context)
        body = render_to_string(f"surveys/emails/{template}-body.txt", context)
    send_mail(" ".join(subject.split()), body, settings.DEFAULT_FROM_EMAIL, [to])


def _detail_url(follow_up):
    return settings.SITE_URL + reverse("surveys-followup-detail", args=[follow_up.pk])


def _notify_office(follow_up):
    context = {"follow_up": follow_up, "url": _detail_url(follow_up)}
    for email, language in _staff_emails(follow_up.office):
        _send_email(template="followup_opened", context=context, to=email, language=language)


def _ensure_open(follow_up):
    if follow_up.status == FollowUpStatus.CLOSED:
        raise FollowUpError(_("Phản ánh này đã đóng, không thể thay đổi."))


def followup_assign(*, follow_up: FollowUp, assignee, by) -> FollowUp:
    """Assign ``follow_up`` to ``assignee``, who must be able to act for its office."""
    _ensure_open(follow_up)
    scope = scope_for(assignee)
    if not (scope.can_manage_office and scope.can_see_office(follow_up.office)):
        raise FollowUpError(
            _("%(user)s không phải là cán bộ của cơ quan này.") % {"user": assignee}
        )
    follow_up.assignee = assignee
    if follow_up.status == FollowUpStatus.OPEN:
        follow_up.status = FollowUpStatus.ASSIGNED
    follow_up.save(update_fields=["assignee", "status", "updated_at"])
    return follow_up


def followup_reply(*, follow_up: FollowUp, text: str, by) -> FollowUp:
    """Record the office's reply and queue sending it to the citizen (email and/or SMS)."""
    _ensure_open(follow_up)
    text = (text or "").strip()
    if not text:
        raise FollowUpError(_("Nội dung trả lời không được để trống."))
    if len(text) > 2000:
        raise FollowUpError(_("Nội dung trả lời dài tối đa 2000 ký tự."))
    with transaction.atomic():
        follow_up.reply = text
        follow_up.replied_at = timezone.now()
        follow_up.reply_sent_at = None
        follow_up.reply_sent_via = ""
        follow_up.status = FollowUpStatus.ANSWERED
        if follow_up.assignee_id is None:
            follow_up.assignee = by
        follow_up.save(
            update_fields=[
                "reply",
                "replied_at",
                "reply_sent_at",
                "reply_sent_via",
                "status",
                "assignee",
                "updated_at",
            ]
        )
        transaction.on_commit(lambda: _queue_reply_send(follow_up.pk))
    return follow_up


def _queue_reply_send(follow_up_id):
    from surveys.tasks import followup_reply_send

    followup_reply_send.delay(follow_up_id)


def followup_close(*, follow_up: FollowUp, by, citizen_satisfied: bool | None = None) -> FollowUp:
    """Close ``follow_up``; ``citizen_satisfied``: did the citizen accept the answer."""
    _ensure_open(follow_up)
    follow_up.status = FollowUpStatus.CLOSED
    follow_up.closed_at = timezone.now()
    follow_up.citizen_satisfied = citizen_satisfied
    follow_up.save(update_fields=["status", "closed_at", "citizen_satisfied", "updated_at"])
    return follow_up


def followup_reply_deliver(*, follow_up_id: int) -> list[str]:
    """Send a recorded reply to the citizen once; return the channels used.

    Claims the follow-up with a conditional update so two workers never send
    twice; a failure releases the claim and re-raises (the task retries).
    """
    now = timezone.now()
    claimed = FollowUp.objects.filter(
        pk=follow_up_id, replied_at__isnull=False, reply_sent_at__isnull=True
    ).update(reply_sent_at=now)
    if claimed != 1:
        return []
    follow_up = FollowUp.objects.select_related("response", "office").get(pk=follow_up_id)
    response = follow_up.response
    language = response.language if response.language in ("vi", "en") else "vi"
    via = []
    try:
        if response.contact_consent and response.contact_email:
            _send_email(
                template="followup_reply",
                context={"follow_up": follow_up},
                to=response.contact_email,
                language=language,
            )
            via.append("email")
        if response.contact_consent and response.contact_phone:
            from surveys.sms import sms_send

            with translation.override(language):
                text = render_to_string(
                    "surveys/emails/followup_reply-sms.txt", {"follow_up": follow_up}
                )
            sms_send(to=response.contact_phone, text=text)
            via.append("sms")
    except Exception:
        FollowUp.objects.filter(pk=follow_up_id).update(reply_sent_at=None)
        raise
    FollowUp.objects.filter(pk=follow_up_id).update(reply_sent_via=",".join(via))
    return via


def followup_escalation_recipients(*, follow_up: FollowUp) -> list[tuple[str, str]]:
    """Return (email, language) of the officials of the unit above the office's unit.

    An office at the top of the tree (a provincial department) escalates to its
    own unit's officials.
    """
    unit = follow_up.office.unit
    target = unit.parent or unit
    return list(
        get_user_model()
        .objects.filter(is_active=True, profile__role=Role.OFFICIAL, profile__unit=target)
        .exclude(email="")
        .values_list("email", "profile__language")
    )


def followups_escalate(*, now: dt.datetime | None = None) -> int:
    """Escalate every unanswered follow-up past its due time, once; return how many.

    Each one is claimed with a conditional update on ``escalated_at`` so two
    workers (or two beat ticks) never escalate it twice.
    """
    now = now or timezone.now()
    overdue = FollowUp.objects.filter(
        status__in=OPEN_STATUSES, due_at__lt=now, escalated_at__isnull=True
    ).values_list("pk", flat=True)
    escalated = 0
    for pk in list(overdue):
        claimed = FollowUp.objects.filter(pk=pk, escalated_at__isnull=True).update(escalated_at=now)
        if claimed != 1:
            continue
        escalated += 1
        follow_up = FollowUp.objects.select_related("office__unit__parent").get(pk=pk)
        context = {"follow_up": follow_up, "url": _detail_url(follow_up)}
        try:
            for email, language in followup_escalation_recipients(follow_up=follow_up):
                _send_email(
                    template="followup_escalated", context=context, to=email, language=language
                )
        except Exception:
            # Release the claim so the next run tries again, then let the task fail loudly.
            FollowUp.objects.filter(pk=pk, escalated_at=now).update(escalated_at=None)
            raise
    return escalated
