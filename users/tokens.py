"""Tokens: JWT pairs with real revocation, and the signed tokens sent by e-mail.

JWT revocation has three layers:
- every token carries `ver`, the account's `token_version` when it was issued; bumping the
  version (password change/reset, deactivation, deletion) refuses all of them at once;
- a refresh token is consumed by recording its `jti` in `RevokedRefreshToken` (rotation, logout);
- an access token revoked by logout is kept in a denylist in the cache until it expires.

E-mail tokens (verification, password reset) are signed with the secret key and time-stamped.
They carry the account id and a keyed fingerprint of the state they are valid for (the e-mail
address; the password hash), never the e-mail itself, so a reset token stops working as soon as
the password changes.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core import signing
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils.crypto import constant_time_compare, salted_hmac
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken, Token
from rest_framework_simplejwt.utils import datetime_from_epoch

from users.models import RevokedRefreshToken, User

VERSION_CLAIM = "ver"
_DENYLIST_PREFIX = "auth:denied-access:"


# --- JWT -----------------------------------------------------------------------------------------
def tokens_for_user(*, user: User) -> dict[str, str]:
    """A fresh `{refresh, access}` pair bound to the account's current token version."""
    refresh = RefreshToken.for_user(user)
    refresh[VERSION_CLAIM] = user.token_version
    return {"refresh": str(refresh), "access": str(refresh.access_token)}


def token_user_id(token: Token) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(token[jwt_settings.USER_ID_CLAIM]))
    except (KeyError, ValueError):
        return None


def token_matches_user(token: Token, user: User) -> bool:
    """The token was issued to this account at its current version, and it may still log in."""
    if not user.is_active or token.get(VERSION_CLAIM) != user.token_version:
        return False
    # Staff of a deactivated shop have nothing left to act on.
    return not (user.shop_id is not None and not user.shop.is_active)


def refresh_token_decode(raw: str) -> RefreshToken | None:
    """The refresh token if its signature, type and expiry are valid, else None."""
    try:
        return RefreshToken(raw)
    except TokenError:
        return None


def refresh_token_consume(token: RefreshToken, *, user_id: uuid.UUID) -> bool:
    """Mark the refresh token used; False when it already was (a replay or a lost race)."""
    try:
        with transaction.atomic():
            RevokedRefreshToken.objects.create(
                jti=str(token[jwt_settings.JTI_CLAIM]),
                user_id=user_id,
                expires_at=datetime_from_epoch(token["exp"]),
            )
    except IntegrityError:
        return False
    return True


def access_token_deny(token: Token) -> None:
    """Refuse this access token from now until it expires."""
    ttl = int(token["exp"] - time.time()) + 1
    if ttl > 0:
        cache.set(_DENYLIST_PREFIX + str(token[jwt_settings.JTI_CLAIM]), 1, timeout=ttl)


def access_token_is_denied(token: Token) -> bool:
    jti = token.get(jwt_settings.JTI_CLAIM)
    return jti is None or cache.get(_DENYLIST_PREFIX + str(jti)) is not None


# --- Signed e-mail tokens ------------------------------------------------------------------------
EMAIL_VERIFICATION = "users.email-verification"
PASSWORD_RESET = "users.password-reset"
LIFETIMES = {
    EMAIL_VERIFICATION: timedelta(hours=24),
    PASSWORD_RESET: timedelta(hours=1),
}


def _state(purpose: str, user: User) -> str:
    if purpose == EMAIL_VERIFICATION:
        return user.email or ""
    # A reset token is tied to the password hash (so it works once) and to the token version.
    return f"{user.email}|{user.password}|{user.token_version}"


def _fingerprint(purpose: str, user: User) -> str:
    return salted_hmac(purpose, _state(purpose, user), algorithm="sha256").hexdigest()[:32]


def signed_token_make(*, purpose: str, user: User) -> str:
    payload = {"u": user.id.hex, "f": _fingerprint(purpose, user)}
    return signing.dumps(payload, salt=purpose)


@dataclass(frozen=True)
class SignedToken:
    account_id: uuid.UUID
    fingerprint: str

    def fits(self, user: User, *, purpose: str) -> bool:
        """The token still fits the account's current state (same e-mail, same password)."""
        return user.id == self.account_id and constant_time_compare(
            self.fingerprint, _fingerprint(purpose, user)
        )


def signed_token_read(*, purpose: str, token: str) -> SignedToken | None:
    """The content of a well-signed, unexpired token of this purpose; None for anything else."""
    try:
        payload: Any = signing.loads(token, salt=purpose, max_age=LIFETIMES[purpose])
        return SignedToken(account_id=uuid.UUID(hex=payload["u"]), fingerprint=str(payload["f"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def token_digest(token: str) -> str:
    """A short stable id of a token, for e-mail dedupe keys (the token itself is never stored)."""
    return hashlib.sha256(token.encode()).hexdigest()[:24]
