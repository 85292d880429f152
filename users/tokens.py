"""Tokens: JWT pairs with real revocation, and the signed tokens sent by e-mail.

JWT revocation has three layers:
- every token carries `ver`, the account's `token_version` when it was issued; bumping the
  version (password change/reset, deactivation, deletion) refuses all of them at once;
- a refresh token is consumed by recording its `jti` in `RevokedRefreshToken` (rotation, logout);
- an access token revoked by logout is kept in a denylist in the cache until it expires, and in
  the database (`DeniedAccessToken`): a cache that cannot answer, or that lost its entries (a
  restart, a flush), never brings a logged-out token back.

E-mail tokens (verification, password reset) are signed with the secret key and time-stamped.
They carry the account id and a keyed fingerprint of the state they are valid for (the e-mail
address; the password hash), never the e-mail itself, so a reset token stops working as soon as
the password changes.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core import signing
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from redis.exceptions import RedisError
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken, Token
from rest_framework_simplejwt.utils import datetime_from_epoch

from users.models import DeniedAccessToken, RevokedRefreshToken, User

logger = logging.getLogger(__name__)

VERSION_CLAIM = "ver"
_DENYLIST_PREFIX = "auth:denied-access:"
# Present while the cache's denylist is known to hold every row of the database's. It expires
# now and then, so that a logout the cache missed (it was unreachable) reaches it within that
# long; after a restart or a flush it is missing and the denylist is loaded again.
DENYLIST_SYNCED_KEY = "auth:denylist-synced"
DENYLIST_SYNC_SECONDS = 30


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
    jti = str(token[jwt_settings.JTI_CLAIM])
    expires_at = datetime_from_epoch(token["exp"])
    if expires_at <= timezone.now():
        return
    DeniedAccessToken.objects.bulk_create(
        [DeniedAccessToken(jti=jti, user_id=token_user_id(token), expires_at=expires_at)],
        ignore_conflicts=True,
    )
    try:
        cache.set(_DENYLIST_PREFIX + jti, 1, timeout=int(token["exp"] - time.time()) + 1)
    except RedisError:
        logger.warning("Cache unavailable: the denied access token is kept in the database only.")


def access_token_is_denied(token: Token) -> bool:
    jti = token.get(jwt_settings.JTI_CLAIM)
    if jti is None:
        return True
    key = _DENYLIST_PREFIX + str(jti)
    try:
        found = cache.get_many([DENYLIST_SYNCED_KEY, key])
    except RedisError:
        logger.warning("Cache unavailable: the access-token denylist is read from the database.")
        return _denied_in_database(str(jti))
    if key in found:
        return True
    if DENYLIST_SYNCED_KEY in found:
        return False
    return _denylist_sync(str(jti))


def _denied_in_database(jti: str) -> bool:
    return DeniedAccessToken.objects.filter(jti=jti, expires_at__gt=timezone.now()).exists()


def _denylist_sync(jti: str) -> bool:
    """Load the database's denylist into the cache; whether `jti` is on it."""
    denied = dict(
        DeniedAccessToken.objects.filter(expires_at__gt=timezone.now()).values_list(
            "jti", "expires_at"
        )
    )
    # One timeout for all: an entry may outlive its token, which is refused by then anyway.
    lifetime = int(jwt_settings.ACCESS_TOKEN_LIFETIME.total_seconds()) + 1
    try:
        if denied:
            cache.set_many({_DENYLIST_PREFIX + key: 1 for key in denied}, timeout=lifetime)
        cache.set(DENYLIST_SYNCED_KEY, 1, timeout=DENYLIST_SYNC_SECONDS)
    except RedisError:
        logger.warning("Cache unavailable: the access-token denylist is read from the database.")
    return jti in denied


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
