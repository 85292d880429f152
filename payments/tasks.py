"""Celery tasks for payments: thin wrappers that load by id and call a service.

Transient Paystack failures (timeouts, 5xx, connection errors) are retried with exponential
backoff, a bounded number of times; the periodic sweeps pick up whatever is still left.
"""

from __future__ import annotations

import logging

from celery import shared_task

from core.tasks import DATABASE_ERRORS, DATABASE_RETRY
from payments import services, webhooks
from payments.paystack import TRANSIENT_ERRORS, ProviderRejected
from payments.services import payouts

logger = logging.getLogger(__name__)

_RETRY = {
    **DATABASE_RETRY,
    "autoretry_for": (*TRANSIENT_ERRORS, *DATABASE_ERRORS),
    "retry_backoff": 10,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(soft_time_limit=60, time_limit=90, **_RETRY)
def process_webhook_event(event_id: str) -> bool:
    return webhooks.webhook_event_process(event_id=event_id)


@shared_task(soft_time_limit=60, time_limit=90, **_RETRY)
def submit_refund(refund_id: str) -> str:
    try:
        return services.refund_submit(refund_id=refund_id).status
    except ProviderRejected as exc:
        # Recorded on the refund (`failed`, `last_error`); the periodic sweep tries again.
        logger.warning("Refund %s refused by Paystack: %s", refund_id, exc.message)
        return "failed"


@shared_task(soft_time_limit=50, time_limit=60, **DATABASE_RETRY)
def process_unprocessed_webhook_events() -> int:
    due = webhooks.webhook_events_unprocessed()
    for event_id in due:
        process_webhook_event.delay(str(event_id))
    return len(due)


@shared_task(soft_time_limit=240, time_limit=300, **DATABASE_RETRY)
def expire_unpaid_order_groups() -> int:
    return services.order_groups_expire_due()


@shared_task(soft_time_limit=100, time_limit=120, **DATABASE_RETRY)
def reverify_pending_payments() -> int:
    return services.payments_reverify_pending()


@shared_task(soft_time_limit=50, time_limit=60, **DATABASE_RETRY)
def retry_failed_refunds() -> int:
    due = services.refunds_retry_due()
    for refund_id in due:
        submit_refund.delay(str(refund_id))
    return len(due)


@shared_task(soft_time_limit=100, time_limit=120, **DATABASE_RETRY)
def reconcile_stale_refunds() -> int:
    return services.refunds_reconcile_stale()


@shared_task(soft_time_limit=240, time_limit=300, **DATABASE_RETRY)
def run_payouts(shop_id: str | None = None) -> int:
    """The payout job: a payout for every eligible shop, each sent by its own task."""
    created = payouts.payouts_run(shop_id=shop_id)
    payouts.payouts_send_later(created)
    return len(created)


@shared_task(soft_time_limit=60, time_limit=90, **DATABASE_RETRY)
def send_payout(payout_id: str) -> str:
    # Not retried on Paystack failures: a payout whose call failed stays `processing` and is
    # verified (`verify_open_payouts`), never sent again blind.
    return payouts.payout_send(payout_id=payout_id).status


@shared_task(soft_time_limit=100, time_limit=120, **DATABASE_RETRY)
def verify_open_payouts() -> int:
    """Ask Paystack about payouts whose outcome is unknown; send those never sent."""
    for payout_id in payouts.payouts_pending_stale():
        send_payout.delay(str(payout_id))
    return payouts.payouts_verify_open()
