"""Development (`make run`): runs with nothing configured. A random secret key per checkout,
a local-memory cache unless REDIS_URL, tasks in-process unless CELERY_BROKER_URL, and (from
base) SQLite and e-mails on the console."""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from pathlib import Path

from decouple import config
from django.core.management.utils import get_random_secret_key

from core.settings.base import *  # noqa: F403
from core.settings.base import BASE_DIR, redis_caches


def development_secret_key() -> str:
    """A random key made once per checkout and kept in a private temporary file, so that every
    process (runserver's reloads, gunicorn workers, Celery) signs and checks tokens alike."""
    checkout = hashlib.sha256(str(BASE_DIR).encode()).hexdigest()[:12]
    path = Path(tempfile.gettempdir()) / f"marketplace-dev-secret-{checkout}"
    draft = path.with_name(f"{path.name}.{os.getpid()}")
    try:
        with os.fdopen(os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            f.write(get_random_secret_key())
        try:
            os.link(draft, path)  # atomic: the first process to get here wins
        except FileExistsError:
            pass
        finally:
            draft.unlink()
        info = path.lstat()  # a regular file, ours alone (never a planted link)
        if stat.S_ISREG(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077:
            return path.read_text().strip()
    except OSError:
        pass
    return get_random_secret_key()  # no usable file (read-only, or not ours alone)


DEBUG = True
SECRET_KEY = config("SECRET_KEY", default="") or development_secret_key()

# Throttles, token denylist and catalogue pages.
REDIS_URL = config("REDIS_URL", default="")
if REDIS_URL:
    CACHES = redis_caches(REDIS_URL)
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Anonymous catalogue answers are cached this many seconds; 0 turns it off. Only with Redis:
# a per-process memory cache would not see other processes' invalidations.
CATALOGUE_CACHE_TIMEOUT = config(
    "CATALOGUE_CACHE_TIMEOUT", default=300 if REDIS_URL else 0, cast=int
)

# No broker configured: tasks run in-process, right after the transaction commits.
CELERY_BROKER_URL = config("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = config(
    "CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL, cast=bool
)
if not CELERY_BROKER_URL:
    # An eager task still borrows a producer (never used to send): an in-process broker with a
    # host named, so kombu does not warn that it is "reverting to localhost" on every checkout.
    CELERY_BROKER_URL = "memory://localhost/"

WHITENOISE_AUTOREFRESH = True
