"""All /api/v1/ routes, gathered from the apps' ``api_urls`` modules."""

from django.urls import include, path

# Django tries the patterns in order: survey submissions, by far the busiest
# route, first (no two apps' patterns overlap, so the order changes no match).
urlpatterns = [
    path("", include("surveys.api_urls")),
    path("", include("offices.api_urls")),
    path("", include("reports.api_urls")),
]
