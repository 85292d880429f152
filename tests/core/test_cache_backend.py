"""core.cache.RedisCache: Django's cache API over one redis-py client per process."""

import threading

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache

from core.cache import RedisCache


def test_the_configured_cache_shares_one_client_across_threads():
    backend = caches["default"]
    assert isinstance(backend, RedisCache)
    seen = []

    def other_thread() -> None:
        seen.append(caches["default"])

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert seen[0] is not backend  # Django gives each thread its own backend...
    assert seen[0].redis is backend.redis  # ...and they share the process's client

    backend.set("core-cache-test", 0, 30)
    barrier = threading.Barrier(8)

    def bump() -> None:
        barrier.wait()
        for _ in range(50):
            caches["default"].incr("core-cache-test")

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert backend.get("core-cache-test") == 400
    assert backend.get_many(["core-cache-test", "missing"]) == {"core-cache-test": 400}
    backend.delete("core-cache-test")


def test_incr_is_one_round_trip_and_refuses_a_missing_key():
    backend = caches["default"]
    backend.set("core-cache-incr", 5, 30)
    sent = []
    original = backend.redis.execute_command

    def counting(*args, **kwargs):
        sent.append(args[0])
        return original(*args, **kwargs)

    backend.redis.execute_command = counting
    try:
        assert backend.incr("core-cache-incr", 10) == 15
    finally:
        del backend.redis.execute_command
    assert len(sent) == 1  # EVALSHA, not EXISTS then INCRBY
    assert backend.get("core-cache-incr") == 15
    backend.delete("core-cache-incr")
    with pytest.raises(ValueError):
        backend.incr("core-cache-incr")
    assert backend.get("core-cache-incr") is None  # not created by the failed incr


def test_the_cache_api_behaves_as_django_s_redis_backend(settings):
    ours = caches["default"]
    theirs = DjangoRedisCache(settings.CACHES["default"]["LOCATION"], {"KEY_PREFIX": "mkt-t"})
    ours.key_prefix = "mkt-t"  # the same keys, so each reads what the other wrote
    try:
        values = {"int": 7, "text": "Ọjà", "dict": {"a": [1, 2]}, "bool": True, "none": None}
        ours.set_many(values, 30)
        assert theirs.get_many(list(values)) == values
        theirs.set("theirs", {"x": 1}, 30)
        assert ours.get("theirs") == {"x": 1}
        assert ours.get("absent", "default") == "default"

        assert ours.add("added", 1, 30) is True
        assert ours.add("added", 2, 30) is False and ours.get("added") == 1
        assert ours.add("gone", 1, 0) is True and ours.has_key("gone") is False
        ours.set("gone", 1, 0)
        assert ours.get("gone") is None
        ours.set("kept", 1, None)
        assert ours.redis.ttl(ours.make_key("kept")) == -1
        assert ours.touch("kept", 30) is True and 0 < ours.redis.ttl(ours.make_key("kept")) <= 30
        assert ours.touch("absent") is False
        assert ours.delete("kept") is True and ours.delete("kept") is False
        ours.delete_many(list(values))
        assert ours.get_many(list(values)) == {}
    finally:
        ours.clear()
        ours.key_prefix = settings.CACHES["default"].get("KEY_PREFIX", "")


def test_an_unreachable_redis_fails_fast_with_a_redis_error():
    from redis.exceptions import RedisError

    backend = RedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 1}})
    with pytest.raises(RedisError):
        backend.get("anything")


def test_clear_deletes_only_the_keys_under_its_prefix():
    backend = caches["default"]
    backend.set("mine", 1, 30)
    backend.redis.set("another-app:key", "kept", ex=30)
    try:
        backend.clear()
        assert backend.get("mine") is None
        assert backend.redis.get("another-app:key") == b"kept"
    finally:
        backend.redis.delete("another-app:key")
