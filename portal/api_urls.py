"""All /api/v1/ routes, gathered from the apps' ``api_urls`` modules."""

from django.urls import include, path

urlpatterns = [
    path("", include("offices.api_urls")),
    path("", include("surveys.api_urls")),
    path("", include("reports.api_urls")),
]
