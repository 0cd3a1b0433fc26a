"""All /api/v1/ routes, gathered from the apps' ``api_urls`` modules."""

from offices.api_urls import urlpatterns as offices_api
from reports.api_urls import urlpatterns as reports_api
from surveys.api_urls import urlpatterns as surveys_api

# One flat list rather than an include per app: each include is one more
# resolver level to walk and to build a match for on every API request.
# Django tries the patterns in order: survey submissions, by far the busiest
# route, first (no two apps' patterns overlap, so the order changes no match).
urlpatterns = [*surveys_api, *offices_api, *reports_api]
