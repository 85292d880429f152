from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests import factories


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


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
