"""submission_data: the fast path gives exactly what ResponseSubmitSerializer gives."""

import uuid

import pytest
from django.utils import timezone

from surveys.models import Response
from surveys.serializers import (
    ResponseResultSerializer,
    ResponseSubmitError,
    ResponseSubmitSerializer,
    response_result,
    submission_data,
)

CLIENT_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
PLAIN = {
    "client_id": CLIENT_ID,
    "office": "ben-nghe",
    "answers": {"rating": 3, "comment": "Cán bộ tận tình", "reason": ["time"]},
    "duration_seconds": 42,
    "language": "vi",
}

# Each payload is PLAIN with one change; None removes the key.
VARIANTS = [
    {},
    {"language": None},
    {"language": "en"},
    {"language": "fr"},
    {"language": 1},
    {"client_id": None},
    {"client_id": CLIENT_ID.upper()},
    {"client_id": CLIENT_ID.replace("-", "")},
    {"client_id": "{" + CLIENT_ID + "}"},
    {"client_id": "not-a-uuid"},
    {"client_id": ""},
    {"client_id": 12345},
    {"client_id": [CLIENT_ID]},
    {"office": " ben-nghe "},
    {"office": "bến-nghé"},
    {"office": "ben nghe"},
    {"office": "ben-nghe\n"},
    {"office": ""},
    {"office": 7},
    {"office": None},
    {"token": "abc.def-ghi_jkl"},
    {"token": ""},
    {"token": "x" * 500},
    {"token": "x" * 501},
    {"token": " padded "},
    {"channel": "link"},
    {"channel": "qr"},
    {"channel": "kiosk"},
    {"channel": "sms"},
    {"channel": ""},
    {"questionnaire": "sipas"},
    {"questionnaire": "si pas"},
    {"questionnaire_version": 2},
    {"questionnaire_version": 0},
    {"questionnaire_version": "2"},
    {"questionnaire_version": True},
    {"questionnaire_version": 2.0},
    {"procedure": "1.001193"},
    {"procedure": ""},
    {"procedure": "   "},
    {"procedure": "x" * 51},
    {"procedure": 1001193},
    {"procedure": "thủ-tục"},
    {"procedure": "a\x00b"},
    {"procedure": "\ud800"},
    {"dossier": "H01.2025.000001"},
    {"dossier": "x" * 65},
    {"officer": "CB-01"},
    {"officer": None},
    {"duration_seconds": 0},
    {"duration_seconds": 86400},
    {"duration_seconds": 86401},
    {"duration_seconds": -1},
    {"duration_seconds": "42"},
    {"duration_seconds": 42.0},
    {"duration_seconds": False},
    {"duration_seconds": None},
    {"answers": None},
    {"answers": {}},
    {"answers": [1, 2]},
    {"answers": "rating=3"},
    {"answers": {"rating": None}},
    {"answers": {"rating": {"nested": [1, {"deep": True}]}}},
    {"website": ""},
    {"website": "x"},
    {"website": "  "},
    {"website": " x "},
    {"submitted_at": "2025-03-03T09:00:00+07:00"},
    {"submitted_at": "yesterday"},
    {"contact": {"requested": True, "consent": True, "phone": "0912345678"}},
    {"contact": {"requested": "yes"}},
    {"contact": "call me"},
    {"unknown": "ignored"},
    {"unknown": None, "other": [1]},
]


def payload(change):
    data = dict(PLAIN)
    for key, value in change.items():
        if value is None and key in data:
            del data[key]
        else:
            data[key] = value
    return data


def through_serializer(data):
    serializer = ResponseSubmitSerializer(data=data)
    if serializer.is_valid():
        return "valid", dict(serializer.validated_data)
    return "invalid", serializer.errors


def through_fast_path(data):
    try:
        return "valid", dict(submission_data(data))
    except ResponseSubmitError as exc:
        return "invalid", exc.errors


class TestSubmissionData:
    @pytest.mark.parametrize("change", VARIANTS, ids=[repr(v)[:60] for v in VARIANTS])
    def test_it_gives_what_the_serializer_gives(self, change):
        data = payload(change)
        assert through_fast_path(data) == through_serializer(data)

    def test_a_payload_that_is_not_an_object_gets_the_serializer_error(self):
        for data in ([PLAIN], "text", None, 3):
            assert through_fast_path(data) == through_serializer(data)

    def test_plain_payloads_do_not_build_a_serializer(self, monkeypatch):
        def refuse(*args, **kwargs):
            raise AssertionError("the serializer was built")

        monkeypatch.setattr(ResponseSubmitSerializer, "__init__", refuse)
        validated = submission_data(dict(PLAIN))
        assert validated["client_id"] == uuid.UUID(CLIENT_ID)
        assert validated["answers"] == PLAIN["answers"]


@pytest.mark.django_db
class TestResponseResult:
    @pytest.mark.parametrize("zone", [None, "UTC"])
    def test_it_renders_like_the_result_serializer(self, zone):
        from surveys.services import response_submit
        from tests.factories import OfficeFactory

        response, created = response_submit(
            office=OfficeFactory(),
            channel="link",
            answers={"rating": 3},
            submitted_at=timezone.now().replace(microsecond=123456),
        )
        response = Response.objects.select_related("office", "questionnaire").get(pk=response.pk)
        expected = ResponseResultSerializer(
            {
                "client_id": response.client_id,
                "created": created,
                "office": response.office.slug,
                "questionnaire": response.questionnaire.code,
                "questionnaire_version": response.questionnaire.version,
                "channel": response.channel,
                "submitted_at": response.submitted_at,
            }
        )
        with timezone.override(zone or timezone.get_current_timezone()):
            assert response_result(response=response, created=created) == expected.data
        if zone == "UTC":
            assert expected.data["submitted_at"].endswith("Z")
