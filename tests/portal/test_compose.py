"""The deployment files point at things that exist (no Docker engine runs here)."""

import importlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
APP_SERVICES = ("migrate", "web", "worker", "beat")
# Variables read by the containers' own entry points, not by portal/settings.py.
NON_SETTINGS_VARS = {"DJANGO_SETTINGS_MODULE", "PYTHONUNBUFFERED"}


def settings_env_vars():
    """Return every environment variable name portal/settings.py reads."""
    source = (ROOT / "portal" / "settings.py").read_text()
    names = set(re.findall(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", source))
    names |= set(re.findall(r"\"([A-Z][A-Z0-9_]*)\" (?:not )?in env\b", source))
    return names


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load(COMPOSE.read_text())


def command_of(service):
    command = service["command"]
    return command if isinstance(command, list) else command.split()


class TestComposeFile:
    def test_it_has_every_service(self, compose):
        assert set(compose["services"]) >= {"postgres", "redis", "web", "worker", "beat", "migrate"}
        assert compose["services"]["postgres"]["image"].startswith("postgres:15")
        assert compose["services"]["redis"]["image"].startswith("redis:7")

    def test_long_running_services_have_healthchecks(self, compose):
        for name in ("postgres", "redis", "web", "worker", "beat"):
            assert compose["services"][name]["healthcheck"]["test"], name

    def test_web_serves_the_wsgi_application_that_exists(self, compose):
        command = command_of(compose["services"]["web"])
        assert command[0] == "gunicorn"
        module, _, attr = command[1].partition(":")
        assert hasattr(importlib.import_module(module), attr or "application")
        assert any("8000" in part for part in command)
        assert any(p.endswith(":8000") for p in compose["services"]["web"]["ports"])

    def test_worker_and_beat_use_the_portal_celery_app(self, compose):
        from celery import Celery
        from celery.app.utils import find_app

        for name, verb in (("worker", "worker"), ("beat", "beat")):
            command = command_of(compose["services"][name])
            assert command[:4] == ["celery", "-A", "portal", verb]
        app = find_app("portal")  # exactly what "celery -A portal" resolves
        assert isinstance(app, Celery)
        assert app.main == "portal"

    def test_migrate_runs_before_the_app_starts(self, compose):
        assert command_of(compose["services"]["migrate"])[-3:] == [
            "manage.py",
            "migrate",
            "--noinput",
        ]
        for name in ("web", "worker", "beat"):
            depends = compose["services"][name]["depends_on"]
            assert depends["migrate"]["condition"] == "service_completed_successfully"
            assert depends["postgres"]["condition"] == "service_healthy"

    def test_app_services_set_only_variables_that_settings_read(self, compose):
        known = settings_env_vars() | NON_SETTINGS_VARS
        for name in APP_SERVICES:
            env = compose["services"][name]["environment"]
            assert set(env) - known == set(), name
            assert env["DJANGO_ENV"] == "production"

    def test_no_secret_is_committed(self, compose):
        env = compose["services"]["web"]["environment"]
        assert env["SECRET_KEY"] == "${SECRET_KEY:?set SECRET_KEY}"
        assert ":?" in compose["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"]
        assert "${POSTGRES_PASSWORD:?" in env["DATABASE_URL"]

    def test_it_is_valid_against_the_compose_specification(self):
        tool = shutil.which("check-jsonschema") or str(
            Path(sys.executable).parent / "check-jsonschema"
        )
        result = subprocess.run(
            [tool, "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr

    def test_the_validator_catches_a_mistyped_key(self, tmp_path):
        bad = tmp_path / "docker-compose.yml"
        bad.write_text(COMPOSE.read_text().replace("healthcheck:", "helthcheck:", 1))
        tool = shutil.which("check-jsonschema") or str(
            Path(sys.executable).parent / "check-jsonschema"
        )
        result = subprocess.run(
            [tool, "--builtin-schema", "vendor.compose-spec", str(bad)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode != 0
        assert "helthcheck" in result.stdout + result.stderr


class TestDockerfile:
    def test_it_builds_from_python_311_slim_as_a_non_root_user(self):
        text = (ROOT / "Dockerfile").read_text()
        assert re.search(r"^FROM python:3\.11-slim", text, re.M)
        assert re.search(r"^COPY requirements\.txt", text, re.M)
        assert "pip install -r requirements.txt" in text
        assert "collectstatic --noinput" in text
        users = re.findall(r"^USER (\S+)", text, re.M)
        assert users and users[-1] not in ("root", "0")

    def test_the_build_time_collectstatic_works_with_production_settings(self, tmp_path):
        code = (
            "import django; from django.conf import settings; django.setup(); "
            f"settings.STATIC_ROOT = {str(tmp_path)!r}; "
            "from django.core.management import call_command; "
            "call_command('collectstatic', '--noinput', verbosity=0)"
        )
        env = {
            k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}
        }
        env.update(
            DJANGO_ENV="production",
            SECRET_KEY="build-only-not-a-secret",
            ALLOWED_HOSTS="localhost",
            DJANGO_SETTINGS_MODULE="portal.settings",
        )
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        assert (tmp_path / "staticfiles.json").exists()

    def test_the_dockerignore_keeps_local_state_out(self):
        ignored = (ROOT / ".dockerignore").read_text().split()
        for entry in (".venv", "var", ".git", ".env"):
            assert entry in ignored


class TestOperationsDoc:
    def test_it_documents_every_variable_settings_read(self):
        doc = (ROOT / "docs" / "OPERATIONS.md").read_text()
        documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", doc, re.M))
        assert settings_env_vars() - documented == set()
