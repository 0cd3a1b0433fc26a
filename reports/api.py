"""``GET /api/v1/stats/``: figures for a unit or an office over a period, from the roll-ups."""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from offices.access import office_for_user_or_404, scope_for
from offices.models import AdministrativeUnit
from reports.selectors import offices_in_unit, stats_compute, stats_grouped
from reports.serializers import StatsQuerySerializer, StatsResponseSerializer


def _unit_or_404(user, *, level, code, unit_set, on):
    units = AdministrativeUnit.objects.filter(level=level, code=code)
    if unit_set:
        units = units.filter(unit_set=unit_set)
    unit = units.current(on=on).first() or units.order_by("-unit_set").first()
    if unit is None or not scope_for(user).can_see_unit(unit):
        raise Http404
    return unit


class StatsView(APIView):
    @extend_schema(
        operation_id="stats_retrieve",
        summary="Statistics of a unit or office over a period",
        parameters=[
            OpenApiParameter("unit", str, description="<level>:<code>, e.g. province:44"),
            OpenApiParameter("office", str, description="office code"),
            OpenApiParameter("unit_set", str, enum=["2024", "2025"]),
            OpenApiParameter("from", OpenApiTypes.DATE, required=True),
            OpenApiParameter("to", OpenApiTypes.DATE, required=True),
            OpenApiParameter("field", str, description="field code"),
            OpenApiParameter("procedure", str, description="procedure code"),
            OpenApiParameter(
                "channel",
                str,
                description="dossier channel (direct/online/postal) filters dossier figures; "
                "response channel (link/qr/kiosk/paper/api) filters survey figures",
            ),
            OpenApiParameter(
                "group_by",
                str,
                enum=[
                    "none",
                    "child",
                    "office",
                    "month",
                    "criterion",
                    "procedure",
                    "field",
                    "officer",
                ],
            ),
            OpenApiParameter("include_flagged", bool),
            OpenApiParameter("min_answers", int),
        ],
        responses=StatsResponseSerializer,
    )
    def get(self, request):
        query = StatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        scope = scope_for(request.user)
        unit = None
        if q.get("office"):
            office = office_for_user_or_404(request.user, code=q["office"])
            offices = type(office).objects.filter(pk=office.pk)
            scope_info = {"office": office.code, "label": office.name}
        else:
            level, code = q["unit"].split(":", 1)
            unit = _unit_or_404(
                request.user, level=level, code=code, unit_set=q.get("unit_set"), on=q["to"]
            )
            offices = offices_in_unit(unit=unit).filter(scope.office_q())
            scope_info = {"unit": unit.key, "unit_set": unit.unit_set, "label": unit.name}
        filters = {
            "field": q.get("field"),
            "procedure": q.get("procedure"),
            "channel": q.get("channel"),
            "include_flagged": q["include_flagged"],
        }
        data = stats_compute(offices=offices, start=q["start"], end=q["to"], **filters)
        data = {"scope": scope_info, **data}
        if q["group_by"] != "none":
            if q["group_by"] == "child" and unit is None:
                raise ValidationError({"group_by": [_("group_by=child cần tham số unit.")]})
            data["groups"] = stats_grouped(
                offices=offices,
                start=q["start"],
                end=q["to"],
                group_by=q["group_by"],
                parent_unit=unit,
                min_answers=q.get("min_answers"),
                **filters,
            )
        return Response(data)
