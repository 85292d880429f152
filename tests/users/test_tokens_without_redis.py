"""Authentication when Redis is down, hung or restarted empty: signed-in requests keep working
and a logged-out access token stays refused (the denylist is kept in the database too)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from tests.users.conftest import assert_error, bearer
from users import services
from users.models import DeniedAccessToken
from users.tokens import DENYLIST_SYNC_SECONDS, DENYLIST_SYNCED_KEY

pytestmark = pytest.mark.django_db

LOGOUT = "/api/v1/auth/logout/"
ME = "/api/v1/users/me/"


def me(access: str):
    return bearer(APIClient(), access).get(ME)


def logout(tokens: dict[str, str]):
    return bearer(APIClient(), tokens["access"]).post(
        LOGOUT, {"refresh": tokens["refresh"]}, format="json"
    )


def test_a_logout_is_kept_in_the_database_too(own_redis_cache, customer):
    tokens = services.tokens_for_user(user=customer)
    assert logout(tokens).status_code == 200
    row = DeniedAccessToken.objects.get(user=customer)
    assert row.expires_at > timezone.now()
    assert_error(me(tokens["access"]), 401, "not_authenticated")


def test_redis_killed_logged_out_token_stays_refused_and_others_work(own_redis_cache, customer):
    out = services.tokens_for_user(user=customer)
    other = services.tokens_for_user(user=customer)
    assert logout(out).status_code == 200
    own_redis_cache.kill()
    assert_error(me(out["access"]), 401, "not_authenticated")
    assert me(other["access"]).status_code == 200


def test_logout_while_redis_is_down_holds_once_it_is_back_empty(own_redis_cache, customer):
    out = services.tokens_for_user(user=customer)
    other = services.tokens_for_user(user=customer)
    own_redis_cache.kill()
    assert logout(out).status_code == 200
    assert_error(me(out["access"]), 401, "not_authenticated")
    own_redis_cache.start()  # empty: no denylist, no synchronisation mark
    assert_error(me(out["access"]), 401, "not_authenticated")
    assert cache.get(DENYLIST_SYNCED_KEY) is not None  # loaded again from the database
    assert me(other["access"]).status_code == 200
    assert_error(me(out["access"]), 401, "not_authenticated")  # now from the cache


def test_a_logout_the_cache_missed_reaches_it_at_the_next_synchronisation(
    own_redis_cache, customer
):
    out = services.tokens_for_user(user=customer)
    assert me(out["access"]).status_code == 200  # the cache is synchronised
    ttl = own_redis_cache_ttl(own_redis_cache)
    assert 0 < ttl <= DENYLIST_SYNC_SECONDS
    own_redis_cache.pause()
    assert logout(out).status_code == 200  # the cache did not answer: the database has it
    own_redis_cache.resume()
    cache.delete(DENYLIST_SYNCED_KEY)  # what DENYLIST_SYNC_SECONDS later brings
    assert_error(me(out["access"]), 401, "not_authenticated")


def own_redis_cache_ttl(server) -> int:
    import redis

    client = redis.Redis.from_url(server.url())
    keys = client.keys(f"*{DENYLIST_SYNCED_KEY}")
    assert len(keys) == 1
    return client.ttl(keys[0])


def test_redis_hung_costs_a_signed_in_request_a_fraction_of_a_second(own_redis_cache, customer):
    out = services.tokens_for_user(user=customer)
    other = services.tokens_for_user(user=customer)
    assert logout(out).status_code == 200
    own_redis_cache.pause()
    started = time.monotonic()
    assert me(other["access"]).status_code == 200
    assert_error(me(out["access"]), 401, "not_authenticated")
    assert time.monotonic() - started < 2.0


def test_purge_forgets_expired_denied_access_tokens(customer):
    from users.tasks import purge_expired_revoked_tokens

    now = timezone.now()
    DeniedAccessToken.objects.create(jti="old", user=customer, expires_at=now - timedelta(1))
    DeniedAccessToken.objects.create(jti="new", user=customer, expires_at=now + timedelta(1))
    assert purge_expired_revoked_tokens.apply().get() == 1
    assert list(DeniedAccessToken.objects.values_list("jti", flat=True)) == ["new"]
