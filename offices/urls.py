"""Page routes of the offices app (mounted at /)."""

from django.urls import path, re_path

from offices import views

urlpatterns = [
    path("dossiers/import/", views.dossier_import, name="offices-dossier-import"),
    re_path(
        r"^dossiers/import/template\.(?P<fmt>csv|xlsx)$",
        views.dossier_import_template,
        name="offices-dossier-import-template",
    ),
    path("dossiers/import/<int:pk>/", views.dossier_import_job, name="offices-dossier-import-job"),
    path(
        "dossiers/import/<int:pk>/progress/",
        views.dossier_import_progress,
        name="offices-dossier-import-progress",
    ),
    path(
        "dossiers/import/<int:pk>/errors.csv",
        views.dossier_import_errors,
        name="offices-dossier-import-errors",
    ),
    path("offices/<slug:slug>/apologies/", views.apology_list, name="offices-apology-list"),
    path(
        "offices/<slug:slug>/apologies/<str:code>/",
        views.apology_letter,
        name="offices-apology-letter",
    ),
]
