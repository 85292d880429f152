"""Logging in and out, and refreshing tokens."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.tokens import Token

from core.errors import InvalidCredentials, InvalidToken, raises
from users.models import User
from users.tokens import (
    access_token_deny,
    refresh_token_consume,
    refresh_token_decode,
    token_matches_user,
    token_user_id,
    tokens_for_user,
)


def _check_password_or_fail(user: User | None, password: str) -> User:
    """One answer, in similar time, for an unknown account, a wrong password or an inactive one.

    An unknown account still pays for one password hash, so response times do not tell whether
    an account exists.
    """
    if user is None or not user.has_usable_password():
        User().set_password(password)
        raise InvalidCredentials()
    if not user.check_password(password) or not user.is_active:
        raise InvalidCredentials()
    return user


def _record_login(user: User) -> None:
    user.last_login = timezone.now()
    User.objects.filter(pk=user.pk).update(last_login=user.last_login)


@raises(InvalidCredentials)
def user_login(*, email: str, password: str) -> User:
    """An account with an e-mail (customer, shop owner, admin) logging in."""
    user = _check_password_or_fail(
        User.objects.filter(email=email.strip().lower()).first(), password
    )
    _record_login(user)
    return user


@raises(InvalidCredentials)
def staff_login(*, shop_code: str, handle: str, password: str) -> User:
    """A shop staff member logging in with the shop's code and their handle in that shop
    (both case-insensitive: handles are unique per shop whatever their case)."""
    user = _check_password_or_fail(
        User.objects.select_related("shop")
        .filter(shop__code=shop_code.strip().upper(), handle__iexact=handle.strip())
        .first(),
        password,
    )
    if user.shop is None or not user.shop.is_active:
        raise InvalidCredentials()
    _record_login(user)
    return user


@raises(InvalidToken)
def token_refresh(*, refresh: str) -> dict[str, str]:
    """Rotate: the refresh token is consumed and a new pair issued (400 invalid_token if the
    token is bad, expired, already used, or its account may no longer log in)."""
    token = refresh_token_decode(refresh)
    user_id = token_user_id(token) if token is not None else None
    if token is None or user_id is None:
        raise InvalidToken()
    user = User.objects.select_related("shop").filter(id=user_id).first()
    if user is None or not token_matches_user(token, user):
        raise InvalidToken()
    with transaction.atomic():
        if not refresh_token_consume(token, user_id=user.id):
            raise InvalidToken()
        return tokens_for_user(user=user)


@raises(InvalidToken)
def user_logout(*, user: User, refresh: str, access_token: Token | None) -> None:
    """Revoke the caller's refresh token and the access token used for this request."""
    token = refresh_token_decode(refresh)
    if token is None or token_user_id(token) != user.id:
        raise InvalidToken()
    # Already consumed (logged out twice, or rotated) is fine: the end state is the same.
    refresh_token_consume(token, user_id=user.id)
    if access_token is not None:
        access_token_deny(access_token)
