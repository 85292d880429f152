"""The periodic sweeps run by Celery beat: re-verification and expiry."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
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
from payments.services.notices import admin_emails, notice_queue
from payments.services.verification import payment_verify

logger = logging.getLogger(__name__)


def payments_reverify_pending(
    *, now: datetime | None = None, older_than: timedelta = REVERIFY_AFTER, limit: int = 100
) -> int:
    """Ask Paystack about attempts pending for more than `older_than` whose backoff has passed
    (`decisions.check_due`); returns how many were checked. Stops early when Paystack fails
    (the next run tries again)."""
    now = now or timezone.now()
    Payment.objects.filter(
        status=PaymentStatus.PENDING, created_at__lt=decisions.abandon_cutoff(now=now)
    ).update(status=PaymentStatus.ABANDONED, updated_at=now)
    pending = Payment.objects.filter(
        status=PaymentStatus.PENDING, created_at__lt=now - older_than
    ).order_by(F("checked_at").asc(nulls_first=True), "created_at")[: limit * 4]
    checked = 0
    for payment in pending:
        if checked >= limit:
            break
        if not decisions.check_due(
            failures=payment.check_failures, checked_at=payment.checked_at, now=now
        ):
            continue
        try:
            payment_verify(payment=payment)
        except (PaymentProviderError, PaymentProviderTimeout) as exc:
            # Unreachable, or our key refused: the next run tries again.
            logger.warning("Re-verification paused: %s", exc.message)
            break
        checked += 1
    return checked


def order_groups_expire_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Expire unpaid Paystack groups past `expires_at` (cancel, restore stock, e-mail), but
    never one that may be paid.

    Every attempt still pending is verified first. A group with an attempt Paystack could not
    be asked about (down, slow, rate limiting, reference not known yet) or still has in
    progress is kept and asked about again with backoff; it is expired once Paystack answers
    that no attempt succeeded, or `PAYMENT_VERIFY_GIVE_UP_HOURS` past its deadline with the
    admins told (`decisions.expiry_decide`). `order_group_expire` re-checks everything under
    the group's lock, so a payment racing the expiry either pays the group first or is
    refunded. Returns how many groups expired.
    """
    now = now or timezone.now()
    give_up_after = timedelta(hours=settings.PAYMENT_VERIFY_GIVE_UP_HOURS)
    groups = list(
        OrderGroup.objects.filter(
            payment_method=PaymentMethod.PAYSTACK,
            payment_status=GroupPaymentStatus.UNPAID,
            expires_at__lt=now,
        )
        .exclude(status=OrderGroup.Status.CANCELLED)
        .order_by("expires_at")
        .values_list("id", "expires_at", "number")[:limit]
    )
    provider_up = True
    expired = 0
    for group_id, expires_at, number in groups:
        if expires_at is None:
            continue
        unverified = 0
        for payment in Payment.objects.filter(group_id=group_id, status=PaymentStatus.PENDING):
            due = decisions.check_due(
                failures=payment.check_failures, checked_at=payment.checked_at, now=now
            )
            if provider_up and due:
                try:
                    payment = payment_verify(payment=payment)
                except (PaymentProviderError, PaymentProviderTimeout) as exc:
                    logger.warning("Expiry waits: Paystack did not answer: %s", exc.message)
                    provider_up = False
            if payment.status == PaymentStatus.PENDING:
                unverified += 1
        action = decisions.expiry_decide(
            unverified=unverified, expires_at=expires_at, now=now, give_up_after=give_up_after
        )
        if action == decisions.ExpiryAction.WAIT:
            continue
        try:
            if order_group_expire(group_id=group_id, now=now):
                expired += 1
                if action == decisions.ExpiryAction.EXPIRE_GIVEN_UP:
                    _expired_unverified_notice(group_id=group_id, number=number)
        except Exception:
            logger.exception("Could not expire order group %s", group_id)
    return expired


def _expired_unverified_notice(*, group_id: uuid.UUID, number: str) -> None:
    logger.warning("Order group %s expired without Paystack confirming it unpaid", number)
    notice_queue(
        to=admin_emails(),
        subject=f"Order {number} expired without Paystack confirming it unpaid",
        lines=[
            f"Paystack could not confirm the payment attempts of order {number} for "
            f"{settings.PAYMENT_VERIFY_GIVE_UP_HOURS} hours after its payment deadline; the "
            "order was expired and its stock released.",
            "Check its attempts on Paystack's dashboard: a charge that succeeds later is "
            "refunded automatically.",
        ],
        key=f"group-expired-unverified:{group_id}",
    )
