"""Rate limits fail open when Redis is down or hung: the request goes through (nothing else
keeps the count), with a logged warning, and never answers 500."""

from __future__ import annotations

import logging
import time

import pytest
from rest_framework.test import APIClient

from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login/"


@pytest.mark.parametrize("fault", ["killed", "paused"])
def test_login_goes_through_without_redis_and_says_so(own_redis_cache, caplog, fault):
    UserFactory(email="ada@example.com")
    body = {"email": "ada@example.com", "password": DEFAULT_PASSWORD}
    client = APIClient(REMOTE_ADDR="10.0.0.1")
    assert client.post(LOGIN, body, format="json").status_code == 200
    own_redis_cache.kill() if fault == "killed" else own_redis_cache.pause()
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="core.throttles"):
        for _ in range(12):  # more than the budget: nothing counts while Redis is away
            assert client.post(LOGIN, body, format="json").status_code == 200
    assert time.monotonic() - started < 12 * 2 * 0.3 + 2  # two throttles, ~0.25 s each
    assert any("Rate limit not applied" in r.getMessage() for r in caplog.records)
