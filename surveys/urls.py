"""Survey pages (citizens) and, below, kiosk and follow-up pages."""

from django.urls import path

from surveys import views

urlpatterns = [
    path("s/", views.survey_find, name="surveys-find"),
    path("s/d/<str:token>/", views.survey_dossier, name="surveys-dossier"),
    path("s/<slug:slug>/", views.survey_office, name="surveys-office"),
    path("s/<slug:slug>/thanks/", views.survey_thanks, name="surveys-thanks"),
]

# Kiosks, follow-ups and flagged responses (helper C2).
from surveys import followup_views, kiosk_views  # noqa: E402

urlpatterns += [
    path("kiosk/", kiosk_views.kiosk_page, name="surveys-kiosk"),
    path("kiosk/setup/<str:token>/", kiosk_views.kiosk_setup, name="surveys-kiosk-setup"),
    path("kiosk/devices/", kiosk_views.kiosk_offices, name="surveys-kiosk-offices"),
    path("kiosk/devices/<slug:slug>/", kiosk_views.kiosk_devices, name="surveys-kiosk-devices"),
    path(
        "kiosk/devices/<slug:slug>/<int:pk>/revoke/",
        kiosk_views.kiosk_device_revoke,
        name="surveys-kiosk-device-revoke",
    ),
    path("follow-ups/", followup_views.followup_list, name="surveys-followups"),
    path("follow-ups/<int:pk>/", followup_views.followup_detail, name="surveys-followup-detail"),
    path("flagged/", followup_views.flagged_list, name="surveys-flagged"),
    path("flagged/<int:pk>/clear/", followup_views.flagged_clear, name="surveys-flagged-clear"),
]
