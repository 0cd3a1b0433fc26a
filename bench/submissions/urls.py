"""The portal's routes plus ``bench/floor/``: the minimal view the submissions are compared to."""

from django.urls import path

from bench.submissions.views import floor
from portal.urls import urlpatterns as portal_urlpatterns

urlpatterns = [path("bench/floor/", floor), *portal_urlpatterns]
