"""The Redis cache backend: Django's cache API over one redis-py client per process.

Django's own Redis backend builds a new `redis.Redis` object for every cache call, which costs
more CPU than the round trip to a local Redis; every authenticated request reads the cache (the
token denylist) and every public catalogue page is a cache read. This backend keeps one client
per location and options, shared by the threads of a process (redis-py clients are thread-safe,
and their pool reconnects after a fork). Values are stored as Django's Redis backend stores
them (integers as such, so INCR works; anything else pickled). Code that needs commands the
cache API lacks (scripts) uses the backend's `redis` client.
"""

from __future__ import annotations

import functools
import pickle
from collections.abc import Iterable, Mapping
from typing import Any

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache

# INCRBY only when the key exists, in one round trip.
_INCR_EXISTING = (
    "if redis.call('exists', KEYS[1]) == 1 then return redis.call('incrby', KEYS[1], ARGV[1]) end "
    "return false"
)


@functools.cache
def redis_client(url: str, options: tuple[tuple[str, Any], ...] = ()) -> redis.Redis:
    """The process's client for `url` (`options`: keyword arguments of `Redis.from_url`, such
    as `socket_timeout`)."""
    return redis.Redis.from_url(url, **dict(options))


@functools.cache
def redis_script(client: redis.Redis, source: str) -> Any:
    """A Lua script registered once per client (sent by its SHA1, loaded again when missing)."""
    return client.register_script(source)


def _dumps(value: Any) -> Any:
    return value if type(value) is int else pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


def _loads(data: Any) -> Any:  # bytes: the client does not decode responses
    try:
        return int(data)
    except ValueError:
        return pickle.loads(data)


class RedisCache(BaseCache):
    """`LOCATION`: a redis:// URL; `OPTIONS`: keyword arguments of `redis.Redis.from_url`."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(params)
        options = tuple(sorted(params.get("OPTIONS", {}).items()))
        self.redis = redis_client(server, options)

    def ttl(self, timeout: Any = DEFAULT_TIMEOUT) -> int | None:
        """Seconds to keep a value (None: for ever; 0 or less: not at all)."""
        if timeout is DEFAULT_TIMEOUT:
            timeout = self.default_timeout
        return None if timeout is None else max(0, int(timeout))

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        key = self.make_and_validate_key(key, version=version)
        ttl = self.ttl(timeout)
        added = bool(self.redis.set(key, _dumps(value), ex=ttl or None, nx=True))
        if added and ttl == 0:  # added, and expired at once
            self.redis.delete(key)
        return added

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        value = self.redis.get(self.make_and_validate_key(key, version=version))
        return default if value is None else _loads(value)

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        key = self.make_and_validate_key(key, version=version)
        ttl = self.ttl(timeout)
        if ttl == 0:
            self.redis.delete(key)
        else:
            self.redis.set(key, _dumps(value), ex=ttl)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        ttl = self.ttl(timeout)
        if ttl is None:
            return bool(self.redis.persist(key))
        return bool(self.redis.expire(key, ttl))

    def delete(self, key: Any, version: Any = None) -> bool:
        return bool(self.redis.delete(self.make_and_validate_key(key, version=version)))

    def get_many(self, keys: Iterable[Any], version: Any = None) -> dict[Any, Any]:
        names = {self.make_and_validate_key(key, version=version): key for key in keys}
        if not names:
            return {}
        values = self.redis.mget(list(names))
        return {
            names[name]: _loads(value)
            for name, value in zip(names, values, strict=True)
            if value is not None
        }

    def has_key(self, key: Any, version: Any = None) -> bool:
        return bool(self.redis.exists(self.make_and_validate_key(key, version=version)))

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        name = self.make_and_validate_key(key, version=version)
        value = redis_script(self.redis, _INCR_EXISTING)(keys=[name], args=[delta])
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return int(value)

    def set_many(
        self, data: Mapping[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> list[Any]:
        if not data:
            return []
        ttl = self.ttl(timeout)
        values = {self.make_and_validate_key(k, version=version): v for k, v in data.items()}
        pipeline = self.redis.pipeline()
        if ttl == 0:
            pipeline.delete(*values)
        else:
            pipeline.mset({name: _dumps(value) for name, value in values.items()})
            if ttl is not None:
                for name in values:
                    pipeline.expire(name, ttl)
        pipeline.execute()
        return []

    def delete_many(self, keys: Iterable[Any], version: Any = None) -> None:
        names = [self.make_and_validate_key(key, version=version) for key in keys]
        if names:
            self.redis.delete(*names)

    def clear(self) -> None:
        """Delete this cache's keys: those under its `KEY_PREFIX` (made by the default key
        function) when it has one, since the Redis database may hold other caches' keys or a
        broker's queues; else the whole database."""
        if not self.key_prefix:
            self.redis.flushdb()
            return
        names = list(self.redis.scan_iter(match=f"{self.key_prefix}:*", count=1000))
        for start in range(0, len(names), 1000):
            self.redis.delete(*names[start : start + 1000])
