"""``POST /api/v1/responses/``: one response from a kiosk, another app or a web page.

Who may send what:

- a kiosk (``Authorization: Device <token>``): channel ``kiosk``, its own office;
  rate limited per device;
- an API account (``Authorization: Token <key>``): any office in its scope,
  may name the dossier and officer by code; channel ``api`` by default;
- anyone else (a web page, anonymous or logged in): CSRF token required,
  an office slug (channel ``link``) or the QR ``token`` of a dossier
  (channel ``qr``); rate limited per IP.

The same ``response_submit`` as the pages validates and stores. The payload is
read by ``submission_data`` (a fast path for plain payloads, the serializer
for the rest); the serializers still describe the endpoint in the schema.
"""

import json

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authentication import CSRFCheck, SessionAuthentication, TokenAuthentication
from rest_framework.compat import LONG_SEPARATORS, SHORT_SEPARATORS
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response as ApiResponse
from rest_framework.utils import json as drf_json
from rest_framework.views import APIView

from offices.access import scope_for
from offices.importing import bilingual
from offices.models import Dossier, Officer, Procedure
from surveys.kiosk_auth import DeviceAuthentication
from surveys.models import KioskDevice, Questionnaire, ResponseChannel
from surveys.ratelimit import rate_limit_begin, rate_limit_hit
from surveys.selectors import office_public_get
from surveys.serializers import (
    ResponseErrorSerializer,
    ResponseResultSerializer,
    ResponseSubmitError,
    ResponseSubmitSerializer,
    response_result,
    submission_data,
    submission_plain,
)
from surveys.services import ResponseError, response_prepare, response_save, response_submit
from surveys.views import client_ip

WEB_CHANNELS = (ResponseChannel.LINK, ResponseChannel.QR)


class _Refused(Exception):
    def __init__(self, http_status, code, errors):
        self.http_status = http_status
        self.code = code
        self.errors = errors


def _error(key, message, **params):
    return {key: [bilingual(message, **params)]}


def _invalid(key, message, **params):
    return _Refused(status.HTTP_400_BAD_REQUEST, "invalid", _error(key, message, **params))


def _caller(request):
    """Return ("device", device) | ("account", scope) | ("web", None) and enforce CSRF for web."""
    if isinstance(request.auth, KioskDevice):
        return "device", request.auth
    if isinstance(request.successful_authenticator, TokenAuthentication):
        return "account", scope_for(request.user)
    # Pages post with the CSRF token, logged in or not.
    SessionAuthentication().enforce_csrf(request)
    return "web", None


def _resolve(request, data, kind, who):
    """Return the keyword arguments for response_submit, or raise _Refused."""
    device = who if kind == "device" else None
    dossier = None
    if data.get("token"):
        from offices.links import SurveyLinkError, dossier_from_survey_token

        try:
            dossier = dossier_from_survey_token(data["token"])
        except SurveyLinkError as exc:
            code = "link_expired" if exc.reason == "expired" else "link_invalid"
            message = (
                _("Đường dẫn đánh giá đã hết hạn.")
                if exc.reason == "expired"
                else _("Đường dẫn đánh giá không hợp lệ.")
            )
            raise _Refused(status.HTTP_400_BAD_REQUEST, code, _error("token", message)) from None
    elif data.get("dossier"):
        if kind != "account":
            raise _invalid("dossier", _("Chỉ tài khoản API mới được gửi mã hồ sơ."))
        dossier = Dossier.objects.filter(code=data["dossier"]).first()
        if dossier is None:
            raise _invalid("dossier", _("Không có hồ sơ mã %(code)s."), code=data["dossier"])

    if device is not None:
        office = device.office
        if data.get("office") and data["office"] != office.slug:
            raise _invalid("office", _("Thiết bị chỉ gửi phiếu cho cơ quan của nó."))
    elif dossier is not None:
        office = dossier.office
        if data.get("office") and data["office"] != office.slug:
            raise _invalid("office", _("Hồ sơ không thuộc cơ quan này."))
    elif data.get("office"):
        office = office_public_get(slug=data["office"])
        if office is None:
            raise _invalid("office", _("Không có cơ quan “%(slug)s”."), slug=data["office"])
    else:
        raise _invalid("office", _("Hãy gửi cơ quan (slug) hoặc mã QR của hồ sơ."))

    if kind == "account" and not who.can_see_office(office):
        raise _Refused(
            status.HTTP_403_FORBIDDEN,
            "forbidden",
            _error("office", _("Tài khoản này không được gửi phiếu cho cơ quan này.")),
        )

    default_channel = {
        "device": ResponseChannel.KIOSK,
        "account": ResponseChannel.API,
    }.get(kind, ResponseChannel.QR if dossier is not None else ResponseChannel.LINK)
    channel = data.get("channel") or default_channel
    if kind == "device" and channel != ResponseChannel.KIOSK:
        raise _invalid("channel", _("Thiết bị tại quầy chỉ gửi phiếu kênh kiosk."))
    if kind != "device" and channel == ResponseChannel.KIOSK:
        raise _invalid("channel", _("Kênh kiosk cần xác thực bằng mã thiết bị."))
    if kind == "web" and channel not in WEB_CHANNELS:
        raise _invalid("channel", _("Trang web chỉ gửi phiếu kênh link hoặc qr."))
    if kind == "web" and data.get("officer"):
        raise _invalid("officer", _("Chỉ tài khoản API hoặc thiết bị mới được gửi mã cán bộ."))

    questionnaire = None
    if data.get("questionnaire"):
        found = Questionnaire.objects.filter(code=data["questionnaire"])
        if data.get("questionnaire_version"):
            found = found.filter(version=data["questionnaire_version"])
        else:
            found = found.filter(is_current=True)
        questionnaire = found.first()
        if questionnaire is None:
            raise _invalid(
                "questionnaire", _("Không có bộ câu hỏi “%(code)s”."), code=data["questionnaire"]
            )
    procedure = None
    if data.get("procedure"):
        procedure = Procedure.objects.filter(code=data["procedure"]).first()
        if procedure is None:
            raise _invalid("procedure", _("Không có thủ tục mã %(code)s."), code=data["procedure"])
    officer = None
    if data.get("officer"):
        officer = Officer.objects.filter(code=data["officer"]).first()
        if officer is None:
            raise _invalid("officer", _("Không có cán bộ mã %(code)s."), code=data["officer"])
    contact = data.get("contact")
    return {
        "office": office,
        "channel": channel,
        "answers": data["answers"],
        "client_id": data.get("client_id"),
        "questionnaire": questionnaire,
        "procedure": procedure,
        "dossier": dossier,
        "device": device,
        "officer": officer,
        "submitted_at": data.get("submitted_at"),
        "duration_seconds": data.get("duration_seconds"),
        "ip": client_ip(request),
        "language": data.get("language") or "vi",
        "contact": dict(contact) if contact else None,
    }


def _refusal(code, errors, http_status):
    return ApiResponse({"code": code, "errors": errors}, status=http_status)


class _JSONOnly(DefaultContentNegotiation):
    """Always answer in JSON: no parsing of the Accept header on every submission."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


_JSON_TYPES = ("application/json", "application/json; charset=utf-8")


# DRF's CSRF check as SessionAuthentication.enforce_csrf runs it; the middleware
# keeps no state of its own (all of it goes on the request), so one serves all.
_CSRF_CHECK = CSRFCheck(lambda _request: None)
# DRF's parser and renderer settings, each built once instead of per call.
_decode = json.JSONDecoder(parse_constant=drf_json.strict_constant).decode
_encode = JSONRenderer.encoder_class(
    ensure_ascii=JSONRenderer.ensure_ascii,
    allow_nan=not JSONRenderer.strict,
    separators=SHORT_SEPARATORS if JSONRenderer.compact else LONG_SEPARATORS,
).encode


def _web_json_data(request):
    """Return the payload of a page's plain JSON submission, or None to let DRF handle it.

    Plain: POST, no ``Authorization`` header (kiosks and API accounts take
    DRF's path), JSON in UTF-8, a valid CSRF token (as DRF's
    ``enforce_csrf`` checks it), and a payload ``submission_plain`` takes.
    Nothing is counted or stored here, so handing over to DRF repeats nothing.
    """
    meta = request.META
    if (
        request.method != "POST"
        or "HTTP_AUTHORIZATION" in meta
        or meta.get("CONTENT_TYPE", "").lower() not in _JSON_TYPES
    ):
        return None
    try:
        data = _decode(request.body.decode())
    except ValueError:
        return None
    data = submission_plain(data)
    if data is None:
        return None
    # enforce_csrf runs process_request first for the CSRF_COOKIE it leaves in
    # META; process_view reads the cookie itself (Django >= 4.1) and the
    # CsrfViewMiddleware already did process_request for this request.
    if _CSRF_CHECK.process_view(request, None, (), {}) is not None:
        return None
    return data


def _json(body, http_status):
    """Return ``body`` rendered as ``JSONRenderer().render`` renders it, with DRF's headers."""
    response = HttpResponse(
        _render(body) if body is not None else b"",
        status=http_status,
        content_type="application/json",
    )
    response["Allow"] = "POST, OPTIONS"
    return response


def _render(body):
    # JSONRenderer.render: \u2028 and \u2029 always escaped (a strict JavaScript subset).
    return _encode(body).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()


def _web_submit(request, data):
    """Answer a plain page submission as ``post`` would, without DRF's request cycle.

    The IP's hit is counted first, as in ``post``; its reply from Redis is read
    once the payload is validated (which writes nothing), so the validation
    overlaps the round trip. Nothing is stored or answered before the limit
    is known: an IP over it gets 429 whatever it sent.
    """
    over_limit = rate_limit_begin(scope="ip", key=client_ip(request))
    try:
        answer, prepared = _web_prepare(request, data)
    finally:
        limited = over_limit()
    if limited:
        return _json(
            {
                "code": "rate_limited",
                "errors": _error(
                    "", _("Gửi quá nhiều phiếu trong thời gian ngắn; hãy thử lại sau.")
                ),
            },
            status.HTTP_429_TOO_MANY_REQUESTS,
        )
    if answer is not None:
        return answer
    response, answers = prepared
    created = answers is not None
    if created:
        try:
            response, created = response_save(response=response, answers=answers)
        except ResponseError as exc:
            return _response_error(exc)
    return _json(
        response_result(response=response, created=created),
        status.HTTP_201_CREATED if created else status.HTTP_200_OK,
    )


def _web_prepare(request, data):
    """Return (answer, None) for a submission answered without storing, else (None, prepared).

    ``prepared`` is ``response_prepare``'s pair. Reads, never writes.
    """
    if (data.get("website") or "").strip():
        return _json(None, status.HTTP_202_ACCEPTED), None
    try:
        return None, response_prepare(**_resolve(request, data, "web", None))
    except _Refused as exc:
        return _json({"code": exc.code, "errors": exc.errors}, exc.http_status), None
    except ResponseError as exc:
        return _response_error(exc), None


def _response_error(exc):
    http_status = (
        status.HTTP_409_CONFLICT if exc.code == "already_rated" else status.HTTP_400_BAD_REQUEST
    )
    return _json({"code": exc.code, "errors": exc.errors}, http_status)


class ResponseCreateView(APIView):
    authentication_classes = [DeviceAuthentication, TokenAuthentication, SessionAuthentication]
    permission_classes = [AllowAny]
    throttle_classes = []
    renderer_classes = [JSONRenderer]
    content_negotiation_class = _JSONOnly

    def dispatch(self, request, *args, **kwargs):
        # The citizens' pages send nearly all submissions: answer those
        # without DRF's request cycle (authenticators, parsers, negotiation,
        # response finalisation cost a fifth of the request); same rules,
        # same answers, as ``post`` below.
        data = _web_json_data(request)
        if data is not None:
            return _web_submit(request, data)
        return super().dispatch(request, *args, **kwargs)

    @extend_schema(
        operation_id="responses_create",
        summary="Submit a survey response",
        description=(
            "Validates every answer against its question and stores the response with its "
            "answers in one transaction. Idempotent on `client_id`: sending the same id again "
            "returns the stored response with `created: false` (HTTP 200). One response per "
            "dossier: a second one gets HTTP 409 `already_rated`. Authentication: "
            "`Authorization: Device <token>` (kiosk), `Authorization: Token <key>` (API account, "
            "may name `dossier` and `officer`), or a browser session with the CSRF token "
            "(anonymous allowed, `office` slug or QR `token`). Rate limited per IP and per "
            "device (HTTP 429). Scale answers are level numbers, higher is better."
        ),
        request=ResponseSubmitSerializer,
        responses={
            201: ResponseResultSerializer,
            200: OpenApiResponse(
                ResponseResultSerializer, description="Replay of a stored client_id."
            ),
            202: OpenApiResponse(description="Discarded: the honeypot field was filled."),
            400: ResponseErrorSerializer,
            403: ResponseErrorSerializer,
            409: OpenApiResponse(
                ResponseErrorSerializer, description="The dossier is already rated."
            ),
            429: ResponseErrorSerializer,
        },
        parameters=[
            OpenApiParameter(
                "Authorization",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=False,
                description="`Device <token>` for kiosks or `Token <key>` for API accounts.",
            )
        ],
        examples=[
            OpenApiExample(
                "Counter rating from a link",
                value={
                    "client_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
                    "office": "ubnd-phuong-ben-nghe",
                    "procedure": "1.001193",
                    "answers": {"rating": 3, "comment": "Cán bộ hướng dẫn tận tình"},
                    "duration_seconds": 42,
                    "language": "vi",
                },
                request_only=True,
            )
        ],
        tags=["responses"],
    )
    def post(self, request):
        kind, who = _caller(request)
        limited = (
            rate_limit_hit(scope="device", key=str(who.pk))
            if kind == "device"
            else kind == "web" and rate_limit_hit(scope="ip", key=client_ip(request))
        )
        if limited:
            return _refusal(
                "rate_limited",
                _error("", _("Gửi quá nhiều phiếu trong thời gian ngắn; hãy thử lại sau.")),
                status.HTTP_429_TOO_MANY_REQUESTS,
            )
        try:
            data = submission_data(request.data)
        except ResponseSubmitError as exc:
            return _refusal("invalid", exc.errors, status.HTTP_400_BAD_REQUEST)
        if (data.get("website") or "").strip():
            return ApiResponse(status=status.HTTP_202_ACCEPTED)
        try:
            response, created = response_submit(**_resolve(request, data, kind, who))
        except _Refused as exc:
            return _refusal(exc.code, exc.errors, exc.http_status)
        except ResponseError as exc:
            http_status = (
                status.HTTP_409_CONFLICT
                if exc.code == "already_rated"
                else status.HTTP_400_BAD_REQUEST
            )
            return _refusal(exc.code, exc.errors, http_status)
        return ApiResponse(
            response_result(response=response, created=created),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


response_create = ResponseCreateView.as_view()
