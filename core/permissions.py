"""Who may call an endpoint, by kind of account.

Anonymous callers always get ``401 not_authenticated``: a permission returns False for them and
DRF answers with the authentication challenge. Authenticated callers that are not allowed get
``403 permission_denied`` (or ``403 email_not_verified``), raised here with our error classes.
Shop membership ("may this user act in that shop") is not a permission class: it is answered by
``shops.selectors.shop_membership``.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from core.errors import EmailNotVerified, PermissionDenied, raises


def _account(request: Request) -> Any:
    """The signed-in, active account (an instance of the user model, which core does not
    import), or None."""
    user = request.user
    return user if user and user.is_authenticated and user.is_active else None


@raises(PermissionDenied)
class IsAccountWithEmail(BasePermission):
    """A self-registered account (customer, shop owner, admin); shop staff are refused."""

    message = "Shop staff accounts cannot do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = _account(request)
        if user is None:
            return False
        if user.is_shop_staff:
            raise PermissionDenied(self.message)
        return True


@raises(EmailNotVerified)
class IsVerifiedAccount(IsAccountWithEmail):
    """An account with an e-mail that has been verified (checkout, creating a shop)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        user = _account(request)
        if not user.is_email_verified and not user.is_platform_admin:
            raise EmailNotVerified()
        return True


@raises(PermissionDenied)
class IsPlatformAdmin(BasePermission):
    """Django `is_staff` or `is_superuser`."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = _account(request)
        if user is None:
            return False
        if not user.is_platform_admin:
            raise PermissionDenied()
        return True
