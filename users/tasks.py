from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from users.models import RevokedRefreshToken


@shared_task(soft_time_limit=60, time_limit=90)
def purge_expired_revoked_tokens() -> int:
    """Expired refresh tokens are refused by their signature already; forget them."""
    deleted, _ = RevokedRefreshToken.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted
