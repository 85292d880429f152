"""Settings that let the web tier scale out: nothing a process keeps to itself.

The settings module is read once per process, so each variant is read in a fresh Python.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from django.conf import settings as django_settings

from core.checks import shared_cache_check

_READ_SETTINGS = """
import json, os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "core.settings"
import django
django.setup()
from django.conf import settings
read = {
    "secret_key": settings.SECRET_KEY,
    "media_backend": settings.STORAGES["default"]["BACKEND"],
    "serve_media": settings.SERVE_MEDIA,
    "bucket": getattr(settings, "AWS_STORAGE_BUCKET_NAME", None),
    "querystring_auth": getattr(settings, "AWS_QUERYSTRING_AUTH", None),
}
if "--storage" in sys.argv:
    from django.core.files.storage import storages
    read["storage"] = type(storages["default"]).__name__
print(json.dumps(read))
"""
# Variables of this test process that must not leak into the fresh one.
_OWN = ("SECRET_KEY", "DEBUG", "MEDIA_STORAGE_BACKEND", "SERVE_MEDIA", "AWS_STORAGE_BUCKET_NAME")


def settings_with(*args: str, **env: str) -> dict[str, Any]:
    clean = {k: v for k, v in os.environ.items() if k not in _OWN}
    result = subprocess.run(
        [sys.executable, "-c", _READ_SETTINGS, *args],
        cwd=django_settings.BASE_DIR,
        env={**clean, "DB_ENGINE": "sqlite", "REDIS_URL": "", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_development_processes_share_one_secret_key():
    # With DEBUG and no SECRET_KEY, every process must still accept the others' tokens.
    first = settings_with(DEBUG="True")["secret_key"]
    second = settings_with(DEBUG="True")["secret_key"]
    assert first == second and len(first) >= 50


def test_media_is_local_files_served_by_the_app_by_default():
    read = settings_with("--storage", SECRET_KEY="x" * 50)
    assert read["storage"] == "FileSystemStorage"
    assert read["serve_media"] is True


def test_media_storage_is_switched_by_a_setting():
    backend = "django.core.files.storage.InMemoryStorage"
    read = settings_with("--storage", SECRET_KEY="x" * 50, MEDIA_STORAGE_BACKEND=backend)
    assert read["storage"] == "InMemoryStorage"
    # Another storage serves its own files: the app stops serving /media/.
    assert read["serve_media"] is False


def test_s3_settings_are_read_from_the_environment():
    # Only the settings are read: django-storages is an optional install.
    read = settings_with(
        SECRET_KEY="x" * 50,
        MEDIA_STORAGE_BACKEND="storages.backends.s3.S3Storage",
        AWS_STORAGE_BUCKET_NAME="marketplace-media",
    )
    assert read["media_backend"] == "storages.backends.s3.S3Storage"
    assert read["bucket"] == "marketplace-media"
    # Catalogue answers are cached: image URLs must not be signed ones that expire.
    assert read["querystring_auth"] is False
    assert read["serve_media"] is False


def test_deploy_check_warns_when_the_cache_is_per_process(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert [warning.id for warning in shared_cache_check()] == ["core.I001"]


def test_deploy_check_is_quiet_with_redis(settings):
    settings.CACHES = {
        "default": {"BACKEND": "core.cache.RedisCache", "LOCATION": "redis://127.0.0.1:6379/0"}
    }
    assert shared_cache_check() == []


def test_health_checks_answer_plain_http_when_https_is_enforced(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    # A load balancer's probe over HTTP gets its answer...
    assert client.get("/health/").status_code == 200
    # ...while anything else is sent to HTTPS.
    redirect = client.get("/api/v1/ping/")
    assert redirect.status_code == 301 and redirect["Location"].startswith("https://")
