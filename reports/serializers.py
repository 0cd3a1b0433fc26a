"""Query and response shapes of the stats API."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from offices.models import Channel, Field, Procedure
from reports.selectors import GROUP_BY
from surveys.models import ResponseChannel

MAX_DAYS = 3 * 366


class StatsQuerySerializer(serializers.Serializer):
    unit = serializers.RegexField(
        r"^(province|district|commune):[0-9A-Za-z]+$",
        required=False,
        help_text="<level>:<code>, e.g. province:44, district:450",
        error_messages={"invalid": _("Đơn vị phải có dạng cấp:mã, ví dụ province:44.")},
    )
    office = serializers.CharField(required=False, help_text="office code")
    unit_set = serializers.ChoiceField(choices=["2024", "2025"], required=False)
    # "from" is a Python keyword: the field is renamed in validate().
    start = serializers.DateField(help_text="first day (inclusive), YYYY-MM-DD")
    to = serializers.DateField(help_text="last day (inclusive), YYYY-MM-DD")
    field = serializers.SlugRelatedField(
        slug_field="code", queryset=Field.objects.all(), required=False
    )
    procedure = serializers.SlugRelatedField(
        slug_field="code", queryset=Procedure.objects.all(), required=False
    )
    channel = serializers.ChoiceField(
        choices=list(Channel.values) + list(ResponseChannel.values), required=False
    )
    group_by = serializers.ChoiceField(choices=list(GROUP_BY), default="none")
    include_flagged = serializers.BooleanField(default=False)
    min_answers = serializers.IntegerField(required=False, min_value=0)

    def to_internal_value(self, data):
        data = data.copy()
        if "from" in data:
            data["start"] = data.get("from")
        return super().to_internal_value(data)

    def validate(self, attrs):
        if bool(attrs.get("unit")) == bool(attrs.get("office")):
            raise serializers.ValidationError(_("Cần đúng một trong hai tham số unit hoặc office."))
        if attrs["to"] < attrs["start"]:
            raise serializers.ValidationError(_("Ngày kết thúc (to) trước ngày bắt đầu (from)."))
        if (attrs["to"] - attrs["start"]).days >= MAX_DAYS:
            raise serializers.ValidationError(_("Khoảng thời gian tối đa là 3 năm."))
        return attrs


class RateCISerializer(serializers.ListField):
    child = serializers.FloatField()


class StatsFiguresSerializer(serializers.Serializer):
    """Documents the figures (rates are fractions 0..1 or null when n is 0)."""

    responses = serializers.IntegerField()
    responses_flagged = serializers.IntegerField()
    satisfaction_rate = serializers.FloatField(allow_null=True)
    satisfaction_n = serializers.IntegerField()
    satisfaction_ci = RateCISerializer(allow_null=True)
    satisfaction_rate_pooled = serializers.FloatField(allow_null=True)
    criteria = serializers.ListField(child=serializers.DictField())
    questions = serializers.ListField(child=serializers.DictField())
    received = serializers.IntegerField()
    finished = serializers.IntegerField()
    early = serializers.IntegerField()
    on_time = serializers.IntegerField()
    late = serializers.IntegerField()
    open_within = serializers.IntegerField()
    open_overdue = serializers.IntegerField()
    excluded = serializers.IntegerField()
    on_time_rate = serializers.FloatField(allow_null=True)
    on_time_rate_simple = serializers.FloatField(allow_null=True)
    evaluated = serializers.IntegerField()
    evaluation_rate = serializers.FloatField(allow_null=True)
    late_without_apology = serializers.IntegerField()
    apology_coverage = serializers.FloatField(allow_null=True)
    complaints = serializers.IntegerField()
    complaints_answered_on_time = serializers.IntegerField()
    complaints_open = serializers.IntegerField()
    complaints_overdue = serializers.IntegerField()
    complaint_on_time_rate = serializers.FloatField(allow_null=True)
    proxy_766_rate = serializers.FloatField(allow_null=True)
    proxy_766_points = serializers.FloatField(allow_null=True)


class StatsResponseSerializer(StatsFiguresSerializer):
    scope = serializers.DictField()
    period = serializers.DictField()
    previous = serializers.DictField(allow_null=True)
    groups = serializers.ListField(child=serializers.DictField(), required=False)
