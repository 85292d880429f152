"""Rate limits backed by the Django cache (Redis when `REDIS_URL` is set).

Rates live in ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` under each class's `scope` and are
read per request, so a changed setting takes effect without re-importing anything. A throttled
request answers ``429 throttled`` with `Retry-After` (core.exceptions).

Two kinds of key: the client IP (`ClientIPThrottle`), and a value taken from the request body
(`BodyFieldThrottle`: the e-mail of a login or of a password-reset request), hashed so that
no personal data ends up in cache keys.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


class ScopedThrottle(SimpleRateThrottle):
    """A throttle whose rate is looked up by `scope` at request time."""

    scope: str = ""
    # Distinguishes the keys of throttles sharing a scope (per IP, per account).
    key_kind: str = ""

    def get_rate(self) -> str | None:
        try:
            return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError as exc:
            raise ImproperlyConfigured(f"No throttle rate set for scope '{self.scope}'.") from exc

    def get_ident_value(self, request: Request, view: APIView) -> str | None:
        raise NotImplementedError

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


# --- The limits of the contract (API.md §2) ----------------------------------------------------
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
