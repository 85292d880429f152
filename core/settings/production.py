"""Production (DEBUG off, the default): what several processes must share is required, and a
missing SECRET_KEY, REDIS_URL or CELERY_BROKER_URL stops start-up naming the variable, rather
than tokens, logouts and rate limits diverging between processes or tasks running inside web
requests. HTTPS hardening is opt-in (base), so a plain-HTTP run behind a proxy works."""

from __future__ import annotations

from decouple import config

from core.settings.base import *  # noqa: F403
from core.settings.base import env_required, redis_caches

DEBUG = False
SECRET_KEY = env_required("SECRET_KEY")

REDIS_URL = env_required("REDIS_URL")
CACHES = redis_caches(REDIS_URL)
CATALOGUE_CACHE_TIMEOUT = config("CATALOGUE_CACHE_TIMEOUT", default=300, cast=int)

# Tasks run in Celery workers; in-process only when asked for explicitly (a one-process site).
CELERY_TASK_ALWAYS_EAGER = config("CELERY_TASK_ALWAYS_EAGER", default=False, cast=bool)
if CELERY_TASK_ALWAYS_EAGER:
    CELERY_BROKER_URL = config("CELERY_BROKER_URL", default="")
else:
    CELERY_BROKER_URL = env_required("CELERY_BROKER_URL")
