"""Shared fixtures and the rule that CI may not skip tests needing services.

With ``PORTAL_FORBID_SKIPS=1`` (set by ``.ci/run``) any skipped test fails
the run, except those skipped because they belong to another database
backend (reason starting with ``other backend:``).
"""

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

_skipped = []


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Hash test passwords with a cheap hasher; PBKDF2 dominates user-heavy tests."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _eager_celery(settings):
    """Run Celery tasks inline in tests unless a test opts out."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from portal.celery import app

    app.conf.task_always_eager = True
    yield


def pytest_collection_modifyitems(items):
    """Refuse transactional tests without ``serialized_rollback``.

    A transactional test that flushes without it lets post_migrate recreate
    content types, and the next test that restores the serialized database
    then fails on duplicates; it also loses the shipped questionnaires.
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
