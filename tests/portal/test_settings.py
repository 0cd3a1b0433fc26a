"""Settings come from the environment and fail loudly; the embedded broker is atomic."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from kombu import Connection

import portal.broker
import portal.celery  # noqa: F401 - registers the "fsatomic" transport alias

ROOT = Path(__file__).resolve().parents[2]
# Variables that would change what the child process sees.
CLEARED = {
    "DJANGO_ENV",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CELERY_DATA_DIR",
    "DEBUG",
    "REDIS_URL",
    "CACHE_URL",
    "REDIS_SOCKET_TIMEOUT",
}


def run_settings(code="", **env_vars):
    """Run ``django.setup()`` then ``code`` in a fresh interpreter with ``env_vars``."""
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update(env_vars, DJANGO_SETTINGS_MODULE="portal.settings")
    script = "import django; from django.conf import settings; django.setup()\n" + code
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


class TestProductionSettings:
    def test_it_refuses_to_start_without_a_secret_key(self):
        result = run_settings(DJANGO_ENV="production", ALLOWED_HOSTS="example.org")
        assert result.returncode != 0
        assert "ImproperlyConfigured" in result.stderr
        assert "Production settings need SECRET_KEY and ALLOWED_HOSTS" in result.stderr

    def test_it_refuses_to_start_without_allowed_hosts(self):
        result = run_settings(DJANGO_ENV="production", SECRET_KEY="s" * 50)
        assert result.returncode != 0
        assert "SECRET_KEY and ALLOWED_HOSTS" in result.stderr

    def test_it_starts_with_both_and_turns_debug_off(self):
        result = run_settings(
            "import json; print(json.dumps([settings.DEBUG, settings.ALLOWED_HOSTS]))",
            DJANGO_ENV="production",
            SECRET_KEY="s" * 50,
            ALLOWED_HOSTS="example.org,www.example.org",
        )
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == [False, ["example.org", "www.example.org"]]

    def test_it_rejects_an_unknown_environment_name(self):
        result = run_settings(DJANGO_ENV="staging")
        assert result.returncode != 0
        assert "DJANGO_ENV must be development, production or test" in result.stderr


class TestDatabaseSettings:
    def test_the_default_is_sqlite_with_wal_and_immediate_transactions(self, tmp_path):
        result = run_settings(
            "import json; print(json.dumps(settings.DATABASES['default']))",
            SQLITE_PATH=str(tmp_path / "x.sqlite3"),
        )
        assert result.returncode == 0, result.stderr
        db = json.loads(result.stdout)
        assert db["ENGINE"] == "django.db.backends.sqlite3"
        assert db["NAME"] == str(tmp_path / "x.sqlite3")
        assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        assert db["OPTIONS"]["timeout"] == 20
        assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]

    def test_database_url_switches_the_engine(self):
        result = run_settings(
            "import json; print(json.dumps(settings.DATABASES['default']))",
            DATABASE_URL="postgres://u:p@db.invalid:5432/motcua",
        )
        assert result.returncode == 0, result.stderr
        db = json.loads(result.stdout)
        assert db["ENGINE"] == "django.db.backends.postgresql"
        assert (db["NAME"], db["HOST"], db["USER"]) == ("motcua", "db.invalid", "u")
        assert "transaction_mode" not in db.get("OPTIONS", {})
        assert db["CONN_HEALTH_CHECKS"] is True

    @pytest.mark.parametrize("timeout,expected", [(None, 1.0), ("2.5", 2.5)])
    def test_redis_url_makes_the_cache_redis_with_socket_timeouts(self, timeout, expected):
        extra = {"REDIS_SOCKET_TIMEOUT": timeout} if timeout else {}
        result = run_settings(
            "import json; print(json.dumps(settings.CACHES['default']))",
            REDIS_URL="redis://127.0.0.1:6379/1",
            **extra,
        )
        assert result.returncode == 0, result.stderr
        cache = json.loads(result.stdout)
        assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
        assert cache["OPTIONS"] == {"socket_connect_timeout": expected, "socket_timeout": expected}

    def test_the_embedded_broker_is_the_default(self, tmp_path):
        result = run_settings(
            "import json; print(json.dumps([settings.CELERY_BROKER_URL, "
            "settings.CELERY_BROKER_TRANSPORT_OPTIONS]))",
            CELERY_DATA_DIR=str(tmp_path),
        )
        assert result.returncode == 0, result.stderr
        url, options = json.loads(result.stdout)
        assert url == "fsatomic://"
        assert options["data_folder_in"] == options["data_folder_out"] == str(tmp_path / "queue")
        assert options["control_folder"] == str(tmp_path / "control")


def transport_options(tmp_path):
    """Return the broker transport options settings.py builds for CELERY_DATA_DIR=tmp_path."""
    result = run_settings(
        "import json; print(json.dumps(settings.CELERY_BROKER_TRANSPORT_OPTIONS))",
        CELERY_DATA_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def queue_name():
    # kombu's filesystem transport keeps declared exchanges in process-global
    # state, so each test uses its own queue name to bind in its own folder.
    return f"jobs{uuid.uuid4().hex[:8]}"


class TestAtomicBroker:
    def test_a_put_creates_exactly_one_message_and_never_a_partial_one(self, tmp_path, monkeypatch):
        options = transport_options(tmp_path)
        queue_dir = Path(options["data_folder_out"])
        name = queue_name()
        seen_at_replace = []
        real_replace = os.replace

        def checking_replace(src, dst):
            # Just before the rename, nothing carries the queue's name yet and
            # the temporary file already holds the whole message.
            if str(dst).endswith(f".{name}.msg"):
                seen_at_replace.append(
                    (
                        sorted(p.name for p in queue_dir.glob(f"*.{name}.msg")),
                        json.loads(Path(src).read_bytes()),
                    )
                )
            return real_replace(src, dst)

        monkeypatch.setattr(portal.broker.os, "replace", checking_replace)
        with Connection("fsatomic://", transport_options=options) as conn:
            queue = conn.SimpleQueue(name)
            queue.put({"n": 1, "text": "Một cửa"})
            queue.close()
        assert len(seen_at_replace) == 1
        names_before, payload = seen_at_replace[0]
        assert names_before == []
        assert "body" in payload and "properties" in payload
        files = sorted(p.name for p in queue_dir.iterdir())
        assert len(files) == 1
        assert files[0].endswith(f".{name}.msg")

    def test_a_message_goes_round_trip_through_kombu(self, tmp_path):
        options = transport_options(tmp_path)
        name = queue_name()
        with Connection("fsatomic://", transport_options=options) as conn:
            queue = conn.SimpleQueue(name)
            queue.put({"office": 7})
            message = queue.get(timeout=2)
            assert message.payload == {"office": 7}
            message.ack()
            queue.close()
        assert not list(Path(options["data_folder_in"]).glob("*.msg"))

    def test_a_message_crosses_processes(self, tmp_path):
        options = transport_options(tmp_path)
        producer = (
            "import json, sys, portal.celery; from kombu import Connection; "
            "opts = json.loads(sys.argv[1]); "
            "c = Connection('fsatomic://', transport_options=opts); "
            "q = c.SimpleQueue(sys.argv[2]); q.put({'from': 'child'}); q.close(); c.close()"
        )
        name = queue_name()
        result = subprocess.run(
            [sys.executable, "-c", producer, json.dumps(options), name],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        with Connection("fsatomic://", transport_options=options) as conn:
            queue = conn.SimpleQueue(name)
            message = queue.get(timeout=2)
            assert message.payload == {"from": "child"}
            message.ack()
            queue.close()

    @pytest.mark.parametrize("folder", ["processed_folder", "control_folder"])
    def test_the_channel_creates_its_folders(self, tmp_path, folder):
        options = transport_options(tmp_path)
        with Connection("fsatomic://", transport_options=options) as conn:
            assert conn.default_channel is not None
        assert Path(options[folder]).is_dir()
