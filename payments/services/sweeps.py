"""The periodic sweeps run by Celery beat: re-verification and expiry."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import F
from django.utils import timezone

from core.errors import (
    PaymentProviderError,
    PaymentProviderTimeout,
)
from orders.models import OrderGroup, PaymentMethod
from orders.services import order_group_expire
from payments import decisions
from payments.models import Payment
from payments.services.common import REVERIFY_AFTER, GroupPaymentStatus, PaymentStatus
from payments.services.verification import payment_verify

logger = logging.getLogger(__name__)


def payments_reverify_pending(
    *, now: datetime | None = None, older_than: timedelta = REVERIFY_AFTER, limit: int = 100
) -> int:
    """Ask Paystack about attempts pending for more than `older_than`; returns how many were
    checked. Stops early when Paystack fails (the next run tries again)."""
    now = now or timezone.now()
    Payment.objects.filter(
        status=PaymentStatus.PENDING, created_at__lt=decisions.abandon_cutoff(now=now)
    ).update(status=PaymentStatus.ABANDONED, updated_at=now)
    pending = Payment.objects.filter(
        status=PaymentStatus.PENDING, created_at__lt=now - older_than
    ).order_by(F("verified_at").asc(nulls_first=True), "created_at")[:limit]
    checked = 0
    for payment in pending:
        try:
            payment_verify(payment=payment)
        except (PaymentProviderError, PaymentProviderTimeout) as exc:
            # Unreachable, or our key refused: the next run tries again.
            logger.warning("Re-verification paused: %s", exc.message)
            break
        checked += 1
    return checked


def order_groups_expire_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Expire unpaid Paystack groups past `expires_at` (cancel, restore stock, e-mail).

    Attempts still pending are verified first (a webhook may be late); `order_group_expire`
    re-checks everything under the group's lock, so a payment racing the expiry either pays
    the group first or is refunded. Returns how many groups expired.
    """
    now = now or timezone.now()
    group_ids = list(
        OrderGroup.objects.filter(
            payment_method=PaymentMethod.PAYSTACK,
            payment_status=GroupPaymentStatus.UNPAID,
            expires_at__lt=now,
        )
        .exclude(status=OrderGroup.Status.CANCELLED)
        .order_by("expires_at")
        .values_list("id", flat=True)[:limit]
    )
    provider_up = True
    expired = 0
    for group_id in group_ids:
        if provider_up:
            for payment in Payment.objects.filter(group_id=group_id, status=PaymentStatus.PENDING):
                try:
                    payment_verify(payment=payment)
                except (PaymentProviderError, PaymentProviderTimeout) as exc:
                    logger.warning("Expiring without asking Paystack: %s", exc.message)
                    provider_up = False
                    break
        try:
            if order_group_expire(group_id=group_id, now=now):
                expired += 1
        except Exception:
            logger.exception("Could not expire order group %s", group_id)
    return expired
