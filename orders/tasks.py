from __future__ import annotations

from celery import shared_task

from core.tasks import DATABASE_RETRY
from orders.emails import checkout_emails_requeue_missing


@shared_task(soft_time_limit=100, time_limit=120, **DATABASE_RETRY)
def requeue_missing_checkout_emails() -> int:
    return checkout_emails_requeue_missing()
