"""Rate limits backed by the Django cache (Redis when `REDIS_URL` is set).

Rates live in ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` under each class's `scope` and are
read per request, so a changed setting takes effect without re-importing anything. A throttled
request answers ``429 throttled`` with `Retry-After` (core.exceptions).

Two kinds of key: the client IP (`ClientIPThrottle`), and a value taken from the request body
(`BodyFieldThrottle`: the e-mail of a login or of a password-reset request), hashed so that
no personal data ends up in cache keys.

With Redis, each key's window (DRF's sliding log: the times of the requests let through in the
last `duration` seconds) is a sorted set checked and updated by one Lua script, so concurrent
requests on any number of servers never get more than the budget between them (DRF's own
read-then-write of the cache lets a burst through). Other caches use DRF's implementation.
While Redis cannot answer, limits fail open: requests go through, with a logged warning.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Mapping
from typing import Any, cast

from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from core.cache import RedisCache, redis_script

logger = logging.getLogger(__name__)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


# KEYS[1]: the window's sorted set; ARGV: now, duration (s), budget, a unique member.
# Drops the times that left the window, lets the request in (recording it) when the budget is
# not spent, and returns {allowed, requests in the window, the oldest one's time}.
_SLIDING_WINDOW = """
local now, duration, budget = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - duration)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < budget then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('EXPIRE', KEYS[1], math.ceil(duration))
  count = count + 1
  allowed = 1
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {allowed, count, oldest[2] or ARGV[1]}
"""


class ScopedThrottle(SimpleRateThrottle):
    """A throttle whose rate is looked up by `scope` at request time."""

    scope: str = ""
    # Distinguishes the keys of throttles sharing a scope (per IP, per account).
    key_kind: str = ""
    # Set by SimpleRateThrottle from the rate (its type stubs leave them out).
    num_requests: int
    duration: int

    def get_rate(self) -> str | None:
        try:
            return cast(str | None, api_settings.DEFAULT_THROTTLE_RATES[self.scope])
        except KeyError as exc:
            raise ImproperlyConfigured(f"No throttle rate set for scope '{self.scope}'.") from exc

    # (requests in the window, time of the oldest) after an atomic check; None: DRF's path.
    _window: tuple[int, float] | None = None

    def get_ident_value(self, request: Request, view: APIView) -> str | None:
        raise NotImplementedError

    def allow_request(self, request: Request, view: APIView) -> bool:
        backend = caches["default"]
        if not isinstance(backend, RedisCache) or self.rate is None:
            return super().allow_request(request, view)
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        try:
            allowed, count, oldest = redis_script(backend.redis, _SLIDING_WINDOW)(
                keys=[backend.make_key(f"{self.key}:window")],
                args=[repr(self.now), self.duration, self.num_requests, uuid.uuid4().hex],
            )
        except RedisError:
            # Nothing else keeps the count: let the request through rather than refuse everyone.
            logger.warning("Rate limit not applied (%s): Redis is unavailable.", self.scope)
            return True
        self._window = (int(count), float(oldest))
        return bool(allowed)

    def wait(self) -> float | None:
        if self._window is None:
            return super().wait()
        count, oldest = self._window
        available = self.num_requests - count + 1
        if available <= 0:
            return None
        return (self.duration - (self.now - oldest)) / available

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        ident = self.get_ident_value(request, view)
        if not ident:
            return None
        return self.cache_format % {"scope": self.scope, "ident": f"{self.key_kind}:{ident}"}


class ClientIPThrottle(ScopedThrottle):
    key_kind = "ip"

    def get_ident_value(self, request: Request, view: APIView) -> str | None:
        return self.get_ident(request)


class BodyFieldThrottle(ScopedThrottle):
    """Keyed by normalised values of `fields` in the request body (case-insensitive)."""

    key_kind = "account"
    fields: tuple[str, ...] = ()

    def get_ident_value(self, request: Request, view: APIView) -> str | None:
        data: Any = request.data
        if not isinstance(data, Mapping):
            return None
        parts = []
        for field in self.fields:
            value = data.get(field)
            if not isinstance(value, str) or not value.strip():
                return None
            parts.append(value.strip().lower())
        return _digest("\x1f".join(parts))


class UserThrottle(ScopedThrottle):
    """Keyed by the authenticated account (e.g. actions that check the current password)."""

    key_kind = "user"

    def get_ident_value(self, request: Request, view: APIView) -> str | None:
        user = request.user
        return str(user.pk) if user and user.is_authenticated else None


# --- The limits of the contract ----------------------------------------------------
class LoginIPThrottle(ClientIPThrottle):
    """E-mail login and staff login share one budget per client IP."""

    scope = "login"


class LoginEmailThrottle(BodyFieldThrottle):
    scope = "login"
    key_kind = "email"
    fields = ("email",)


class StaffLoginAccountThrottle(BodyFieldThrottle):
    scope = "login"
    key_kind = "staff"
    fields = ("shop_code", "handle")


class PasswordCheckThrottle(UserThrottle):
    """Password change and account deletion check the current password: same budget as login."""

    scope = "login"


class RegisterIPThrottle(ClientIPThrottle):
    scope = "register"


class PasswordForgotEmailThrottle(BodyFieldThrottle):
    scope = "password_forgot"
    fields = ("email",)


class VerifyResendEmailThrottle(BodyFieldThrottle):
    scope = "verify_resend"
    fields = ("email",)


class EmailSendingIPThrottle(ClientIPThrottle):
    """Caps, per client IP, requests that send mail to arbitrary addresses."""

    scope = "email_ip"
