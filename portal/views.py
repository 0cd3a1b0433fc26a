"""Site-wide pages: the home page and the health check."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from offices.access import scope_for


def home(request):
    ctx = {"scope": scope_for(request.user)}
    return render(request, "portal/home.html", ctx)


def _database_status():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # noqa: BLE001 - any failure is reported, not raised
        return {"ok": False, "vendor": connection.vendor, "error": str(exc)}


def _broker_status():
    from portal.celery import app

    url = settings.CELERY_BROKER_URL
    transport = url.split("://", 1)[0]
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return {"ok": True, "transport": transport}
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "transport": transport, "error": str(exc)}


@never_cache
def healthz(request):
    """Return database and broker status as JSON; 503 when either is down."""
    status = {"database": _database_status(), "broker": _broker_status()}
    ok = all(part["ok"] for part in status.values())
    status["status"] = "ok" if ok else "error"
    return JsonResponse(status, status=200 if ok else 503)
