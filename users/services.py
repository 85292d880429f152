from __future__ import annotations

from rest_framework_simplejwt.tokens import RefreshToken

from users.models import User


def tokens_for_user(*, user: User) -> dict[str, str]:
    refresh = RefreshToken.for_user(user)
    return {"refresh": str(refresh), "access": str(refresh.access_token)}
