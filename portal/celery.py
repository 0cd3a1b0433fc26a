"""The Celery application; tasks are discovered in each app's ``tasks.py``."""

import os

from celery import Celery
from kombu.transport import TRANSPORT_ALIASES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

# The embedded broker: kombu's filesystem transport with atomic message writes.
TRANSPORT_ALIASES.setdefault("fsatomic", "portal.broker:Transport")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
