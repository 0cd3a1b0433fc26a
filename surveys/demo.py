"""Demo survey responses consistent with the demo dossiers (deterministic, bulk inserted).

Each office gets an evaluation rate between 55 % and 90 % of its finished
dossiers, responses by QR (most), kiosk, link and paper a little after the
result was returned. Satisfaction is mostly high; a few offices are weak
overall and a few criteria are weak everywhere (processing time, feedback
handling), late dossiers are rated lower. Low ratings with a reason or a
comment open follow-ups: old ones answered and closed, some still open and
some overdue. Every office asks the short ``counter`` rating after each
dossier; a sample of rated dossiers (more at the provincial centre and the
departments) answered the full ``sipas`` questionnaire instead, on paper,
as in the Ministry's periodic SIPAS surveys, so criteria have data everywhere.

Safe to run again: client ids derive from the dossier codes, so existing
responses are skipped.
"""

import datetime as dt
import hashlib
import random
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from offices.models import Dossier, Office, OfficeKind
from offices.selectors import holiday_calendar
from portal.lib.workdays import add_working_days
from surveys.models import (
    Answer,
    FollowUp,
    FollowUpStatus,
    KioskDevice,
    QuestionKind,
    Questionnaire,
    QuestionnaireAssignment,
    Response,
    ResponseChannel,
)
from surveys.services import questionnaire_for_office, questionnaire_questions

DEMO_NAMESPACE = uuid.UUID("0b7f6a53-0f64-4a4e-8f0e-6d2c51f3a9d1")
SIPAS_KINDS = (OfficeKind.SERVICE_CENTRE, OfficeKind.DEPARTMENT)
# Share of rated dossiers answered with the full SIPAS questionnaire.
SIPAS_SHARE = {True: 0.12, False: 0.05}
# Criteria (or counter reasons) that are weak everywhere: lower satisfaction.
WEAK_CRITERIA = {"procedure_time": -0.12, "feedback_handled": -0.15, "feedback_reported": -0.18}
WEAK_OFFICE_SHARE = 0.12
CHANNEL_WEIGHTS = [
    (ResponseChannel.QR, 45),
    (ResponseChannel.KIOSK, 35),
    (ResponseChannel.LINK, 15),
    (ResponseChannel.PAPER, 5),
]
COMMENTS_LOW = [
    "Chờ quá lâu mới đến lượt, không có ghế ngồi.",
    "Trả kết quả trễ hẹn mà không được báo trước.",
    "Cán bộ hướng dẫn chưa rõ, phải đi lại nhiều lần.",
    "Phải bổ sung giấy tờ không có trong danh mục niêm yết.",
    "Gọi điện hỏi tiến độ không ai nghe máy.",
]
COMMENTS_HIGH = [
    "Cán bộ nhiệt tình, hướng dẫn chu đáo.",
    "Nhận kết quả sớm hơn hẹn, rất hài lòng.",
    "Thủ tục nhanh gọn.",
    "",
    "",
    "",
]
REPLIES = [
    "Cơ quan đã tiếp thu, bố trí thêm cán bộ tiếp nhận vào giờ cao điểm.",
    "Cơ quan xin lỗi ông/bà và đã nhắc nhở cán bộ liên quan.",
    "Cơ quan đã rà soát, niêm yết lại danh mục giấy tờ đúng quy định.",
]


@dataclass
class DemoResponses:
    responses: int
    answers: int
    follow_ups: int


def _client_id(key: str) -> uuid.UUID:
    return uuid.uuid5(DEMO_NAMESPACE, key)


def _level(rnd, quality, top):
    """Return a scale level with P(satisfied) = ``quality``."""
    if top == 3:
        if rnd.random() < quality:
            return 3 if rnd.random() < 0.6 else 2
        return 1
    if rnd.random() < quality:
        return 5 if rnd.random() < 0.55 else 4
    return rnd.choice((3, 3, 2, 1))


def _answers_for(rnd, questions, quality, late):
    """Return ([(question, fields)], unhappy) for one demo response.

    A response is unhappy with probability 1 − ``quality`` (more often for a
    late dossier); its scale items are then mostly low, otherwise mostly high,
    minus the weak criteria's offsets.
    """
    unhappy = rnd.random() >= quality - (0.25 if late else 0)
    base = 0.35 if unhappy else 0.95
    rows = []
    for question in questions:
        kind = question.kind
        fields = {"value_int": None, "value_text": "", "value_choices": [], "satisfied": None}
        if kind in question.SCALE_LEVELS:
            q = base + WEAK_CRITERIA.get(question.code, 0)
            if question.code == "result_on_time" and late:
                q -= 0.5
            level = _level(rnd, max(0.05, min(0.99, q)), question.SCALE_LEVELS[kind])
            fields["value_int"] = level
            if question.counts_toward_satisfaction:
                fields["satisfied"] = level >= question.SATISFIED_FROM[kind]
        elif kind == QuestionKind.SINGLE:
            if not question.options or rnd.random() < 0.8:
                continue
            fields["value_text"] = rnd.choice(question.option_values())
        elif kind == QuestionKind.MULTIPLE:
            if not unhappy or not question.options or rnd.random() < 0.3:
                continue
            values = question.option_values()
            weights = [4 if v in ("time", "papers") else 1 for v in values]
            picked = {rnd.choices(values, weights)[0] for _ in range(rnd.randint(1, 2))}
            fields["value_choices"] = [v for v in values if v in picked]
        elif kind in (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT):
            if unhappy and rnd.random() < 0.5:
                text = rnd.choice(COMMENTS_LOW)
            elif rnd.random() < 0.08:
                text = rnd.choice(COMMENTS_HIGH)
            else:
                text = ""
            if not text:
                continue
            fields["value_text"] = text[: question.SHORT_TEXT_MAX]
        elif kind == QuestionKind.YES_NO:
            fields["value_int"] = int(rnd.random() < base)
        else:
            continue
        rows.append((question, fields))
    return rows, unhappy


def _assign_questionnaires(offices):
    for office in offices:
        QuestionnaireAssignment.objects.update_or_create(
            office=office, defaults={"questionnaire_code": "counter"}
        )


def _kiosks(offices):
    existing = {d.office_id: d for d in KioskDevice.objects.filter(office__in=offices)}
    missing = [KioskDevice(office=o, name="Quầy 1 (demo)") for o in offices if o.pk not in existing]
    KioskDevice.objects.bulk_create(missing)
    return {d.office_id: d for d in KioskDevice.objects.filter(office__in=offices)}


def demo_responses_seed(
    *, rng: random.Random, offices: list[Office] | None = None, now: dt.datetime | None = None
) -> DemoResponses:
    """Insert demo responses, answers and follow-ups for ``offices``' finished dossiers.

    Deterministic for a given ``rng`` state and dossier set. Bulk inserts in
    batches; a few queries per office.
    """
    now = now or timezone.now()
    offices = list(offices if offices is not None else Office.objects.filter(active=True))
    _assign_questionnaires(offices)
    kiosks = _kiosks(offices)
    holidays, working = holiday_calendar()
    office_quality = {}
    for office in sorted(offices, key=lambda o: o.code):
        weak = rng.random() < WEAK_OFFICE_SHARE
        office_quality[office.pk] = (
            rng.uniform(0.55, 0.75) if weak else rng.uniform(0.86, 0.97),
            rng.uniform(0.55, 0.68) if weak else rng.uniform(0.62, 0.90),
        )
    totals = DemoResponses(0, 0, 0)
    used_questionnaires = set()
    sipas = Questionnaire.objects.get(code="sipas", is_current=True)
    sipas_questions = questionnaire_questions(questionnaire=sipas)
    for office in sorted(offices, key=lambda o: o.code):
        quality, evaluation_rate = office_quality[office.pk]
        questionnaire = questionnaire_for_office(office=office)
        questions = questionnaire_questions(questionnaire=questionnaire)
        dossiers = list(
            Dossier.objects.filter(office=office, finished_at__isnull=False)
            .exclude(status__in=Dossier.EXCLUDED_STATUSES)
            .order_by("code")
            .values_list(
                "pk", "code", "procedure_id", "officer_id", "finished_at", "returned_at", "outcome"
            )
        )
        existing = set(Response.objects.filter(office=office).values_list("client_id", flat=True))
        office_rnd = random.Random(f"{rng.random()}-{office.code}")
        responses, answer_rows, lows = [], [], []
        for pk, code, procedure_id, officer_id, finished_at, returned_at, outcome in dossiers:
            if office_rnd.random() >= evaluation_rate:
                continue
            submitted_at = (returned_at or finished_at) + dt.timedelta(
                minutes=office_rnd.randint(2, 60 * 24 * 3)
            )
            client_id = _client_id(code)
            if submitted_at > now:
                continue
            channel = office_rnd.choices(
                [c for c, _w in CHANNEL_WEIGHTS], [w for _c, w in CHANNEL_WEIGHTS]
            )[0]
            use_sipas = office_rnd.random() < SIPAS_SHARE[office.kind in SIPAS_KINDS]
            if use_sipas:
                channel = ResponseChannel.PAPER
            asked, asked_questions = (
                (sipas, sipas_questions) if use_sipas else (questionnaire, questions)
            )
            rows, low = _answers_for(office_rnd, asked_questions, quality, outcome == "late")
            contact = low and office_rnd.random() < 0.35
            phone = f"09{office_rnd.randint(10_000_000, 99_999_999)}" if contact else ""
            duration = office_rnd.randint(25, 180) if len(asked_questions) < 6 else None
            duration = duration or office_rnd.randint(150, 720)
            language = "vi" if office_rnd.random() < 0.97 else "en"
            ip_seed = office_rnd.getrandbits(32)
            if client_id in existing:
                # Every draw above is made anyway, so a re-run stays in step.
                continue
            responses.append(
                Response(
                    client_id=client_id,
                    questionnaire=asked,
                    office=office,
                    procedure_id=procedure_id,
                    dossier_id=pk,
                    officer_id=officer_id if channel == ResponseChannel.KIOSK else None,
                    channel=channel,
                    device=kiosks.get(office.pk) if channel == ResponseChannel.KIOSK else None,
                    submitted_at=submitted_at,
                    # Demo follow-ups and flags are made here, not by the periodic checks.
                    checked_at=submitted_at,
                    duration_seconds=duration,
                    language=language,
                    ip_hash=(
                        hashlib.sha256(f"demo-{ip_seed}".encode()).hexdigest()
                        if channel in (ResponseChannel.LINK, ResponseChannel.QR)
                        else ""
                    ),
                    contact_requested=contact,
                    contact_consent=contact,
                    contact_phone=phone,
                )
            )
            answer_rows.append(rows)
            # A complaint: unhappy and said why in words (about half of them).
            lows.append(low and any(f["value_text"] for _q, f in rows))
        if not responses:
            continue
        with transaction.atomic():
            Response.objects.bulk_create(responses, batch_size=2000)
            answers = [
                Answer(response=response, question=question, **fields)
                for response, rows in zip(responses, answer_rows, strict=True)
                for question, fields in rows
            ]
            Answer.objects.bulk_create(answers, batch_size=5000)
            follow_ups = [
                _follow_up(office_rnd, response, rows, now, holidays, working)
                for response, rows, low in zip(responses, answer_rows, lows, strict=True)
                if low
            ]
            FollowUp.objects.bulk_create(follow_ups, batch_size=2000)
        used_questionnaires.update(r.questionnaire_id for r in responses)
        totals.responses += len(responses)
        totals.answers += len(answers)
        totals.follow_ups += len(follow_ups)
    Questionnaire.objects.filter(pk__in=used_questionnaires, frozen=False).update(frozen=True)
    return totals


def _follow_up(rnd, response, rows, now, holidays, working):
    texts = [f["value_text"] for _q, f in rows if f["value_text"]]
    reasons = [question.option_label(value) for question, f in rows for value in f["value_choices"]]
    reason = "\n".join([*(f"Lý do: {r}" for r in reasons), *texts]) or "Không hài lòng"
    due_day = add_working_days(
        timezone.localdate(response.submitted_at), 15, holidays=holidays, extra_working_days=working
    )
    due_at = timezone.make_aware(dt.datetime.combine(due_day, dt.time(23, 59, 59)))
    follow_up = FollowUp(
        response=response,
        office=response.office,
        reason=reason,
        opened_at=response.submitted_at,
        due_at=due_at,
    )
    age_days = (now - response.submitted_at).days
    # Old complaints are mostly answered in time; a few stay open past their due date.
    if due_at < now and rnd.random() < 0.85:
        replied_at = response.submitted_at + dt.timedelta(days=rnd.randint(1, 19))
        replied_at = min(replied_at, now)
        follow_up.status = FollowUpStatus.CLOSED if rnd.random() < 0.8 else FollowUpStatus.ANSWERED
        follow_up.reply = rnd.choice(REPLIES)
        follow_up.replied_at = replied_at
        if follow_up.status == FollowUpStatus.CLOSED:
            follow_up.closed_at = replied_at + dt.timedelta(days=rnd.randint(0, 5))
            follow_up.closed_at = min(follow_up.closed_at, now)
            follow_up.citizen_satisfied = rnd.random() < 0.75
    elif age_days > 2 and rnd.random() < 0.5:
        follow_up.status = FollowUpStatus.ASSIGNED
    return follow_up
