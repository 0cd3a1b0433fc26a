"""Settings for the submission benchmark: the portal plus the floor view's route."""

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.submissions.urls"
