"""An account's life: registration, e-mail verification, passwords, profile, deletion."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from core.emails import queue_email
from core.errors import Conflict, InvalidInput, InvalidToken, raises
from users.models import Address, User
from users.signals import account_closing
from users.tokens import (
    EMAIL_VERIFICATION,
    PASSWORD_RESET,
    signed_token_make,
    signed_token_read,
    token_digest,
    tokens_for_user,
)

PROFILE_FIELDS = ("first_name", "last_name", "phone")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _validate_new_password(password: str, user: User, field: str) -> None:
    """Django's password validators, reported as `400 validation_error` on `field`."""
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise InvalidInput({field: list(exc.messages)}) from exc


def _lock(user: User) -> User:
    return User.objects.select_for_update().get(pk=user.pk)


def user_tokens_revoke(*, user: User) -> None:
    """Every access and refresh token issued to the account so far stops working."""
    User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)
    user.refresh_from_db(fields=["token_version"])


# --- Registration and verification --------------------------------------------------------------
def user_register(
    *, email: str, password: str, first_name: str = "", last_name: str = "", phone: str = ""
) -> User:
    """Create an account and queue its verification e-mail (409 conflict if the e-mail is taken)."""
    user = User(
        email=normalise_email(email), first_name=first_name, last_name=last_name, phone=phone
    )
    _validate_new_password(password, user, "password")
    user.set_password(password)
    taken = Conflict(
        "An account with this e-mail already exists.",
        errors={"email": ["An account with this e-mail already exists."]},
    )
    if User.objects.filter(email=user.email).exists():
        raise taken
    try:
        with transaction.atomic():
            user.save(force_insert=True)
            email_verification_send(user=user)
    except IntegrityError as exc:  # a concurrent registration with the same e-mail won
        raise taken from exc
    return user


def email_verification_send(*, user: User) -> None:
    assert user.email is not None  # staff accounts have no e-mail and never verify one
    token = signed_token_make(purpose=EMAIL_VERIFICATION, user=user)
    queue_email(
        to=user.email,
        subject="Confirm your e-mail address",
        template="verify_email",
        context={
            "first_name": user.first_name,
            "link": f"{settings.FRONTEND_URL}/verify-email?token={token}",
            "hours": 24,
        },
        key=f"verify-email:{user.id}:{token_digest(token)}",
    )


def email_verification_resend(*, email: str) -> None:
    """Send a new link if an unverified active account has this e-mail; silent otherwise."""
    user = User.objects.filter(
        email=normalise_email(email), is_active=True, is_email_verified=False
    ).first()
    if user is not None:
        email_verification_send(user=user)


@raises(InvalidToken)
def email_verify(*, token: str) -> User:
    signed = signed_token_read(purpose=EMAIL_VERIFICATION, token=token)
    user = User.objects.filter(id=signed.account_id, is_active=True).first() if signed else None
    if user is None or signed is None or not signed.fits(user, purpose=EMAIL_VERIFICATION):
        raise InvalidToken()
    if not user.is_email_verified:
        User.objects.filter(pk=user.pk).update(is_email_verified=True)
        user.is_email_verified = True
    return user


# --- Passwords -----------------------------------------------------------------------------------
def password_forgot(*, email: str) -> None:
    """Mail a reset link if an active account has this e-mail; silent otherwise."""
    address = normalise_email(email)
    user = User.objects.filter(email=address, is_active=True).first()
    if user is None:
        return
    token = signed_token_make(purpose=PASSWORD_RESET, user=user)
    queue_email(
        to=address,
        subject="Reset your password",
        template="password_reset",
        context={
            "first_name": user.first_name,
            "link": f"{settings.FRONTEND_URL}/reset-password?token={token}",
            "minutes": 60,
        },
        key=f"password-reset:{user.id}:{token_digest(token)}",
    )


@transaction.atomic
@raises(InvalidToken)
def password_reset(*, token: str, new_password: str) -> User:
    """Set a new password from a mailed token; the token then stops working (it is tied to the
    password hash), and every token of the account is revoked.

    Following the link proves the address is the account holder's, so it counts as verified.
    """
    signed = signed_token_read(purpose=PASSWORD_RESET, token=token)
    user = (
        User.objects.select_for_update().filter(id=signed.account_id, is_active=True).first()
        if signed
        else None
    )
    # Checked under the row lock: of two concurrent uses of one token, only one gets here.
    if user is None or signed is None or not signed.fits(user, purpose=PASSWORD_RESET):
        raise InvalidToken()
    _validate_new_password(new_password, user, "new_password")
    user.set_password(new_password)
    user.is_email_verified = True
    user.token_version = F("token_version") + 1
    user.save(update_fields=["password", "is_email_verified", "token_version"])
    user.refresh_from_db(fields=["token_version"])
    return user


@transaction.atomic
def password_change(*, user: User, current_password: str, new_password: str) -> dict[str, str]:
    """Change the password; every earlier token is revoked, a fresh pair is returned."""
    locked = _lock(user)
    if not locked.check_password(current_password):
        raise InvalidInput({"current_password": ["The current password is not correct."]})
    _validate_new_password(new_password, locked, "new_password")
    user_password_set(user=locked, password=new_password)
    return tokens_for_user(user=locked)


def user_password_set(*, user: User, password: str) -> None:
    """Set a password (already validated by the caller) and revoke every token of the account.

    Used by password change and by a shop owner resetting a staff member's password.
    """
    with transaction.atomic():
        user.set_password(password)
        user.token_version = F("token_version") + 1
        user.save(update_fields=["password", "token_version"])
    user.refresh_from_db(fields=["token_version"])


# --- Profile and life cycle ----------------------------------------------------------------------
def user_update(*, user: User, data: dict[str, Any]) -> User:
    """Update the profile fields (names, phone); anything else in `data` is ignored."""
    fields = [name for name in PROFILE_FIELDS if name in data]
    for name in fields:
        setattr(user, name, data[name])
    if fields:
        user.save(update_fields=fields)
    return user


def user_deactivate(*, user: User) -> None:
    """The account can no longer log in, and its tokens stop working at once."""
    with transaction.atomic():
        user.is_active = False
        user.token_version = F("token_version") + 1
        user.save(update_fields=["is_active", "token_version"])
    user.refresh_from_db(fields=["is_active", "token_version"])


@transaction.atomic
def user_delete(*, user: User, password: str) -> None:
    """Close an account with an e-mail: deactivate it, revoke its tokens, erase its personal data
    (names, phone, e-mail, addresses, cart) and deactivate the shops it owns. Orders stay, with
    their own snapshots of the customer's name, e-mail and address.
    """
    locked = _lock(user)
    if not locked.check_password(password):
        raise InvalidInput({"password": ["The password is not correct."]})

    Address.objects.filter(user=locked).delete()
    account_closing.send(sender=User, user=locked)  # the cart goes, the owned shops close

    locked.email = f"deleted-{uuid.uuid4().hex}@deleted.invalid"
    locked.first_name = locked.last_name = locked.phone = ""
    locked.is_active = locked.is_email_verified = False
    locked.is_staff = locked.is_superuser = False
    locked.set_unusable_password()
    locked.token_version = F("token_version") + 1
    locked.save()
    locked.groups.clear()
    locked.user_permissions.clear()
