"""Trusting a charge only after Paystack's verify, and applying it once."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from core.emails import queue_email
from orders.models import OrderGroup
from orders.selectors import order_group_amount_due
from orders.services import (
    order_group_awaiting_payment,
    order_group_is_payable,
    order_group_lock,
    order_group_mark_paid,
)
from payments.models import Payment
from payments.paystack import ProviderRejected, get_client
from payments.services.common import (
    ABANDON_AFTER,
    GroupPaymentStatus,
    PaymentStatus,
    to_kobo,
)
from payments.services.refunds import refund_create

logger = logging.getLogger(__name__)


def verification_outcome(*, payment: Payment, data: dict[str, Any]) -> str:
    """What Paystack's verify answer means for this attempt: a `Payment.Status` value.

    Only ``status == "success"`` for our reference with exactly the expected amount (kobo) and
    currency is a success; a success with another amount or currency is `amount_mismatch`.
    """
    status = str(data.get("status") or "").lower()
    if data.get("reference") not in (None, payment.reference):
        return PaymentStatus.FAILED
    if status == "success":
        try:
            amount = int(data.get("amount"))
        except (TypeError, ValueError):
            return PaymentStatus.AMOUNT_MISMATCH
        currency = str(data.get("currency") or "").upper()
        if amount != payment.amount or currency != payment.currency.upper():
            return PaymentStatus.AMOUNT_MISMATCH
        return PaymentStatus.SUCCESS
    if status in ("failed", "reversed"):
        return PaymentStatus.FAILED
    if status == "abandoned":
        return PaymentStatus.ABANDONED
    return PaymentStatus.PENDING  # ongoing, pending, processing, queued, ...


def _paid_at(data: dict[str, Any], default: datetime) -> datetime:
    raw = data.get("paid_at") or data.get("paidAt")
    parsed = parse_datetime(raw) if isinstance(raw, str) else None
    return parsed if parsed is not None and parsed.tzinfo is not None else default


def _group_takes_payment(group: OrderGroup, *, paid_at: datetime) -> bool:
    """Payable now, or still open and paid before its deadline (the webhook was only late)."""
    if order_group_is_payable(group):
        return True
    return (
        order_group_awaiting_payment(group)
        and group.expires_at is not None
        and paid_at <= group.expires_at
    )


def payment_apply_verification(*, payment_id: uuid.UUID, data: dict[str, Any]) -> Payment:
    """Apply Paystack's verify answer `data` to the attempt, under the group's row lock.

    Idempotent: an attempt already `success` is left as it is. A success pays the group when it
    is payable, or still open and the charge was made before its deadline (a late webhook);
    otherwise (paid by another attempt, cancelled, expired) the money is refunded.
    """
    with transaction.atomic():
        group_id = Payment.objects.values_list("group_id", flat=True).get(pk=payment_id)
        group = order_group_lock(group_id=group_id)
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        now = timezone.now()
        payment.verified_at = now
        if payment.status == PaymentStatus.SUCCESS:
            payment.save(update_fields=["verified_at", "updated_at"])
            return payment

        outcome = verification_outcome(payment=payment, data=data)
        if outcome == PaymentStatus.SUCCESS:
            payment.status = PaymentStatus.SUCCESS
            payment.paid_at = _paid_at(data, now)
            payment.provider_response = data
            payment.save()
            if _group_takes_payment(group, paid_at=payment.paid_at):
                due = to_kobo(order_group_amount_due(group))
                order_group_mark_paid(group=group, paid_at=payment.paid_at)
                if payment.amount > due:
                    # A shop cancelled its (unpaid) order after this attempt was started.
                    refund_create(
                        payment=payment,
                        amount=payment.amount - due,
                        reason="Order cancelled before the payment arrived.",
                    )
            else:
                refund_create(
                    payment=payment,
                    amount=payment.amount,
                    reason=(
                        "Order already paid."
                        if group.payment_status != GroupPaymentStatus.UNPAID
                        else "Order cancelled or expired before the payment arrived."
                    ),
                )
                _queue_refund_email(
                    group=group,
                    payment=payment,
                    amount=payment.amount,
                    currency=payment.currency,
                    why=(
                        "the order was already paid"
                        if group.payment_status != GroupPaymentStatus.UNPAID
                        else "the order was cancelled or its payment time ran out"
                    ),
                )
            return payment

        if payment.status not in (PaymentStatus.PENDING, PaymentStatus.ABANDONED):
            payment.save(update_fields=["verified_at", "updated_at"])
            return payment  # failed / amount_mismatch stay as they are unless a success comes
        if outcome == PaymentStatus.ABANDONED:
            # Paystack calls a transaction "abandoned" until it is paid: give up only when the
            # group can no longer be paid or the attempt is old.
            young = payment.created_at > now - ABANDON_AFTER
            if young and order_group_is_payable(group):
                outcome = PaymentStatus.PENDING
        payment.status = outcome
        if outcome != PaymentStatus.PENDING:
            payment.provider_response = data
        payment.save()
        if outcome == PaymentStatus.AMOUNT_MISMATCH:
            logger.warning(
                "Payment %s: Paystack reports %s %s, expected %s %s",
                payment.reference,
                data.get("amount"),
                data.get("currency"),
                payment.amount,
                payment.currency,
            )
            charged = _charged_amount(data)
            if charged > 0:
                # The group stays unpaid; the money that did arrive goes back in full.
                refund_create(
                    payment=payment, amount=charged, reason="Paid amount did not match the order."
                )
                _queue_refund_email(
                    group=group,
                    payment=payment,
                    amount=charged,
                    currency=str(data.get("currency") or payment.currency),
                    why="the amount paid did not match the order's total",
                )
        return payment


def _charged_amount(data: dict[str, Any]) -> int:
    try:
        return max(int(data.get("amount")), 0)
    except (TypeError, ValueError):
        return 0


# Refusals of ``GET /transaction/verify`` that mean Paystack does not know the reference.
_UNKNOWN_REFERENCE_STATUSES = frozenset({400, 404})


def verification_fetch(*, reference: str) -> dict[str, Any]:
    """Paystack's verify answer for `reference`, for `payment_apply_verification`.

    The one place that decides what a failed verify means. Only a 400/404 refusal (Paystack
    does not know the reference) is an answer: the attempt failed. Everything else says nothing
    about the charge and propagates, so the attempt stays pending and the caller (the webhook
    task's retry, the re-verification sweep) asks again later: timeouts, 5xx, 408 and 429
    (`ProviderTimeout` / `ProviderUnavailable`, transient), and any other refusal such as our
    credentials being refused (401/403: `ProviderRejected`).
    """
    try:
        return get_client().verify(reference)
    except ProviderRejected as exc:
        if exc.http_status not in _UNKNOWN_REFERENCE_STATUSES:
            raise
        return {"status": "failed", "reference": reference, "message": exc.message}


def payment_verify(*, payment: Payment) -> Payment:
    """Ask Paystack about the attempt now and apply the answer (see `verification_fetch`)."""
    data = verification_fetch(reference=payment.reference)
    return payment_apply_verification(payment_id=payment.pk, data=data)


def _queue_refund_email(
    *, group: OrderGroup, payment: Payment, amount: int, currency: str, why: str
) -> None:
    """Tell the customer that money we could not keep is on its way back."""
    if not group.customer_email:
        return
    queue_email(
        to=group.customer_email,
        subject=f"Your payment for order {group.number} is being refunded",
        template="payment_refunded",
        context={
            "customer_name": group.customer_name,
            "number": group.number,
            "group_id": str(group.id),
            "reference": payment.reference,
            "amount": f"{currency} {Decimal(amount) / 100:,.2f}",
            "why": why,
        },
        key=f"payment-refunded:{payment.pk}",
    )
