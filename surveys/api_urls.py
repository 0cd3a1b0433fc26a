"""Survey API routes, mounted under /api/v1/."""

from django.urls import path

from surveys import api, kiosk_views

urlpatterns = [
    path("responses/", api.response_create, name="surveys-api-responses"),
    # Kiosk configuration for devices (helper C2).
    path("kiosk/config/", kiosk_views.kiosk_config, name="surveys-kiosk-config"),
]
