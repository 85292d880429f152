from __future__ import annotations

import logging
import smtplib
from typing import Any

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError, connections

from core.emails import CLAIM_STALE_AFTER, EmailInProgress, deliver_email

logger = logging.getLogger(__name__)

# A dropped connection, a restarted or failed-over database server, a deadlock: worth another
# try on a fresh connection.
DATABASE_ERRORS = (OperationalError, InterfaceError)


class DatabaseRetryTask(Task):
    """Closes the connections a database error left broken before the task is retried, so the
    retry opens new ones (a worker does so before every task; a task run in-process does not)."""

    def retry(self, *args: Any, exc: BaseException | None = None, **kwargs: Any) -> Any:
        if isinstance(exc, DATABASE_ERRORS):
            for connection in connections.all(initialized_only=True):
                if not connection.in_atomic_block:
                    connection.close()
        return super().retry(*args, exc=exc, **kwargs)


# Options of every task: transient database errors are retried with backoff, a bounded number
# of times (the periodic sweeps pick up whatever is still left).
DATABASE_RETRY: dict[str, Any] = {
    "base": DatabaseRetryTask,
    "autoretry_for": DATABASE_ERRORS,
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 6,
}

# Options of every task that sends e-mail: bound (for `email_busy_retry`), and retried on its
# own with backoff when the SMTP server, the network or the database fails.
EMAIL_TASK_OPTIONS: dict[str, Any] = {
    "base": DatabaseRetryTask,
    "bind": True,
    "autoretry_for": (
        smtplib.SMTPException,
        ConnectionError,
        TimeoutError,
        OSError,
        *DATABASE_ERRORS,
    ),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 6,
}
# When another run is sending the same key: ask again once its claim would be stale.
_IN_PROGRESS_COUNTDOWN = CLAIM_STALE_AFTER.total_seconds() + 30


def email_busy_retry(task: Task, exc: EmailInProgress) -> None:
    """For an e-mail task that met a live claim on its key (`EmailInProgress`): ask again once
    the claim could be stale, in case the run holding it dies before sending. With no broker
    (tasks run eagerly, in the request) there is nothing to come back later with: the run
    holding the claim sends the message."""
    if task.request.is_eager:
        logger.info("E-mail %s is being sent by another run.", exc)
        return
    raise task.retry(exc=exc, countdown=_IN_PROGRESS_COUNTDOWN)


@shared_task(soft_time_limit=30, time_limit=60, **EMAIL_TASK_OPTIONS)
def send_email(
    self: Task, *, to: str, subject: str, template: str, context: dict[str, Any], key: str
) -> bool:
    try:
        return deliver_email(to=to, subject=subject, template=template, context=context, key=key)
    except EmailInProgress as exc:
        email_busy_retry(self, exc)
        return False


@shared_task(soft_time_limit=60, time_limit=90, **EMAIL_TASK_OPTIONS)
def send_emails(self: Task, *, messages: list[dict[str, Any]]) -> int:
    """`send_email` for several messages (`core.emails.queue_emails`); returns how many went.
    A message another run is sending does not hold up the others; the batch is asked again
    later for it (what went out is not sent twice)."""
    sent = 0
    busy: EmailInProgress | None = None
    for message in messages:
        try:
            sent += deliver_email(**message)
        except EmailInProgress as exc:
            busy = exc
    if busy is not None:
        email_busy_retry(self, busy)
    return sent


@shared_task(soft_time_limit=240, time_limit=300, **DATABASE_RETRY)
def purge_expired_idempotency_keys() -> int:
    from core.idempotency import idempotency_keys_purge

    return idempotency_keys_purge()
