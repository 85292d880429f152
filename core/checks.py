"""System checks for running more than one process (`manage.py check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Info, Tags, register


@register(Tags.caches, deploy=True)
def shared_cache_check(app_configs: Any = None, **kwargs: Any) -> list[Info]:
    """The cache holds what every server must share: the access-token denylist (logout) and
    the rate-limit windows. A per-process memory cache would let a logged-out token work on
    the other workers and multiply every rate limit by the number of processes. An Info, not a
    Warning: a single-process deployment is legitimate, and `check --deploy --fail-level
    WARNING` must stay clean for it."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend.endswith(("LocMemCache", "DummyCache")):
        return [
            Info(
                "The cache is local to each process (REDIS_URL is not set).",
                hint=(
                    "Set REDIS_URL: logouts and rate limits must be shared by every server "
                    "process and worker."
                ),
                id="core.I001",
            )
        ]
    return []
