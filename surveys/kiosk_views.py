"""Kiosk pages: device registration for offices, the one-time setup link, the kiosk itself.

The kiosk page is a static shell (``static/js/kiosk.js``); it reads its
device token from localStorage, loads its configuration from
``surveys-kiosk-config`` and posts answers to the responses API.
"""

import base64
import io

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    throttle_classes,
)
from rest_framework.response import Response as ApiResponse

from offices.access import office_for_user_or_404, require_office_manager, scope_for
from surveys.kiosk_auth import (
    DeviceAuthentication,
    IsKioskDevice,
    KioskError,
    kiosk_activate,
    kiosk_register,
    kiosk_revoke,
    kiosk_setup_device,
)
from surveys.models import KioskDevice, QuestionKind, Questionnaire

KIOSK_QUESTIONNAIRE = "counter"
SCALE3_LABELS = {
    3: _("Rất hài lòng"),
    2: _("Hài lòng"),
    1: _("Không hài lòng"),
}


def _setting(name, default):
    return int(getattr(settings, name, default))


def _qr_data_uri(text):
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@login_required
def kiosk_offices(request):
    """List the offices whose kiosks the user may manage (office staff go straight to theirs)."""
    scope = scope_for(request.user)
    if not scope.can_manage_office:
        raise PermissionDenied
    if scope.office is not None:
        return redirect("surveys-kiosk-devices", slug=scope.office.slug)
    offices = (
        scope.offices()
        .filter(active=True)
        .annotate(
            device_count=Count("kiosks", filter=Q(kiosks__revoked_at__isnull=True), distinct=True)
        )
        .order_by("name")
    )
    query = request.GET.get("q", "").strip()
    if query:
        offices = offices.filter(Q(name__icontains=query) | Q(code__icontains=query))
    return render(
        request,
        "surveys/kiosk_offices.html",
        {"offices": offices[:200], "query": query},
    )


@login_required
def kiosk_devices(request, slug):
    """List an office's devices; POST registers a new one and shows its setup link once."""
    office = office_for_user_or_404(request.user, slug=slug)
    require_office_manager(request.user, office)
    created = None
    if request.method == "POST":
        try:
            device, setup_token = kiosk_register(
                office=office, name=request.POST.get("name", ""), by=request.user
            )
        except KioskError as exc:
            messages.error(request, str(exc))
        else:
            link = settings.SITE_URL + reverse("surveys-kiosk-setup", args=[setup_token])
            created = {"device": device, "link": link, "qr": _qr_data_uri(link)}
    devices = office.kiosks.order_by("revoked_at", "name", "pk")
    return render(
        request,
        "surveys/kiosk_devices.html",
        {"office": office, "devices": devices, "created": created},
        status=200,
    )


@login_required
@require_POST
def kiosk_device_revoke(request, slug, pk):
    office = office_for_user_or_404(request.user, slug=slug)
    require_office_manager(request.user, office)
    device = get_object_or_404(KioskDevice, pk=pk, office=office)
    kiosk_revoke(device=device)
    messages.success(request, gettext("Đã thu hồi thiết bị “%(name)s”.") % {"name": device.name})
    return redirect("surveys-kiosk-devices", slug=office.slug)


@never_cache
def kiosk_setup(request, token):
    """GET shows the device to activate; POST exchanges the link for a device token."""
    if request.method == "POST":
        try:
            device, device_token = kiosk_activate(setup_token=token)
        except KioskError as exc:
            return render(request, "surveys/kiosk_setup.html", {"error": str(exc)}, status=410)
        return render(
            request,
            "surveys/kiosk_setup.html",
            {
                "activated": device,
                "boot": {"token": device_token, "kiosk_url": reverse("surveys-kiosk")},
            },
        )
    device = kiosk_setup_device(setup_token=token)
    if device is None:
        return render(
            request,
            "surveys/kiosk_setup.html",
            {
                "error": gettext(
                    "Đường dẫn cài đặt không hợp lệ, đã dùng hoặc đã hết hạn. "
                    "Hãy tạo đường dẫn mới."
                )
            },
            status=410,
        )
    return render(request, "surveys/kiosk_setup.html", {"device": device})


def _ui_strings():
    """Return the kiosk's texts in the active language."""
    return {
        "title": gettext("Ông/bà đánh giá thế nào về việc giải quyết thủ tục hôm nay?"),
        "procedure": gettext("Thủ tục (không bắt buộc)"),
        "procedure_none": gettext("— Chọn thủ tục —"),
        "reason": gettext("Chưa hài lòng vì điều gì? (không bắt buộc)"),
        "comment": gettext("Góp ý thêm (không bắt buộc)"),
        "send": gettext("Gửi đánh giá"),
        "back": gettext("Quay lại"),
        "thanks": gettext("Cảm ơn ông/bà đã đánh giá!"),
        "thanks_sub": gettext("Ý kiến của ông/bà giúp chúng tôi phục vụ tốt hơn."),
        "pending": gettext("đánh giá đang chờ gửi (mất kết nối)"),
        "revoked": gettext("Thiết bị đã bị thu hồi"),
        "revoked_sub": gettext(
            "Thiết bị này không còn được dùng để đánh giá. Hãy liên hệ cán bộ quản trị."
        ),
        "not_setup": gettext("Thiết bị chưa được cài đặt"),
        "not_setup_sub": gettext(
            "Hãy mở đường dẫn cài đặt do cán bộ quản trị cấp cho thiết bị này."
        ),
        "loading": gettext("Đang tải…"),
        "offline": gettext("Chưa tải được cấu hình. Đang thử lại…"),
        "language": "English",
    }


def _submit_url():
    try:
        return reverse("surveys-api-responses")
    except NoReverseMatch:
        return "/api/v1/responses/"


@never_cache
def kiosk_page(request):
    """Render the full-screen kiosk shell; everything else happens in kiosk.js."""
    strings = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            strings[code] = _ui_strings()
    strings["vi"]["language"], strings["en"]["language"] = "English", "Tiếng Việt"
    boot = {
        "config_url": reverse("surveys-kiosk-config"),
        "submit_url": _submit_url(),
        "strings": strings,
        "idle_seconds": _setting("KIOSK_IDLE_SECONDS", 60),
        "thanks_seconds": _setting("KIOSK_THANKS_SECONDS", 5),
        "retry_seconds": _setting("KIOSK_RETRY_SECONDS", 15),
    }
    return render(request, "surveys/kiosk_page.html", {"boot": boot})


def kiosk_config_for(device: KioskDevice) -> dict:
    """Return what the kiosk needs to show: office, rating, reasons, comment, procedures.

    Three queries: the questionnaire, its questions, the office's procedures.
    """
    questionnaire = Questionnaire.objects.filter(code=KIOSK_QUESTIONNAIRE, is_current=True).first()
    if questionnaire is None:
        raise Http404("No current counter questionnaire")
    questions = list(questionnaire.questions.order_by("order", "pk"))
    rating = next((q for q in questions if q.kind == QuestionKind.SCALE3), None)
    reason = next(
        (q for q in questions if q.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE)), None
    )
    comment = next(
        (q for q in questions if q.kind in (QuestionKind.LONG_TEXT, QuestionKind.SHORT_TEXT)),
        None,
    )
    if rating is None:
        raise Http404("The counter questionnaire has no 3-level rating")
    levels = []
    for value in (3, 2, 1):
        labels = {}
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                labels[code] = str(SCALE3_LABELS[value])
        levels.append({"value": value, "label": labels})

    def text(question):
        return {"vi": question.text_vi, "en": question.text_en or question.text_vi}

    procedures = (
        device.office.procedures.filter(active=True).order_by("name").values("code", "name")[:300]
    )
    return {
        "device": {"id": device.pk, "name": device.name},
        "office": {"name": device.office.name, "slug": device.office.slug},
        "questionnaire": {"code": questionnaire.code, "version": questionnaire.version},
        "question_count": len(questions),
        "rating": {"code": rating.code, "text": text(rating), "levels": levels},
        "reason": (
            {
                "code": reason.code,
                "text": text(reason),
                "multiple": reason.kind == QuestionKind.MULTIPLE,
                "options": [
                    {
                        "value": str(option["value"]),
                        "label": {
                            "vi": option.get("label_vi") or str(option["value"]),
                            "en": option.get("label_en")
                            or option.get("label_vi")
                            or str(option["value"]),
                        },
                    }
                    for option in reason.options or []
                ],
            }
            if reason
            else None
        ),
        "comment": {"code": comment.code, "text": text(comment)} if comment else None,
        "procedures": list(procedures),
    }


@extend_schema(
    summary="Kiosk configuration",
    description=(
        "What a kiosk device shows: its office, the counter rating levels, the reasons "
        "for dissatisfaction, the comment question and the office's procedures. "
        "Authenticate with `Authorization: Device <token>`; a revoked device gets 401."
    ),
    responses=inline_serializer(
        "KioskConfig",
        fields={
            "device": serializers.DictField(),
            "office": serializers.DictField(),
            "questionnaire": serializers.DictField(),
            "rating": serializers.DictField(),
            "reason": serializers.DictField(allow_null=True),
            "comment": serializers.DictField(allow_null=True),
            "procedures": serializers.ListField(child=serializers.DictField()),
        },
    ),
)
@api_view(["GET"])
@authentication_classes([DeviceAuthentication])
@permission_classes([IsKioskDevice])
@throttle_classes([])
def kiosk_config(request):
    return ApiResponse(kiosk_config_for(request.auth))
