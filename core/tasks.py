from __future__ import annotations

import smtplib
from typing import Any

from celery import shared_task

from core.emails import deliver_email


@shared_task(
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError, OSError),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=6,
    soft_time_limit=30,
    time_limit=60,
)
def send_email(*, to: str, subject: str, template: str, context: dict[str, Any], key: str) -> bool:
    return deliver_email(to=to, subject=subject, template=template, context=context, key=key)


@shared_task(
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError, OSError),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=6,
    soft_time_limit=60,
    time_limit=90,
)
def send_emails(*, messages: list[dict[str, Any]]) -> int:
    """`send_email` for several messages (`core.emails.queue_emails`); returns how many went."""
    return sum(deliver_email(**message) for message in messages)


@shared_task(soft_time_limit=240, time_limit=300)
def purge_expired_idempotency_keys() -> int:
    from core.idempotency import idempotency_keys_purge

    return idempotency_keys_purge()
