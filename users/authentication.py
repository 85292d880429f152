"""Bearer JWT authentication that honours revocation (see users.tokens)."""

from __future__ import annotations

from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.tokens import Token

from users.models import User
from users.tokens import access_token_is_denied, token_matches_user, token_user_id


class AccountJWTAuthentication(JWTAuthentication):
    """Refuses (401 not_authenticated) access tokens that are revoked or whose account is not
    allowed in any more: inactive, other token version (password changed, deactivated), logged
    out (denylisted `jti`), or shop staff of a deactivated shop.

    The user is loaded with its shop in the same query, so role checks cost nothing more.
    """

    def get_user(self, validated_token: Token) -> User:
        user_id = token_user_id(validated_token)
        if user_id is None or access_token_is_denied(validated_token):
            raise InvalidToken()
        try:
            user = User.objects.select_related("shop").get(id=user_id)
        except User.DoesNotExist:
            raise InvalidToken() from None
        if not token_matches_user(validated_token, user):
            raise InvalidToken()
        return user
