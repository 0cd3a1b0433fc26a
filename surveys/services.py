"""Writes for surveys: submitting a response, versioning questionnaires.

``response_submit`` is the one way a response enters the database, whatever
the channel (link, QR, kiosk, API, paper import): it validates every answer
against its question, writes the response and its answers in one
transaction, is idempotent on ``client_id`` and allows one response per
dossier (both enforced by unique constraints, so concurrent submissions
store one row).
"""

import datetime
import functools
import hashlib
import logging
import re
import time
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from offices.importing import bilingual, render
from offices.models import Dossier, Office, Officer, Procedure
from surveys.insert_pg import insert_one_statement
from surveys.models import (
    Answer,
    Criterion,
    KioskDevice,
    Question,
    Questionnaire,
    QuestionnaireAssignment,
    Response,
    ResponseChannel,
)

logger = logging.getLogger(__name__)

DEFAULT_QUESTIONNAIRE = "counter"
# A kiosk's clock may run a little ahead of the server's.
CLOCK_SKEW = datetime.timedelta(minutes=5)
PHONE_RE = re.compile(r"^(\+84|0)\d{8,10}$")


class ResponseError(Exception):
    """A submission that cannot be stored.

    ``errors`` maps a question code or field name to bilingual messages
    ("<Vietnamese> / <English>"); ``errors_in(language)`` gives them in one
    language for a page. ``code`` is "invalid", or "already_rated" when the
    dossier already has a response.
    """

    def __init__(self, errors, code="invalid"):
        # details: key -> list of (message, params), kept unformatted until shown.
        self.code = code
        self.details = errors
        self.errors = {
            key: [bilingual(message, **params) for message, params in items]
            for key, items in errors.items()
        }
        super().__init__("; ".join(f"{key}: {' '.join(msgs)}" for key, msgs in self.errors.items()))

    def errors_in(self, language):
        """Return the errors as {key: [message]} in ``language``."""
        return {
            key: [render(message, params, lang=language) for message, params in items]
            for key, items in self.details.items()
        }


def _add(errors, key, message, **params):
    errors.setdefault(str(key), []).append((message, params))


def ip_hash(ip):
    """Return the salted hash stored instead of an IP address ("" for no IP).

    The same value as ``salted_hmac("surveys.response.ip", ip, algorithm="sha256")``.
    The HMAC's inner and outer SHA-256 states are keyed once per SECRET_KEY and
    copied on each call: ``hmac.digest`` looks the digest up by name in
    OpenSSL 3 every time, which cost ten times the hashing on a submission.
    """
    if not ip:
        return ""
    inner_keyed, outer_keyed = _ip_hmac_states(settings.SECRET_KEY)
    inner = inner_keyed.copy()
    inner.update(ip.encode())
    outer = outer_keyed.copy()
    outer.update(inner.digest())
    return outer.hexdigest()


@functools.lru_cache(maxsize=4)
def _ip_hmac_states(secret):
    # salted_hmac's key derivation, hash(key_salt + secret), then RFC 2104's
    # padded keys; a 32-byte key fits SHA-256's 64-byte block as it is.
    key = hashlib.sha256(b"surveys.response.ip" + secret.encode()).digest().ljust(64, b"\0")
    return (
        hashlib.sha256(bytes(b ^ 0x36 for b in key)),
        hashlib.sha256(bytes(b ^ 0x5C for b in key)),
    )


def config_cached(bucket: str, key, load):
    """Return ``load()``, kept in this process for ``SURVEY_CONFIG_CACHE_SECONDS``.

    For configuration read on every submission (office by slug, the office's
    questionnaire): with the default 30 s in production an admin's change
    reaches every process within 30 s; 0 (development, tests) disables it.
    """
    ttl = getattr(settings, "SURVEY_CONFIG_CACHE_SECONDS", 0)
    if ttl <= 0:
        return load()
    now = time.monotonic()
    entry = _config_cache.get((bucket, key))
    if entry is not None and entry[0] > now:
        return entry[1]
    value = load()
    _config_cache[(bucket, key)] = (now + ttl, value)
    return value


_config_cache = {}


def questionnaire_for_office(*, office: Office) -> Questionnaire:
    """Return the current questionnaire ``office`` uses.

    An assignment on the office wins, then the one on the nearest unit up the
    tree, then the default ``counter``. Two queries (none while cached, see
    ``config_cached``).
    """
    return config_cached("questionnaire", office.pk, lambda: _questionnaire_for_office(office))


def _questionnaire_for_office(office):
    unit = office.unit
    prefixes = [unit.path[: i + 1] for i, ch in enumerate(unit.path) if ch == "/" and i > 0]
    assignments = QuestionnaireAssignment.objects.filter(
        Q(office=office) | Q(unit__unit_set=unit.unit_set, unit__path__in=prefixes)
    ).values_list("questionnaire_code", "office_id", "unit__depth")
    ranked = sorted(assignments, key=lambda row: (row[1] is None, -(row[2] or 0)))
    codes = [code for code, _office, _depth in ranked] + [DEFAULT_QUESTIONNAIRE]
    current = {
        q.code: q for q in Questionnaire.objects.filter(code__in=set(codes), is_current=True)
    }
    for code in codes:
        if code in current:
            return current[code]
    raise Questionnaire.DoesNotExist(
        f"No current questionnaire {DEFAULT_QUESTIONNAIRE!r}; run the surveys migrations."
    )


# Questions of a frozen questionnaire never change (editing makes a new
# version), so a process keeps them after the first load.
_frozen_questions = {}


def questionnaire_questions(*, questionnaire: Questionnaire) -> list[Question]:
    """Return the questions of ``questionnaire`` in order (cached once it is frozen)."""
    # created_at with the id: an id reused after a rollback (tests) is another questionnaire.
    key = (questionnaire.pk, questionnaire.created_at)
    cached = _frozen_questions.get(key)
    if cached is not None:
        return cached
    questions = list(questionnaire.questions.select_related("criterion").order_by("order", "pk"))
    if questionnaire.frozen:
        _frozen_questions[key] = questions
    return questions


def _answers_clean(*, questions, answers, errors):
    by_code = {question.code: question for question in questions}
    for code in answers:
        if code not in by_code:
            _add(errors, code, _("Bộ câu hỏi không có câu hỏi mã này."))
    cleaned = []
    for question in questions:
        try:
            fields = question.answer_fields(answers.get(question.code))
        except ValidationError as exc:
            for error in exc.error_list:
                _add(errors, question.code, error.message, **(error.params or {}))
            continue
        if fields is not None:
            cleaned.append((question, fields))
    return cleaned


def _contact_clean(contact, errors):
    """Return the contact fields to store; personal data only on request and with consent."""
    empty = {
        "contact_requested": False,
        "contact_consent": False,
        "contact_phone": "",
        "contact_email": "",
    }
    if not contact:
        return empty
    phone = re.sub(r"[\s.\-()]", "", str(contact.get("phone") or ""))
    email = str(contact.get("email") or "").strip()
    requested = bool(contact.get("requested"))
    consent = bool(contact.get("consent"))
    if not requested:
        if phone or email:
            _add(
                errors,
                "contact",
                _("Chỉ ghi số điện thoại hoặc email khi bạn muốn được liên hệ lại."),
            )
        return empty
    if not consent:
        _add(
            errors,
            "contact_consent",
            _("Hãy đồng ý cho cơ quan dùng thông tin liên hệ này để trả lời bạn."),
        )
    if not phone and not email:
        _add(errors, "contact", _("Hãy ghi số điện thoại hoặc email để cơ quan liên hệ lại."))
    if phone and not PHONE_RE.match(phone):
        _add(
            errors,
            "contact_phone",
            _("Số điện thoại không hợp lệ (ví dụ: 0912345678 hoặc +84912345678)."),
        )
    if email:
        try:
            validate_email(email)
        except ValidationError:
            _add(errors, "contact_email", _("Địa chỉ email không hợp lệ."))
    return {
        "contact_requested": True,
        "contact_consent": consent,
        "contact_phone": phone,
        "contact_email": email,
    }


# ResponseChannel.values builds a new list on each access.
_CHANNELS = frozenset(ResponseChannel.values)


def _context_clean(
    *,
    office,
    channel,
    procedure,
    dossier,
    device,
    officer,
    submitted_at,
    duration_seconds,
    now,
    errors,
):
    if channel not in _CHANNELS:
        _add(
            errors,
            "channel",
            _("Kênh không hợp lệ (chọn một trong: %(channels)s)."),
            channels=", ".join(ResponseChannel.values),
        )
    if not office.active:
        _add(errors, "office", _("Cơ quan này không còn nhận đánh giá."))
    if dossier is not None:
        if dossier.office_id != office.pk:
            _add(errors, "dossier", _("Hồ sơ %(code)s không thuộc cơ quan này."), code=dossier.code)
        if procedure is not None and procedure.pk != dossier.procedure_id:
            _add(
                errors,
                "procedure",
                _("Thủ tục không khớp với thủ tục của hồ sơ %(code)s."),
                code=dossier.code,
            )
    if channel == ResponseChannel.KIOSK and device is None:
        _add(errors, "device", _("Phiếu gửi từ thiết bị tại quầy phải có thiết bị đã kích hoạt."))
    if device is not None and (device.office_id != office.pk or device.revoked_at is not None):
        _add(errors, "device", _("Thiết bị này không được dùng để đánh giá cơ quan này."))
    if officer is not None and officer.office_id != office.pk:
        _add(errors, "officer", _("Công chức này không thuộc cơ quan này."))
    if submitted_at is not None:
        if timezone.is_naive(submitted_at):
            _add(errors, "submitted_at", _("Thời điểm gửi phải có múi giờ."))
        elif submitted_at > now + CLOCK_SKEW:
            _add(errors, "submitted_at", _("Thời điểm gửi không được ở trong tương lai."))
    if duration_seconds is not None and (
        isinstance(duration_seconds, bool)
        or not isinstance(duration_seconds, int)
        or duration_seconds < 0
    ):
        _add(errors, "duration_seconds", _("Thời gian trả lời phải là số giây không âm."))


def _already_rated(dossier):
    errors = {}
    _add(
        errors,
        "dossier",
        _("Hồ sơ %(code)s đã được đánh giá. Mỗi hồ sơ chỉ được đánh giá một lần."),
        code=dossier.code,
    )
    return ResponseError(errors, code="already_rated")


@functools.cache
def _response_slots():
    # Per concrete field of Response, in order: (attname, default, default is a factory).
    slots = []
    for field in Response._meta.concrete_fields:
        if field.has_default() and callable(field.default):
            slots.append((field.attname, field.default, True))
        else:
            slots.append((field.attname, field.get_default(), False))
    return slots


@functools.cache
def _response_relations():
    return {name: Response._meta.get_field(name) for name in _RELATED}


_RELATED = ("questionnaire", "office", "procedure", "dossier", "officer", "device")


def _response_new(values, related):
    """Return an unsaved Response with ``values`` (by attname) and ``related`` objects (by name).

    What ``Response(**kwargs)`` builds, for a third of its CPU: the values go
    straight into the instance's dict in field order (what the constructor's
    ``setattr`` per field does for a new instance: no field of Response has a
    descriptor that acts on a first assignment), and a related object is put
    in the instance's cache instead of going through its descriptor (router
    calls, type checks), its id in its column. Fields not given get their
    model default, a fresh one from a callable. While anything listens to
    Response's ``pre_init`` or ``post_init``, the constructor runs instead,
    so those receivers still see every instance made.
    """
    fields = _response_relations()
    for name, obj in related.items():
        if obj is not None:
            values[fields[name].attname] = obj.pk
    # Every concrete field, in field order (the constructor takes them positionally).
    row = {
        attname: values[attname] if attname in values else (default() if factory else default)
        for attname, default, factory in _response_slots()
    }
    if pre_init.has_listeners(Response) or post_init.has_listeners(Response):
        response = Response(*row.values())
    else:
        response = Response.__new__(Response)
        response.__dict__.update(row)
        response._state = ModelState()
    for name, obj in related.items():
        if obj is not None:
            fields[name].set_cached_value(response, obj)
    return response


def response_build(
    *,
    office: Office,
    channel: str,
    answers: dict[str, object],
    client_id: uuid.UUID | None = None,
    questionnaire: Questionnaire | None = None,
    procedure: Procedure | None = None,
    dossier: Dossier | None = None,
    device: KioskDevice | None = None,
    officer: Officer | None = None,
    submitted_at: datetime.datetime | None = None,
    duration_seconds: int | None = None,
    ip: str | None = None,
    language: str = "vi",
    contact: dict | None = None,
) -> tuple[Response, list[tuple[Question, dict]]]:
    """Return the unsaved response and its cleaned answers, or raise ResponseError.

    Writes nothing: imports call it to check every row before writing any.
    Reads the questionnaire's questions (cached once frozen) and, for a
    dossier, whether it already has a response.
    """
    language = language if language in ("vi", "en") else "vi"
    now = timezone.now()
    errors = {}
    if questionnaire is None:
        questionnaire = questionnaire_for_office(office=office)
    if procedure is None and dossier is not None:
        procedure = dossier.procedure
    _context_clean(
        office=office,
        channel=channel,
        procedure=procedure,
        dossier=dossier,
        device=device,
        officer=officer,
        submitted_at=submitted_at,
        duration_seconds=duration_seconds,
        now=now,
        errors=errors,
    )
    if not isinstance(answers, dict):
        _add(errors, "answers", _("Câu trả lời phải là một bảng mã câu hỏi → giá trị."))
        answers = {}
    cleaned = _answers_clean(
        questions=questionnaire_questions(questionnaire=questionnaire),
        answers=answers,
        errors=errors,
    )
    if not cleaned and not errors:
        _add(errors, "answers", _("Phiếu chưa có câu trả lời nào."))
    contact_fields = _contact_clean(contact, errors)
    if errors:
        raise ResponseError(errors)
    if dossier is not None and Response.objects.filter(dossier=dossier).exists():
        raise _already_rated(dossier)
    values = {
        "client_id": client_id or uuid.uuid4(),
        "channel": channel,
        "submitted_at": submitted_at or now,
        "duration_seconds": duration_seconds,
        "language": language,
        "ip_hash": ip_hash(ip),
        **contact_fields,
    }
    related = {
        "questionnaire": questionnaire,
        "office": office,
        "procedure": procedure,
        "dossier": dossier,
        "officer": officer,
        "device": device,
    }
    response = _response_new(values, related)
    return response, cleaned


def response_submit(**fields) -> tuple[Response, bool]:
    """Validate and store one response with its answers; return (response, created).

    Takes ``response_build``'s keyword arguments.

    A replay with a ``client_id`` already stored returns the stored response
    and ``created=False`` (also when two copies race: the unique constraint
    decides). A second response for the same dossier raises ResponseError
    with code "already_rated". ``language`` is the one the citizen used. The
    integrity checks and the follow-up hook run for it on commit
    (``SURVEY_CHECK_INLINE``) or within a minute (``responses_check_pending``).
    """
    response, answers = response_prepare(**fields)
    if answers is None:
        return response, False
    return response_save(response=response, answers=answers)


def response_prepare(**fields) -> tuple[Response, list[tuple[Question, dict]] | None]:
    """Return what ``response_submit`` stores, without writing: (unsaved response, answers).

    For a replay of a stored ``client_id`` whose payload no longer validates,
    return (stored response, None): that is the answer, nothing is to be
    saved. Raise ResponseError as ``response_submit`` does. Takes
    ``response_build``'s keyword arguments. Lets a caller
    finish its own checks (the API's rate limit) between validating and
    writing; ``response_save`` then stores the pair.
    """
    try:
        return response_build(**fields)
    except ResponseError:
        # A replay is answered with what was stored, even if its answers no
        # longer validate (a newer questionnaire version) or its dossier is
        # now rated (by this very response).
        client_id = fields.get("client_id")
        existing = Response.objects.filter(client_id=client_id).first() if client_id else None
        if existing is not None:
            return existing, None
        raise


def response_save(
    *, response: Response, answers: list[tuple[Question, dict]]
) -> tuple[Response, bool]:
    """Insert a built response and its answers atomically; return (response, created).

    The unique constraints on ``client_id`` and ``dossier`` settle races: a
    lost race on the client id returns the stored response, on the dossier
    raises ResponseError "already_rated". On PostgreSQL, once the
    questionnaire is frozen, this is one statement (one round trip, no
    savepoint); elsewhere a transaction with two inserts. The integrity
    checks and the follow-up hook run later for every response
    (``responses_check_pending``), or right after the commit when
    ``SURVEY_CHECK_INLINE`` is on.
    """
    if connection.vendor == "postgresql" and response.questionnaire.frozen:
        created = insert_one_statement(response, answers)
    else:
        created = _insert_in_transaction(response, answers)
    if not created:
        return _stored_instead(response), False
    if getattr(settings, "SURVEY_CHECK_INLINE", False):
        transaction.on_commit(lambda: _process_inline(response.pk))
    return response, True


def _insert_in_transaction(response, answers):
    questionnaire = response.questionnaire
    try:
        with transaction.atomic():
            response.save(force_insert=True)
            Answer.objects.bulk_create(
                Answer(response=response, question=question, **fields)
                for question, fields in answers
            )
            if not questionnaire.frozen:
                Questionnaire.objects.filter(pk=questionnaire.pk, frozen=False).update(frozen=True)
                questionnaire.frozen = True
    except IntegrityError:
        response.pk = None
        return False
    return True


def _stored_instead(response):
    """Return the response stored under ``response.client_id``; raise when the dossier is rated."""
    existing = Response.objects.filter(client_id=response.client_id).first()
    if existing is not None:
        return existing
    if response.dossier_id is not None and (
        Response.objects.filter(dossier_id=response.dossier_id).exists()
    ):
        raise _already_rated(response.dossier)
    raise IntegrityError(f"Response {response.client_id} conflicts with a row that is gone.")


def _process_inline(response_id):
    try:
        response_process(response_id=response_id)
    except Exception:
        # The response is stored and still unchecked: the periodic task retries it.
        logger.exception("Checks of response %s failed; the periodic task will retry", response_id)


def response_process(*, response_id: int) -> bool:
    """Run the integrity checks and the follow-up hook on one response once; return True if run.

    Claims the response by setting ``checked_at`` with a conditional update
    in the same transaction as the checks: another worker blocks on the row
    and then finds it claimed; a failure rolls the claim back, so a later
    run retries it. A handful of indexed queries (see ``response_check``).
    """
    from surveys.followups import followup_open_for
    from surveys.integrity import response_check

    with transaction.atomic():
        claimed = Response.objects.filter(pk=response_id, checked_at__isnull=True).update(
            checked_at=timezone.now()
        )
        if claimed != 1:
            return False
        response_check(response_id)
        followup_open_for(response_id)
    return True


def responses_check_pending(*, batch_size: int = 500, seconds: float = 50.0) -> int:
    """Process the responses still waiting for their checks, oldest first; return how many.

    Stops after ``seconds`` so one run (every minute, ``portal/beat.py``)
    does not overlap the next by much; what is left waits for the next run.
    A response whose checks fail is logged and left unchecked for the next
    run; the others go on. Safe to run in several workers at once
    (``response_process`` claims each row).
    """
    deadline = time.monotonic() + seconds
    done, after = 0, 0
    while time.monotonic() < deadline:
        ids = list(
            Response.objects.filter(checked_at__isnull=True, pk__gt=after)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        for response_id in ids:
            try:
                done += response_process(response_id=response_id)
            except Exception:
                logger.exception("Checks of response %s failed; retried next run", response_id)
            if time.monotonic() >= deadline:
                break
        if len(ids) < batch_size:
            break
        after = ids[-1]
    return done


def questionnaire_new_version(*, questionnaire: Questionnaire) -> Questionnaire:
    """Return a new, current, unfrozen copy of ``questionnaire`` with its criteria and questions.

    The copy gets the next version number; the old version stops being
    current and keeps its responses.
    """
    with transaction.atomic():
        latest = (
            Questionnaire.objects.select_for_update()
            .filter(code=questionnaire.code)
            .order_by("-version")
            .first()
        )
        Questionnaire.objects.filter(code=questionnaire.code, is_current=True).update(
            is_current=False
        )
        copy = Questionnaire.objects.create(
            code=questionnaire.code,
            version=latest.version + 1,
            name_vi=questionnaire.name_vi,
            name_en=questionnaire.name_en,
            description_vi=questionnaire.description_vi,
            description_en=questionnaire.description_en,
            is_current=True,
            frozen=False,
        )
        criteria = {}
        for criterion in questionnaire.criteria.order_by("order", "pk"):
            criteria[criterion.pk] = Criterion.objects.create(
                questionnaire=copy,
                code=criterion.code,
                name_vi=criterion.name_vi,
                name_en=criterion.name_en,
                order=criterion.order,
                weight=criterion.weight,
            )
        Question.objects.bulk_create(
            Question(
                questionnaire=copy,
                criterion=criteria.get(question.criterion_id),
                code=question.code,
                text_vi=question.text_vi,
                text_en=question.text_en,
                kind=question.kind,
                options=question.options,
                required=question.required,
                order=question.order,
                counts_toward_satisfaction=question.counts_toward_satisfaction,
            )
            for question in questionnaire.questions.order_by("order", "pk")
        )
    return copy


# Tallied paper or legacy responses: one row per response, one column per question code.
IMPORT_FIELDS = ("client_id", "office", "procedure", "dossier", "channel", "submitted_at")
IMPORT_CLIENT_ID_NAMESPACE = uuid.UUID("6f1d3c2e-52a4-4b1e-9a55-3c0f7f1e2b10")


def import_client_id(value: str) -> uuid.UUID:
    """Return the UUID in ``value``, or one derived from it for a legacy id ("PHIEU-17").

    Deriving keeps a re-import of the same file from storing rows twice.
    """
    try:
        return uuid.UUID(value)
    except ValueError:
        return uuid.uuid5(IMPORT_CLIENT_ID_NAMESPACE, value)


def responses_import(*, source, skip_invalid: bool = False, name: str | None = None):
    """Import responses from a CSV/XLSX file; return the ``ImportReport``.

    Headers: ``client_id,office,procedure,dossier,channel,submitted_at,questionnaire``
    then one column per question code. Every row is validated like any other
    submission (``response_build``); nothing is written if any row is bad,
    unless ``skip_invalid``. Rows whose client id is already stored are left
    as they are (a re-import adds nothing). Queries: one per lookup table,
    then a few per row.
    """
    from offices.importing import Columns, RowError, RowInvalid, run_import

    current = {q.code: q for q in Questionnaire.objects.filter(is_current=True)}
    questions = {code: questionnaire_questions(questionnaire=q) for code, q in current.items()}
    all_codes = sorted({question.code for qs in questions.values() for question in qs})
    columns = Columns(
        required=("client_id", "office", "submitted_at", "questionnaire"),
        optional=("procedure", "dossier", "channel", *all_codes),
    )
    offices = {}
    for office in Office.objects.select_related("unit"):
        offices[office.code] = offices[office.slug] = office

    def clean(row):
        raw_id = row.text("client_id", max_length=100)
        office_key = row.text("office")
        submitted_at = row.datetime("submitted_at")
        code = row.text("questionnaire", required=False)
        channel = row.choice("channel", ResponseChannel, required=False, default="paper")
        procedure_code = row.text("procedure", required=False)
        dossier_code = row.text("dossier", required=False)
        office = offices.get(office_key) if office_key else None
        if office_key and office is None:
            row.error("office", _("không có cơ quan mã hoặc slug “%(value)s”"), value=office_key)
        questionnaire = None
        if code:
            questionnaire = current.get(code)
            if questionnaire is None:
                row.error("questionnaire", _("không có bộ câu hỏi “%(value)s”"), value=code)
        elif office is not None:
            questionnaire = questionnaire_for_office(office=office)
        procedure = dossier = None
        if procedure_code:
            procedure = Procedure.objects.filter(code=procedure_code).first()
            if procedure is None:
                row.error("procedure", _("không có thủ tục mã “%(value)s”"), value=procedure_code)
        if dossier_code:
            dossier = Dossier.objects.select_related("procedure").filter(code=dossier_code).first()
            if dossier is None:
                row.error("dossier", _("không có hồ sơ mã “%(value)s”"), value=dossier_code)
        if row.errors or questionnaire is None:
            return None
        mine = {question.code for question in questions[questionnaire.code]}
        answers = {}
        for column in all_codes:
            value = row.raw(column)
            value = value.strip() if isinstance(value, str) else value
            if value in ("", None):
                continue
            if column not in mine:
                row.error(
                    column,
                    _("bộ câu hỏi “%(questionnaire)s” không có câu hỏi này; để trống ô"),
                    questionnaire=questionnaire.code,
                )
                continue
            answers[column] = value
        client_id = import_client_id(raw_id)
        if row.errors:
            return None
        if Response.objects.filter(client_id=client_id).exists():
            return {"existing": True, "client_id": client_id}
        kwargs = {
            "office": office,
            "channel": channel,
            "answers": answers,
            "client_id": client_id,
            "questionnaire": questionnaire,
            "procedure": procedure,
            "dossier": dossier,
            "submitted_at": submitted_at,
        }
        try:
            response_build(**kwargs)
        except ResponseError as exc:
            for key, messages in exc.details.items():
                for message, params in messages:
                    row.error(key, message, **params)
            return None
        return kwargs

    def check(cleaned):
        seen_ids, seen_dossiers = {}, {}
        for item in cleaned:
            data = item.data
            if data["client_id"] in seen_ids:
                yield RowError(
                    item.number,
                    "client_id",
                    _("trùng client_id với dòng %(other)s"),
                    {"other": seen_ids[data["client_id"]]},
                )
            seen_ids.setdefault(data["client_id"], item.number)
            dossier = data.get("dossier")
            if dossier is not None:
                if dossier.pk in seen_dossiers:
                    yield RowError(
                        item.number,
                        "dossier",
                        _("hồ sơ đã có phiếu ở dòng %(other)s; mỗi hồ sơ chỉ một phiếu"),
                        {"other": seen_dossiers[dossier.pk]},
                    )
                seen_dossiers.setdefault(dossier.pk, item.number)

    def write(cleaned):
        created = 0
        for item in cleaned:
            if item.data.get("existing"):
                continue
            try:
                _response, was_created = response_submit(**item.data)
            except ResponseError as exc:
                raise RowInvalid(
                    [
                        RowError(item.number, key, message, params)
                        for key, messages in exc.details.items()
                        for message, params in messages
                    ]
                ) from exc
            created += int(was_created)
        return created, 0

    return run_import(
        source,
        columns=columns,
        clean_row=clean,
        write=write,
        check=check,
        skip_invalid=skip_invalid,
        name=name,
    )
