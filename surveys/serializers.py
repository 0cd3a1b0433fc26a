"""Serializers of the responses API: shapes only, every rule is in ``response_submit``."""

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
