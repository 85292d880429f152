from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from core.tasks import DATABASE_RETRY
from users.models import DeniedAccessToken, RevokedRefreshToken


@shared_task(soft_time_limit=60, time_limit=90, **DATABASE_RETRY)
def purge_expired_revoked_tokens() -> int:
    """Expired tokens are refused by their signature already; forget their revocations."""
    now = timezone.now()
    deleted, _ = RevokedRefreshToken.objects.filter(expires_at__lt=now).delete()
    denied, _ = DeniedAccessToken.objects.filter(expires_at__lt=now).delete()
    return deleted + denied
