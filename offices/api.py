"""Dossier API for the one-stop electronic system (mounted under /api/v1/)."""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, PolymorphicProxySerializer, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from offices.access import scope_for
from offices.importing import ImportFileError, render
from offices.links import MAX_AGE_DAYS, dossier_survey_url, qr_svg
from offices.models import Dossier, Role
from offices.serializers import (
    DossierInSerializer,
    DossierSerializer,
    DossierUpsertResultSerializer,
    SurveyLinkSerializer,
)
from offices.services import dossier_table_from_records, dossiers_import

MAX_ROWS = 1000


def _visible_dossier_or_404(user, code):
    scope = scope_for(user)
    dossier = (
        Dossier.objects.select_related("office", "procedure", "officer")
        .filter(scope.office_q("office__"), code=code)
        .first()
    )
    if dossier is None:
        raise Http404
    return dossier


class DossierUpsertView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="dossiers_upsert",
        summary="Create or update dossiers (one object or a list of up to 1,000)",
        description=(
            "Upsert by `code`. Rows are validated like the file import (docs/IMPORT.md); "
            "valid rows are written, invalid ones are reported in `errors` with their index. "
            "An integration client may only send dossiers of offices in its unit. "
            "200 when at least one row was valid, 400 when none was."
        ),
        request=PolymorphicProxySerializer(
            component_name="DossierUpsertRequest",
            serializers=[DossierInSerializer, DossierInSerializer(many=True)],
            resource_type_field_name=None,
            many=False,
        ),
        responses={200: DossierUpsertResultSerializer, 400: DossierUpsertResultSerializer},
        examples=[
            OpenApiExample(
                "One dossier",
                request_only=True,
                value={
                    "code": "000.00.19.H01-250303-0001",
                    "office": "UBND-XA-01",
                    "procedure": "1.001193",
                    "channel": "direct",
                    "status": 4,
                    "received_at": "2025-03-03T08:30:00+07:00",
                    "due_at": "2025-03-10",
                },
            )
        ],
    )
    def post(self, request):
        scope = scope_for(request.user)
        if scope.role not in (Role.ADMIN, Role.INTEGRATION):
            raise PermissionDenied(_("Chỉ tài khoản tích hợp hoặc quản trị được gửi hồ sơ."))
        data = request.data
        records = data if isinstance(data, list) else [data]
        if not records:
            raise ValidationError(_("Danh sách hồ sơ trống."))
        if len(records) > MAX_ROWS:
            raise ValidationError(
                _("Tối đa %(max)s hồ sơ mỗi lần gửi, nhận được %(n)s.")
                % {"max": MAX_ROWS, "n": len(records)}
            )
        if not all(isinstance(r, dict) for r in records):
            raise ValidationError(_("Mỗi hồ sơ phải là một đối tượng JSON."))
        try:
            table = dossier_table_from_records(records)
        except ImportFileError as exc:
            raise ValidationError(str(exc)) from exc
        offices = None if scope.is_admin else scope.offices()
        report = dossiers_import(table=table, offices=offices, skip_invalid=True)
        errors = [
            {
                "index": e.row - 1,
                "code": str(records[e.row - 1].get("code") or ""),
                "field": e.column,
                "message": render(e.message, e.params, lang="vi"),
                "message_en": render(e.message, e.params, lang="en"),
            }
            for e in report.errors
        ]
        body = {
            "received": len(records),
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "invalid": len(report.error_rows),
            "errors": errors,
        }
        valid = len(records) - len(report.error_rows)
        return Response(body, status=status.HTTP_200_OK if valid else status.HTTP_400_BAD_REQUEST)


class DossierDetailView(APIView):
    @extend_schema(
        operation_id="dossiers_retrieve",
        summary="One dossier by code",
        responses=DossierSerializer,
    )
    def get(self, request, code):
        return Response(DossierSerializer(_visible_dossier_or_404(request.user, code)).data)


class DossierSurveyLinkView(APIView):
    @extend_schema(
        operation_id="dossiers_survey_link",
        summary="Signed survey URL and its QR code (SVG), for printing on the receipt",
        responses=SurveyLinkSerializer,
    )
    def get(self, request, code):
        dossier = _visible_dossier_or_404(request.user, code)
        url = dossier_survey_url(dossier)
        return Response(
            {
                "code": dossier.code,
                "url": url,
                "qr_svg": qr_svg(url),
                "expires_in_days": MAX_AGE_DAYS,
            }
        )
