"""Serializers of the responses API: shapes only, every rule is in ``response_submit``.

``submission_data`` is the hot path of ``POST /api/v1/responses/``: it takes
the common payload without building a serializer (DRF deep-copies its 17
declared fields on every instantiation) and hands anything else to
``ResponseSubmitSerializer``, which stays the one source of error messages
and of the OpenAPI schema.
"""

import re
import uuid

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from surveys.models import ResponseChannel


class ContactSerializer(serializers.Serializer):
    requested = serializers.BooleanField(
        default=False, help_text=_("Người dân muốn được liên hệ lại.")
    )
    consent = serializers.BooleanField(
        default=False, help_text=_("Người dân đồng ý cho dùng thông tin liên hệ.")
    )
    phone = serializers.CharField(required=False, allow_blank=True, max_length=20)
    email = serializers.CharField(required=False, allow_blank=True, max_length=254)


class ResponseSubmitSerializer(serializers.Serializer):
    client_id = serializers.UUIDField(
        required=False,
        help_text=_(
            "Mã do máy khách tạo cho phiếu (UUID). Gửi lại cùng mã sẽ không tạo phiếu thứ hai."
        ),
    )
    office = serializers.SlugField(
        required=False,
        help_text=_("Đường dẫn công khai (slug) của cơ quan; thiết bị tại quầy không cần gửi."),
    )
    token = serializers.CharField(
        required=False,
        max_length=500,
        help_text=_("Mã trong đường dẫn QR của hồ sơ (/s/d/<token>/): điền cơ quan và hồ sơ."),
    )
    channel = serializers.ChoiceField(
        choices=ResponseChannel.choices,
        required=False,
        help_text=_("Mặc định: kiosk cho thiết bị, qr khi có token, api cho tài khoản, link."),
    )
    questionnaire = serializers.SlugField(
        required=False, help_text=_("Mã bộ câu hỏi; mặc định là bộ cơ quan đang dùng.")
    )
    questionnaire_version = serializers.IntegerField(required=False, min_value=1)
    answers = serializers.DictField(
        child=serializers.JSONField(),
        help_text=_(
            "Mã câu hỏi → giá trị: thang điểm là số mức (1–5 hoặc 1–3, cao hơn là tốt hơn), "
            "Có/Không là true/false, chọn nhiều là danh sách, văn bản là chuỗi."
        ),
    )
    procedure = serializers.CharField(
        required=False, allow_blank=True, max_length=50, help_text=_("Mã thủ tục.")
    )
    dossier = serializers.CharField(
        required=False, allow_blank=True, max_length=64, help_text=_("Mã hồ sơ (tài khoản API).")
    )
    officer = serializers.CharField(
        required=False, allow_blank=True, max_length=50, help_text=_("Mã cán bộ.")
    )
    submitted_at = serializers.DateTimeField(required=False)
    duration_seconds = serializers.IntegerField(required=False, min_value=0, max_value=86400)
    language = serializers.ChoiceField(choices=[("vi", "vi"), ("en", "en")], default="vi")
    contact = ContactSerializer(required=False)
    website = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=_("Bẫy chống phiếu tự động: luôn để trống."),
    )


class ResponseResultSerializer(serializers.Serializer):
    client_id = serializers.UUIDField()
    created = serializers.BooleanField(
        help_text=_("false khi phiếu cùng client_id đã được lưu trước đó.")
    )
    office = serializers.CharField(help_text=_("Slug của cơ quan."))
    questionnaire = serializers.CharField()
    questionnaire_version = serializers.IntegerField()
    channel = serializers.CharField()
    submitted_at = serializers.DateTimeField()


class ResponseErrorSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="invalid | already_rated | rate_limited | forbidden | link_expired | link_invalid"
    )
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=_("Mã câu hỏi hoặc tên trường → thông báo (tiếng Việt / tiếng Anh)."),
    )


class ResponseSubmitError(Exception):
    """The payload does not fit ``ResponseSubmitSerializer``; ``errors`` as the serializer says."""

    def __init__(self, errors):
        super().__init__(str(errors))
        self.errors = errors


_SLUG_RE = re.compile(r"[-a-zA-Z0-9_]+")
_CHANNELS = frozenset(ResponseChannel.values)
_LANGUAGES = frozenset(("vi", "en"))
# Fields the fast path checks itself: name -> (kind, max_length or allowed values).
_FAST_FIELDS = {
    "client_id": ("uuid", None),
    "office": ("slug", None),
    "questionnaire": ("slug", None),
    "token": ("text", 500),
    "procedure": ("blank_text", 50),
    "dossier": ("blank_text", 64),
    "officer": ("blank_text", 50),
    "website": ("blank_text", None),
    "channel": ("choice", _CHANNELS),
    "language": ("choice", _LANGUAGES),
    "questionnaire_version": ("int", (1, None)),
    "duration_seconds": ("int", (0, 86400)),
    "answers": ("answers", None),
}


def _plain_text(value, max_length):
    # What CharField accepts unchanged: a trimmed ASCII string without NUL
    # (anything else, e.g. surrogates or numbers to coerce, goes the long way).
    return (
        type(value) is str
        and value.isascii()
        and "\x00" not in value
        and value == value.strip()
        and (max_length is None or len(value) <= max_length)
    )


def _fast_value(kind, rule, value):
    """Return (True, validated value) when the serializer would accept ``value`` as is."""
    if kind == "uuid":
        if type(value) is str:
            try:
                return True, uuid.UUID(hex=value)
            except ValueError:
                return False, None
    elif kind == "slug":
        if _plain_text(value, None) and _SLUG_RE.fullmatch(value):
            return True, value
    elif kind == "text":
        if value and _plain_text(value, rule):
            return True, value
    elif kind == "blank_text":
        if _plain_text(value, rule):
            return True, value
    elif kind == "choice":
        if type(value) is str and value in rule:
            return True, value
    elif kind == "int":
        low, high = rule
        if type(value) is int and value >= low and (high is None or value <= high):
            return True, value
    elif kind == "answers" and type(value) is dict and None not in value.values():
        # DictField(child=JSONField()): any JSON value but null.
        return True, value
    return False, None


def submission_plain(data) -> dict | None:
    """Return the validated payload when it is plain, else None (the serializer must decide).

    Plain: only the fields above, each already in its final form; the
    result is what ``ResponseSubmitSerializer`` would give.
    """
    if type(data) is not dict or "answers" not in data:
        return None
    validated = {}
    for name, value in data.items():
        spec = _FAST_FIELDS.get(name)
        if spec is None:
            if name in ResponseSubmitSerializer._declared_fields:
                return None  # contact, submitted_at: let the serializer parse them
            continue  # unknown keys are ignored, as by the serializer
        ok, clean = _fast_value(*spec, value)
        if not ok:
            return None
        validated[name] = clean
    validated.setdefault("language", "vi")
    return validated


def submission_data(data) -> dict:
    """Return the validated submission payload, as ``ResponseSubmitSerializer`` gives it.

    Plain payloads are taken as they are (``submission_plain``); any other
    payload, including every invalid one, goes through the serializer, so
    the rules and messages are the serializer's. Raises ResponseSubmitError
    with the serializer's errors.
    """
    validated = submission_plain(data)
    if validated is not None:
        return validated
    serializer = ResponseSubmitSerializer(data=data)
    if not serializer.is_valid():
        raise ResponseSubmitError(serializer.errors)
    return serializer.validated_data


def _datetime_json(value):
    """Return ``value`` as DRF's DateTimeField renders it (ISO 8601, local time, "Z" for UTC)."""
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def response_result(*, response, created: bool) -> dict:
    """Return the body of a stored submission, as ``ResponseResultSerializer`` renders it."""
    return {
        "client_id": str(response.client_id),
        "created": created,
        "office": response.office.slug,
        "questionnaire": response.questionnaire.code,
        "questionnaire_version": response.questionnaire.version,
        "channel": response.channel,
        "submitted_at": _datetime_json(response.submitted_at),
    }
