"""Browser tests: Playwright (Python) driving Debian's chromium against ``live_server``.

pytest-playwright's ``browser``/``page`` fixtures launch /usr/bin/chromium with
the flags below; without it every test here is skipped with the reason (and CI,
which forbids skips, fails).
"""

import os
import shutil
from importlib import import_module

import pytest
from django.apps import apps

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not (os.path.exists(CHROMIUM) and shutil.which(CHROMIUM)):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture
def phone_context(browser, live_server):
    """Return a browser context the size of a phone, Vietnamese first."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="vi-VN",
        base_url=live_server.url,
    )
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def tablet_context(browser, live_server):
    """Return a browser context the size of a counter tablet in landscape."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 800},
        has_touch=True,
        locale="vi-VN",
        base_url=live_server.url,
    )
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture(autouse=True)
def _questionnaires(transactional_db):
    """Make sure the ready questionnaires (counter, SIPAS) are there for this test.

    A transactional test empties every table when it ends, including the rows
    the data migration wrote. Tests here use ``serialized_rollback=True``,
    which restores them (every transactional test in the suite must, or the
    restore collides with the content types a plain flush recreates); the
    migration's loader adds whatever is still missing.
    """
    import_module("surveys.migrations.0002_questionnaires_sipas_counter").load(apps, None)
