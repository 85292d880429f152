"""core.cache.RedisCache: Django's Redis backend, with its Redis client built once."""

import threading

import pytest
from django.core.cache import caches

from core.cache import RedisCache


def test_the_configured_cache_reuses_one_client_and_works_across_threads():
    backend = caches["default"]
    assert isinstance(backend, RedisCache)
    client = backend._cache.get_client(write=True)
    assert backend._cache.get_client() is client
    assert backend._cache.get_client("any-key", write=True) is client

    backend.set("core-cache-test", 0, 30)
    barrier = threading.Barrier(8)

    def bump() -> None:
        barrier.wait()
        for _ in range(50):
            backend.incr("core-cache-test")

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
    client = backend._cache.get_client(write=True)
    sent = []
    original = client.execute_command

    def counting(*args, **kwargs):
        sent.append(args[0])
        return original(*args, **kwargs)

    client.execute_command = counting
    try:
        assert backend.incr("core-cache-incr", 10) == 15
    finally:
        del client.execute_command
    assert len(sent) == 1  # EVALSHA, not EXISTS then INCRBY
    assert backend.get("core-cache-incr") == 15
    backend.delete("core-cache-incr")
    with pytest.raises(ValueError):
        backend.incr("core-cache-incr")
    assert backend.get("core-cache-incr") is None  # not created by the failed incr
