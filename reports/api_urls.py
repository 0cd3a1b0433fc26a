from django.urls import path

from reports.api import StatsView

urlpatterns = [
    path("stats/", StatsView.as_view(), name="reports-api-stats"),
]
