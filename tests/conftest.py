from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests import factories
from tests.redis_server import RedisServer


@pytest.fixture(autouse=True)
def _clear_cache():
    from users.tokens import DENYLIST_SYNCED_KEY

    cache.clear()
    # Every test starts with no revoked access token in its database: the cache's (empty)
    # denylist is in step with it, as it is in service between two synchronisations.
    cache.set(DENYLIST_SYNCED_KEY, 1, 300)
    yield
    cache.clear()


@pytest.fixture
def redis_server(tmp_path) -> RedisServer:
    """A redis-server of the test's own (`tests/redis_server.py`), killed at teardown."""
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def own_redis_cache(settings, redis_server) -> RedisServer:
    """The cache on the test's own Redis (with the configured timeouts), to break at will."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": redis_server.url()}}
    return redis_server


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for() -> Callable[..., APIClient]:
    """An APIClient that sends a real access token for `user`."""
    from users.services import tokens_for_user

    def make(user) -> APIClient:
        client = APIClient()
        access = tokens_for_user(user=user)["access"]
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
        return client

    return make


@pytest.fixture
def customer(db):
    return factories.UserFactory()


@pytest.fixture
def admin_user(db):
    return factories.UserFactory(is_staff=True, is_superuser=True)
