"""Settings per environment: production refuses to start without what its processes must share,
and nothing a process keeps to itself lets the web tier scale out.

The settings module is read once per process, so each variant is read in a fresh Python.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import override_settings

_READ_SETTINGS = """
import json, os, sys
from core.settings import default_settings_module
os.environ.setdefault("DJANGO_SETTINGS_MODULE", default_settings_module())
import django
django.setup()
from django.conf import settings
read = {
    "secret_key": settings.SECRET_KEY,
    "cache": settings.CACHES["default"]["BACKEND"],
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "media_backend": settings.STORAGES["default"]["BACKEND"],
    "serve_media": settings.SERVE_MEDIA,
    "bucket": getattr(settings, "AWS_STORAGE_BUCKET_NAME", None),
    "querystring_auth": getattr(settings, "AWS_QUERYSTRING_AUTH", None),
    "parallel_workers": settings.DB_PARALLEL_WORKERS,
}
if "--storage" in sys.argv:
    from django.core.files.storage import storages
    read["storage"] = type(storages["default"]).__name__
print(json.dumps(read))
"""
# Variables of this test process that must not leak into the fresh one.
_OWN = (
    "DJANGO_SETTINGS_MODULE",
    "SECRET_KEY",
    "DEBUG",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "CELERY_TASK_ALWAYS_EAGER",
    "MEDIA_STORAGE_BACKEND",
    "SERVE_MEDIA",
    "AWS_STORAGE_BUCKET_NAME",
    "DB_PARALLEL_WORKERS",
)
# What production requires, for the tests about something else.
PRODUCTION = {
    "SECRET_KEY": "x" * 50,
    "REDIS_URL": "redis://127.0.0.1:6379/15",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/15",
}


def run_fresh(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in _OWN}
    return subprocess.run(
        [sys.executable, *args],
        cwd=django_settings.BASE_DIR,
        env={**clean, "DB_ENGINE": "sqlite", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_with(*args: str, **env: str) -> dict[str, Any]:
    result = run_fresh(["-c", _READ_SETTINGS, *args], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("missing", ["SECRET_KEY", "REDIS_URL", "CELERY_BROKER_URL"])
def test_production_does_not_start_without_what_it_shares(missing):
    env = {name: value for name, value in PRODUCTION.items() if name != missing}
    result = run_fresh(["manage.py", "check"], {"DEBUG": "False", **env})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{missing} must be set when DEBUG is off." in result.stderr


def test_production_starts_with_them_and_sends_tasks_to_the_broker():
    assert run_fresh(["manage.py", "check"], PRODUCTION).returncode == 0
    read = settings_with(**PRODUCTION)
    assert read["cache"] == "core.cache.RedisCache"
    assert read["eager"] is False


def test_production_runs_tasks_in_process_only_when_asked():
    env = {k: v for k, v in PRODUCTION.items() if k != "CELERY_BROKER_URL"}
    read = settings_with(CELERY_TASK_ALWAYS_EAGER="True", **env)
    assert read["eager"] is True


def test_development_needs_nothing_configured():
    read = settings_with(DEBUG="True")
    assert read["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert read["eager"] is True
    # A broker, once configured, takes the tasks.
    assert (
        settings_with(DEBUG="True", CELERY_BROKER_URL="redis://127.0.0.1:6379/15")["eager"] is False
    )


def test_development_processes_share_one_secret_key():
    # With DEBUG and no SECRET_KEY, every process must still accept the others' tokens.
    first = settings_with(DEBUG="True")["secret_key"]
    second = settings_with(DEBUG="True")["secret_key"]
    assert first == second and len(first) >= 50


def test_media_is_local_files_served_by_the_app_by_default():
    read = settings_with("--storage", **PRODUCTION)
    assert read["storage"] == "FileSystemStorage"
    assert read["serve_media"] is True


def test_media_storage_is_switched_by_a_setting():
    backend = "django.core.files.storage.InMemoryStorage"
    read = settings_with("--storage", MEDIA_STORAGE_BACKEND=backend, **PRODUCTION)
    assert read["storage"] == "InMemoryStorage"
    # Another storage serves its own files: the app stops serving /media/.
    assert read["serve_media"] is False


def test_s3_settings_are_read_from_the_environment():
    # Only the settings are read: django-storages is an optional install.
    read = settings_with(
        **PRODUCTION,
        MEDIA_STORAGE_BACKEND="storages.backends.s3.S3Storage",
        AWS_STORAGE_BUCKET_NAME="marketplace-media",
    )
    assert read["media_backend"] == "storages.backends.s3.S3Storage"
    assert read["bucket"] == "marketplace-media"
    # Catalogue answers are cached: image URLs must not be signed ones that expire.
    assert read["querystring_auth"] is False
    assert read["serve_media"] is False


def test_health_checks_answer_plain_http_when_https_is_enforced(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    # A load balancer's probe over HTTP gets its answer...
    assert client.get("/health/").status_code == 200
    # ...while anything else is sent to HTTPS.
    redirect = client.get("/api/v1/ping/")
    assert redirect.status_code == 301 and redirect["Location"].startswith("https://")


def test_postgresql_queries_start_no_parallel_workers_unless_asked():
    assert settings_with(DEBUG="True")["parallel_workers"] == 0
    assert settings_with(DEBUG="True", DB_PARALLEL_WORKERS="2")["parallel_workers"] == 2
    assert settings_with(DEBUG="True", DB_PARALLEL_WORKERS="")["parallel_workers"] is None
    for wrong in ("two", "-1", "1025", "²"):
        result = run_fresh(["manage.py", "check"], {"DEBUG": "True", "DB_PARALLEL_WORKERS": wrong})
        assert "DB_PARALLEL_WORKERS must be a whole number" in result.stderr, wrong


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting")
def test_each_new_connection_takes_the_setting():
    def workers() -> tuple[str, str]:
        """The value and where it comes from (`session`: a SET of this connection)."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setting, source FROM pg_settings WHERE name = %s",
                ["max_parallel_workers_per_gather"],
            )
            return cursor.fetchone()

    assert workers() == ("0", "session")
    try:
        with override_settings(DB_PARALLEL_WORKERS=3):
            connection.close()
            assert workers() == ("3", "session")
        with override_settings(DB_PARALLEL_WORKERS=None):  # the server's own
            connection.close()
            assert workers()[1] != "session"
    finally:
        connection.close()  # the next connection takes the setting back
    assert workers() == ("0", "session")
