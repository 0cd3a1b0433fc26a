"""API shapes of dossiers.

Incoming rows are validated by ``offices.dossier_import.DossierCleaner``, the
same code as the file import; ``DossierInSerializer`` only documents them in
the OpenAPI schema.
"""

from django.utils import timezone
from rest_framework import serializers

from offices.dossier_import import COLUMN_ORDER
from offices.models import Channel, Dossier, DossierStatus

DATETIME_HELP = "ISO 8601 or dd/mm/yyyy [HH:MM]; without an offset the time is Asia/Ho_Chi_Minh."


class DossierInSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=64, help_text="Dossier code printed on the receipt.")
    office = serializers.CharField(help_text="Office code.")
    procedure = serializers.CharField(help_text="National procedure code.")
    channel = serializers.ChoiceField(choices=Channel.choices)
    status = serializers.ChoiceField(
        choices=DossierStatus.choices, help_text="National status code 1–10."
    )
    received_at = serializers.CharField(help_text=DATETIME_HELP)
    due_at = serializers.CharField(help_text="Promised return date. " + DATETIME_HELP)
    finished_at = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, help_text=DATETIME_HELP
    )
    returned_at = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, help_text=DATETIME_HELP
    )
    supplement_days = serializers.IntegerField(
        required=False, min_value=0, help_text="Days spent waiting for the citizen's papers."
    )
    supplement_requests = serializers.IntegerField(required=False, min_value=0)
    apology_issued_at = serializers.DateField(
        required=False, allow_null=True, help_text="Empty keeps an apology already recorded."
    )
    officer = serializers.CharField(
        required=False, allow_blank=True, help_text="Handling officer's code (optional)."
    )


class RowErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="0-based position in the request list.")
    code = serializers.CharField(allow_blank=True)
    field = serializers.CharField(allow_blank=True)
    message = serializers.CharField(help_text="Vietnamese.")
    message_en = serializers.CharField()


class DossierUpsertResultSerializer(serializers.Serializer):
    received = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    invalid = serializers.IntegerField()
    errors = RowErrorSerializer(many=True)


class DossierSerializer(serializers.ModelSerializer):
    office = serializers.CharField(source="office.code")
    procedure = serializers.CharField(source="procedure.code")
    officer = serializers.CharField(source="officer.code", allow_null=True, default=None)
    timeliness = serializers.SerializerMethodField(
        help_text="Today: early/on_time/late when finished, within/due_soon/overdue when open."
    )

    class Meta:
        model = Dossier
        # The import's columns, so the API reads back what the import writes.
        fields = [
            *COLUMN_ORDER,
            "officer",
            "due_on",
            "outcome",
            "timeliness",
            "updated_at",
        ]

    def get_timeliness(self, obj) -> str:
        return obj.timeliness(timezone.localdate())


class SurveyLinkSerializer(serializers.Serializer):
    code = serializers.CharField()
    url = serializers.URLField()
    qr_svg = serializers.CharField(help_text="The URL as a QR code, an SVG document.")
    expires_in_days = serializers.IntegerField()
