"""Dossier API routes, mounted under /api/v1/."""

from django.urls import path

from offices import api

urlpatterns = [
    path("dossiers/", api.DossierUpsertView.as_view(), name="offices-api-dossiers"),
    path("dossiers/<str:code>/", api.DossierDetailView.as_view(), name="offices-api-dossier"),
    path(
        "dossiers/<str:code>/survey-link/",
        api.DossierSurveyLinkView.as_view(),
        name="offices-api-dossier-survey-link",
    ),
]
