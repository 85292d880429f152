"""Unit-test settings: PostgreSQL unless DB_ENGINE says otherwise, the local Redis, eager tasks."""

import os

os.environ.setdefault("DB_ENGINE", "postgresql")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("PAYSTACK_SECRET_KEY", "sk_test_fake_secret")
os.environ["CELERY_BROKER_URL"] = ""

from core.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = BASE_DIR / ".test-media"  # noqa: F405
CACHES["default"]["KEY_PREFIX"] = f"test{os.getpid()}"  # noqa: F405
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# Off by default: a test's changes are never committed, so the cache would not be invalidated.
# tests/products/test_cache.py turns it on.
CATALOGUE_CACHE_TIMEOUT = 0
