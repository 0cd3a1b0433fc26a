"""Questionnaires (versioned), criteria, questions, responses, answers, kiosks, follow-ups."""

import re
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from offices.models import AdministrativeUnit, Dossier, Office, Officer, Procedure


class Questionnaire(models.Model):
    """One version of a questionnaire; frozen once it has answers.

    ``code`` is stable across versions; editing a frozen version creates the
    next ``version`` and old responses keep pointing at theirs.
    """

    code = models.SlugField(_("mã"), max_length=50)
    version = models.PositiveIntegerField(_("phiên bản"), default=1)
    name_vi = models.CharField(_("tên (tiếng Việt)"), max_length=255)
    name_en = models.CharField(_("tên (tiếng Anh)"), max_length=255, blank=True)
    description_vi = models.TextField(_("mô tả (tiếng Việt)"), blank=True)
    description_en = models.TextField(_("mô tả (tiếng Anh)"), blank=True)
    is_current = models.BooleanField(_("phiên bản đang dùng"), default=True)
    frozen = models.BooleanField(_("đã khoá (có câu trả lời)"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("bộ câu hỏi")
        verbose_name_plural = _("bộ câu hỏi")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="questionnaire_code_version"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(is_current=True), name="questionnaire_one_current"
            ),
        ]

    def __str__(self):
        return f"{self.name_vi} (v{self.version})"


class Criterion(models.Model):
    """A SIPAS element or another group of questions that forms a sub-index."""

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="criteria"
    )
    code = models.SlugField(_("mã"), max_length=50)
    name_vi = models.CharField(_("tên (tiếng Việt)"), max_length=255)
    name_en = models.CharField(_("tên (tiếng Anh)"), max_length=255, blank=True)
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)
    weight = models.DecimalField(_("trọng số"), max_digits=6, decimal_places=3, default=1)

    class Meta:
        verbose_name = _("tiêu chí")
        verbose_name_plural = _("tiêu chí")
        ordering = ["questionnaire", "order"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "code"], name="criterion_code")
        ]

    def __str__(self):
        return self.name_vi


class QuestionKind(models.TextChoices):
    SCALE5 = "scale5", _("Thang 5 mức")
    SCALE3 = "scale3", _("Thang 3 mức (mặt cười)")
    YES_NO = "yes_no", _("Có/Không")
    SINGLE = "single", _("Chọn một")
    MULTIPLE = "multiple", _("Chọn nhiều")
    SHORT_TEXT = "short_text", _("Văn bản ngắn")
    LONG_TEXT = "long_text", _("Văn bản dài")


class Question(models.Model):
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="questions"
    )
    criterion = models.ForeignKey(
        Criterion, null=True, blank=True, on_delete=models.SET_NULL, related_name="questions"
    )
    code = models.SlugField(_("mã"), max_length=50)
    text_vi = models.CharField(_("câu hỏi (tiếng Việt)"), max_length=500)
    text_en = models.CharField(_("câu hỏi (tiếng Anh)"), max_length=500, blank=True)
    kind = models.CharField(_("loại"), max_length=12, choices=QuestionKind.choices)
    # For single/multiple choice: [{"value": "...", "label_vi": "...", "label_en": "..."}]
    options = models.JSONField(_("lựa chọn"), default=list, blank=True)
    required = models.BooleanField(_("bắt buộc"), default=False)
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)
    counts_toward_satisfaction = models.BooleanField(_("tính vào mức độ hài lòng"), default=False)

    class Meta:
        verbose_name = _("câu hỏi")
        verbose_name_plural = _("câu hỏi")
        ordering = ["questionnaire", "order"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "code"], name="question_code")
        ]

    def __str__(self):
        return f"{self.code}: {self.text_vi}"

    SCALE_LEVELS = {QuestionKind.SCALE5: 5, QuestionKind.SCALE3: 3}
    SATISFIED_FROM = {QuestionKind.SCALE5: 4, QuestionKind.SCALE3: 2}
    SHORT_TEXT_MAX = 255
    LONG_TEXT_MAX = 2000

    def text(self, language="vi"):
        """Return the question text in ``language`` (Vietnamese when no English is set)."""
        return (self.text_en if language == "en" else "") or self.text_vi

    def option_values(self):
        """Return the option values of a choice question, in order."""
        return [str(option["value"]) for option in self.options or []]

    def option_label(self, value, language="vi"):
        """Return the label of option ``value`` in ``language``."""
        for option in self.options or []:
            if str(option["value"]) == str(value):
                label_en = option.get("label_en") if language == "en" else ""
                return label_en or option.get("label_vi") or str(value)
        return str(value)

    def answer_fields(self, raw):
        """Return the Answer fields for the raw value ``raw``, or None when unanswered.

        Raw values come from forms, JSON or CSV: scales take their level (1–5 or
        1–3, higher is better) as a number or digit string; yes/no takes
        true/false, 1/0, yes/no, có/không; multiple choice a list or a string
        separated by "|", ";" or ",". Raises ValidationError with a message
        that says what was wrong.
        """
        if _is_blank(raw):
            if self.required:
                raise ValidationError(_("Câu hỏi này bắt buộc trả lời."), code="required")
            return None
        fields = {"value_int": None, "value_text": "", "value_choices": [], "satisfied": None}
        if self.kind in self.SCALE_LEVELS:
            top = self.SCALE_LEVELS[self.kind]
            level = _as_int(raw)
            if level is None or not 1 <= level <= top:
                raise ValidationError(
                    _("Hãy chọn một mức từ 1 đến %(top)s (nhận được: %(value)s)."),
                    code="scale",
                    params={"top": top, "value": _shown(raw)},
                )
            fields["value_int"] = level
            if self.counts_toward_satisfaction:
                fields["satisfied"] = level >= self.SATISFIED_FROM[self.kind]
        elif self.kind == QuestionKind.YES_NO:
            answer = _as_yes_no(raw)
            if answer is None:
                raise ValidationError(
                    _("Hãy trả lời Có hoặc Không (nhận được: %(value)s)."),
                    code="yes_no",
                    params={"value": _shown(raw)},
                )
            fields["value_int"] = int(answer)
        elif self.kind == QuestionKind.SINGLE:
            value = str(raw).strip() if isinstance(raw, str | int) else None
            if value is None or value not in self.option_values():
                raise ValidationError(
                    _("“%(value)s” không phải là lựa chọn của câu hỏi này (có: %(options)s)."),
                    code="choice",
                    params={"value": _shown(raw), "options": ", ".join(self.option_values())},
                )
            fields["value_text"] = value
        elif self.kind == QuestionKind.MULTIPLE:
            fields["value_choices"] = self._clean_choices(raw)
        elif self.kind in (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT):
            if not isinstance(raw, str):
                raise ValidationError(_("Câu trả lời phải là văn bản."), code="text")
            value = raw.strip()
            limit = (
                self.SHORT_TEXT_MAX if self.kind == QuestionKind.SHORT_TEXT else self.LONG_TEXT_MAX
            )
            if len(value) > limit:
                raise ValidationError(
                    _("Câu trả lời dài tối đa %(limit)s ký tự (hiện có %(length)s)."),
                    code="too_long",
                    params={"limit": limit, "length": len(value)},
                )
            fields["value_text"] = value
        else:  # pragma: no cover - kinds are a closed set
            raise ValidationError(_("Loại câu hỏi không hợp lệ."), code="kind")
        return fields

    def _clean_choices(self, raw):
        if isinstance(raw, str):
            items = [part.strip() for part in re.split(r"[|;,]", raw) if part.strip()]
        elif isinstance(raw, list | tuple):
            items = [str(part).strip() if isinstance(part, str | int) else part for part in raw]
        else:
            items = None
        allowed = self.option_values()
        if items is None or any(not isinstance(item, str) for item in items):
            raise ValidationError(
                _("Hãy gửi danh sách các lựa chọn (nhận được: %(value)s)."),
                code="choices",
                params={"value": _shown(raw)},
            )
        for item in items:
            if item not in allowed:
                raise ValidationError(
                    _("“%(value)s” không phải là lựa chọn của câu hỏi này (có: %(options)s)."),
                    code="choice",
                    params={"value": item, "options": ", ".join(allowed)},
                )
        if len(set(items)) != len(items):
            raise ValidationError(_("Mỗi lựa chọn chỉ được chọn một lần."), code="duplicate")
        if not items and self.required:
            raise ValidationError(_("Câu hỏi này bắt buộc trả lời."), code="required")
        return items


def _is_blank(raw):
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    if isinstance(raw, list | tuple):
        return len(raw) == 0
    return False


def _shown(raw):
    text = str(raw)
    return text if len(text) <= 40 else f"{text[:40]}…"


def _as_int(raw):
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str) and raw.strip().isdigit():
        return int(raw.strip())
    return None


_YES = {"1", "true", "yes", "y", "có", "co", "c"}
_NO = {"0", "false", "no", "n", "không", "khong", "k"}


def _as_yes_no(raw):
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        word = raw.strip().lower()
        if word in _YES:
            return True
        if word in _NO:
            return False
    return None


class QuestionnaireAssignment(models.Model):
    """Which questionnaire (by code) a unit's offices, or one office, use."""

    questionnaire_code = models.SlugField(_("mã bộ câu hỏi"), max_length=50)
    unit = models.OneToOneField(
        AdministrativeUnit,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="questionnaire_assignment",
    )
    office = models.OneToOneField(
        Office,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="questionnaire_assignment",
    )

    class Meta:
        verbose_name = _("áp dụng bộ câu hỏi")
        verbose_name_plural = _("áp dụng bộ câu hỏi")
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__isnull=False, office__isnull=True)
                | Q(unit__isnull=True, office__isnull=False),
                name="assignment_unit_xor_office",
            )
        ]

    def __str__(self):
        return f"{self.questionnaire_code} → {self.office or self.unit}"


class KioskDevice(models.Model):
    """A tablet at an office's counter; authenticates with a hashed token."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="kiosks")
    name = models.CharField(_("tên thiết bị"), max_length=100)
    setup_token_hash = models.CharField(max_length=128, blank=True)
    setup_expires_at = models.DateTimeField(null=True, blank=True)
    token_hash = models.CharField(max_length=128, blank=True, db_index=True)
    activated_at = models.DateTimeField(_("kích hoạt lúc"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("thu hồi lúc"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("hoạt động gần nhất"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("thiết bị đánh giá tại quầy")
        verbose_name_plural = _("thiết bị đánh giá tại quầy")

    def __str__(self):
        return f"{self.name} – {self.office}"


class ResponseChannel(models.TextChoices):
    LINK = "link", _("Đường dẫn")
    QR = "qr", _("Mã QR trên phiếu hẹn")
    KIOSK = "kiosk", _("Thiết bị tại quầy")
    PAPER = "paper", _("Phiếu giấy")
    API = "api", _("Ứng dụng khác (API)")


class Response(models.Model):
    """One citizen's submitted questionnaire."""

    client_id = models.UUIDField(_("mã phía máy khách"), unique=True, default=uuid.uuid4)
    # No database constraint on the questionnaire and the office: every
    # submission names one of a few questionnaire rows and its office's row,
    # and PostgreSQL's check locks the referenced row (FOR KEY SHARE) in each
    # inserting transaction, so concurrent submissions pile shared locks
    # (multixacts) on the same rows. Neither is ever deleted under its
    # responses (PROTECT, in Django): questionnaires get new versions,
    # offices are deactivated.
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="responses", db_constraint=False
    )
    # No index of its own: response_office_time_idx (office, submitted_at) serves it.
    office = models.ForeignKey(
        Office,
        on_delete=models.PROTECT,
        related_name="responses",
        db_index=False,
        db_constraint=False,
    )
    procedure = models.ForeignKey(
        Procedure, null=True, blank=True, on_delete=models.PROTECT, related_name="responses"
    )
    dossier = models.OneToOneField(
        Dossier, null=True, blank=True, on_delete=models.PROTECT, related_name="response"
    )
    # Officer, device and flag_cleared_by are empty on most responses: their
    # indexes (Meta) leave the NULLs out, so a web submission skips them.
    officer = models.ForeignKey(
        Officer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="responses",
        db_index=False,
    )
    channel = models.CharField(_("kênh"), max_length=10, choices=ResponseChannel.choices)
    device = models.ForeignKey(
        KioskDevice,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="responses",
        db_index=False,
    )
    submitted_at = models.DateTimeField(_("thời điểm gửi"), db_index=True)
    duration_seconds = models.PositiveIntegerField(_("thời gian trả lời (giây)"), null=True)
    language = models.CharField(max_length=5, default="vi")
    ip_hash = models.CharField(max_length=64, blank=True)
    contact_requested = models.BooleanField(_("muốn được liên hệ"), default=False)
    contact_consent = models.BooleanField(_("đồng ý cung cấp liên hệ"), default=False)
    contact_phone = models.CharField(_("điện thoại"), max_length=20, blank=True)
    contact_email = models.EmailField(_("email"), blank=True)
    flagged = models.BooleanField(_("bị đánh dấu nghi vấn"), default=False)
    flag_reasons = models.JSONField(_("lý do đánh dấu"), default=list, blank=True)
    flag_cleared_at = models.DateTimeField(null=True, blank=True)
    flag_cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Set once the integrity checks and the follow-up hook ran
    # (surveys.services.responses_check_pending); NULL means "still to do".
    checked_at = models.DateTimeField(_("đã kiểm tra lúc"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("phiếu đánh giá")
        verbose_name_plural = _("phiếu đánh giá")
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(fields=["office", "submitted_at"], name="response_office_time_idx"),
            # Small: only the responses still waiting for their checks.
            models.Index(
                fields=["id"], condition=Q(checked_at__isnull=True), name="response_unchecked_idx"
            ),
            # Small: the review list of flagged responses, newest first.
            models.Index(
                fields=["-submitted_at"], condition=Q(flagged=True), name="response_flagged_idx"
            ),
            models.Index(
                fields=["device"], condition=Q(device__isnull=False), name="response_device_idx"
            ),
            models.Index(
                fields=["officer"], condition=Q(officer__isnull=False), name="response_officer_idx"
            ),
            models.Index(
                fields=["flag_cleared_by"],
                condition=Q(flag_cleared_by__isnull=False),
                name="response_cleared_by_idx",
            ),
        ]

    def __str__(self):
        return str(self.client_id)


class Answer(models.Model):
    """One answer; scales store their level (higher is better) in ``value_int``.

    ``satisfied`` is set when the answer is written, for questions that count
    toward satisfaction: level ≥ 4 on the 5-level scale, ≥ 2 on the 3-level one.
    """

    # No index of its own: the answer_once key (response, question) serves it.
    response = models.ForeignKey(
        Response, on_delete=models.CASCADE, related_name="answers", db_index=False
    )
    # No database constraint, as Response.questionnaire: a few question rows
    # are named by every answer in the country.
    question = models.ForeignKey(
        Question, on_delete=models.PROTECT, related_name="answers", db_constraint=False
    )
    value_int = models.SmallIntegerField(null=True, blank=True)
    value_text = models.TextField(blank=True)
    value_choices = models.JSONField(default=list, blank=True)
    satisfied = models.BooleanField(null=True)

    class Meta:
        verbose_name = _("câu trả lời")
        verbose_name_plural = _("câu trả lời")
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="answer_once")]

    def __str__(self):
        value = self.value_int if self.value_int is not None else self.value_text
        return f"{self.question.code}={value}"


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("Mới tiếp nhận")
    ASSIGNED = "assigned", _("Đang xử lý")
    ANSWERED = "answered", _("Đã trả lời")
    CLOSED = "closed", _("Đã đóng")


class FollowUp(models.Model):
    """A complaint or low rating the office must answer within 15 working days."""

    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="follow_up")
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="follow_ups")
    status = models.CharField(
        _("trạng thái"),
        max_length=10,
        choices=FollowUpStatus.choices,
        default=FollowUpStatus.OPEN,
    )
    reason = models.TextField(_("nội dung phản ánh"), blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
    )
    opened_at = models.DateTimeField(_("ngày tiếp nhận"))
    due_at = models.DateTimeField(_("hạn xử lý"))
    reply = models.TextField(_("nội dung trả lời"), blank=True)
    replied_at = models.DateTimeField(_("ngày trả lời"), null=True, blank=True)
    closed_at = models.DateTimeField(_("ngày đóng"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("ngày chuyển cấp trên"), null=True, blank=True)
    citizen_satisfied = models.BooleanField(_("người dân hài lòng với trả lời"), null=True)
    reply_sent_at = models.DateTimeField(_("đã gửi trả lời lúc"), null=True, blank=True)
    reply_sent_via = models.CharField(_("gửi trả lời qua"), max_length=20, blank=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("phản ánh, kiến nghị")
        verbose_name_plural = _("phản ánh, kiến nghị")
        ordering = ["due_at"]

    def __str__(self):
        return f"{self.office} – {self.opened_at:%d/%m/%Y}"
