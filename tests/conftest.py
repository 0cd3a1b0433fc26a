"""Shared fixtures and the rule that CI may not skip tests needing services.

With ``PORTAL_FORBID_SKIPS=1`` (set by ``.ci/run``) any skipped test fails
the run, except those skipped because they belong to another database
backend (reason starting with ``other backend:``).
"""

import datetime as dt
import os

import pytest
import time_machine

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

_skipped = []


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Hash test passwords with a cheap hasher; PBKDF2 dominates user-heavy tests."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _shipped_questionnaires(request):
    """Make sure a transactional test starts with the questionnaires the migrations ship.

    ``serialized_rollback`` should restore them after an earlier transactional
    test flushed the database, but on PostgreSQL they were seen missing after
    tests that commit from several threads; reload them (idempotent) then.
    """
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")):
        return
    request.getfixturevalue("transactional_db")
    from importlib import import_module

    from django.apps import apps

    from surveys.models import Questionnaire

    if not Questionnaire.objects.filter(code="counter", is_current=True).exists():
        import_module("surveys.migrations.0002_questionnaires_sipas_counter").load(apps, None)


@pytest.fixture(autouse=True)
def _eager_celery(settings):
    """Run Celery tasks inline in tests unless a test opts out."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from portal.celery import app

    app.conf.task_always_eager = True
    yield


@pytest.fixture
def redis_cache(settings):
    """Point the default cache at the Redis of ``REDIS_URL``; skip as another backend without it."""
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("other backend: REDIS_URL is not set")
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    }
    from django.core.cache import caches

    return caches["default"]


@pytest.fixture
def rate_limit_clients():
    """Drop the rate limit's per-process Redis clients and counts before and after the test.

    A process keeps them per Redis server for its life; a test that changes the cache's
    settings or counts in the process must neither inherit nor leave them.
    """
    from surveys import ratelimit

    ratelimit._synced.clear()
    ratelimit._scripts.clear()
    yield
    ratelimit._synced.clear()
    ratelimit._scripts.clear()


@pytest.fixture
def rate_window():
    """Run the test from the start of an hour, the clock ticking.

    Rate limits count in fixed windows (a minute, an hour) that start on the wall clock;
    a test counting hits against one must not see it roll over half-way.
    """
    start = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    with time_machine.travel(start + dt.timedelta(hours=1), tick=True):
        yield


def _is_transactional(item):
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    return bool(
        (marker and marker.kwargs.get("transaction"))
        or "transactional_db" in fixtures
        or "live_server" in fixtures
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Check transactional tests and run them after every other test, again.

    Transactional tests must use ``serialized_rollback``: one that flushes
    without it lets post_migrate recreate content types, and the next test
    that restores the serialized database fails on duplicates; it also loses
    the shipped questionnaires.

    pytest-django sorts transactional tests last, but pytest then regroups
    tests by session-scoped parameters (pytest-playwright's
    ``browser_name``), which can pull browser tests into the middle; their
    flush at teardown would then empty the database under the tests that
    follow.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        if (
            marker
            and marker.kwargs.get("transaction")
            and not marker.kwargs.get("serialized_rollback")
        ):
            raise pytest.UsageError(
                f"{item.nodeid}: use django_db(transaction=True, serialized_rollback=True)"
            )
    items.sort(key=_is_transactional)


def pytest_runtest_logreport(report):
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if not str(reason).startswith(("Skipped: other backend:", "other backend:")):
            _skipped.append((report.nodeid, reason))


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("PORTAL_FORBID_SKIPS") == "1" and _skipped:
        tr = session.config.pluginmanager.get_plugin("terminalreporter")
        if tr is not None:
            tr.write_line("")
            tr.write_line("PORTAL_FORBID_SKIPS=1 and these tests skipped:", red=True)
            for nodeid, reason in _skipped:
                tr.write_line(f"  {nodeid}: {reason}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
