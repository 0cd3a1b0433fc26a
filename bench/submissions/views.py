"""The floor: a minimal Django view that parses a JSON body and inserts one row."""

import json

from django.db import connection
from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt

TABLE = "bench_floor"
CREATE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} "
    "(id bigserial PRIMARY KEY, client_id uuid UNIQUE, payload jsonb, created_at timestamptz)"
)


@csrf_exempt
def floor(request):
    if request.method != "POST":
        return HttpResponseBadRequest()
    body = json.loads(request.body)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (client_id, payload, created_at) VALUES (%s, %s, now())",
            [body["client_id"], json.dumps(body["answers"])],
        )
    return HttpResponse(status=201)
