"""The test suite's settings: PostgreSQL unless DB_ENGINE says otherwise, the local Redis, eager
tasks. Processes the tests start (e2e) read the variables set here and add their own."""

import os

os.environ.setdefault("DB_ENGINE", "postgresql")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("PAYSTACK_SECRET_KEY", "sk_test_fake_secret")
os.environ["CELERY_BROKER_URL"] = ""

from core.settings.base import *  # noqa: F403
from core.settings.base import BASE_DIR, LOGGING, redis_caches

DEBUG = False
SECRET_KEY = os.environ["SECRET_KEY"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_BROKER_URL = ""
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = BASE_DIR / ".test-media"
REDIS_URL = os.environ["REDIS_URL"]
CACHES = redis_caches(REDIS_URL)
CACHES["default"]["KEY_PREFIX"] = f"test{os.getpid()}"
LOGGING["root"]["level"] = "WARNING"
# Off by default: a test's changes are never committed, so the cache would not be invalidated.
# tests/products/test_cache.py turns it on.
CATALOGUE_CACHE_TIMEOUT = 0
WHITENOISE_AUTOREFRESH = False
