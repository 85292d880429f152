"""Trusting a charge only after Paystack's verify, and applying it once."""

from __future__ import annotations

import logging
import uuid
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.emails import queue_email
from orders.models import OrderGroup
from orders.selectors import order_group_amount_due
from orders.services import (
    order_group_awaiting_payment,
    order_group_is_payable,
    order_group_lock,
    order_group_mark_paid,
)
from payments import decisions
from payments.models import Payment
from payments.paystack import ProviderRejected, get_client
from payments.services.common import GroupPaymentStatus, PaymentStatus, to_kobo
from payments.services.refunds import refund_create

logger = logging.getLogger(__name__)


def _attempt(payment: Payment) -> decisions.Attempt:
    return decisions.Attempt(
        reference=payment.reference,
        amount=payment.amount,
        currency=payment.currency,
        status=payment.status,
        created_at=payment.created_at,
    )


def _group_terms(group: OrderGroup) -> decisions.GroupTerms:
    return decisions.GroupTerms(
        payable=order_group_is_payable(group),
        awaiting_payment=order_group_awaiting_payment(group),
        expires_at=group.expires_at,
        paid=group.payment_status != GroupPaymentStatus.UNPAID,
        amount_due=to_kobo(order_group_amount_due(group)),
    )


def payment_apply_verification(*, payment_id: uuid.UUID, data: dict[str, Any]) -> Payment:
    """Apply Paystack's verify answer `data` to the attempt, under the group's row lock: load
    and lock, let `decisions.verification_decide` judge, then write, pay the group and refund
    what it cannot take."""
    with transaction.atomic():
        group_id = Payment.objects.values_list("group_id", flat=True).get(pk=payment_id)
        group = order_group_lock(group_id=group_id)
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        now = timezone.now()
        decision = decisions.verification_decide(
            attempt=_attempt(payment), group=_group_terms(group), answer=data, now=now
        )
        changed = decision.status != payment.status
        payment.status = decision.status
        payment.verified_at = now
        fields = ["status", "verified_at", "updated_at"]
        if decision.record_answer:
            payment.provider_response = data
            fields.append("provider_response")
        if decision.paid_at is not None:
            payment.paid_at = decision.paid_at
            fields.append("paid_at")
        payment.save(update_fields=fields)
        if changed and decision.status == PaymentStatus.AMOUNT_MISMATCH:
            logger.warning(
                "Payment %s: Paystack reports %s %s, expected %s %s",
                payment.reference,
                data.get("amount"),
                data.get("currency"),
                payment.amount,
                payment.currency,
            )
        if decision.pay_group:
            order_group_mark_paid(group=group, paid_at=payment.paid_at or now)
        if decision.refund is not None:
            refund_create(
                payment=payment, amount=decision.refund.amount, reason=decision.refund.reason
            )
            if decision.refund.tell_customer:
                _queue_refund_email(group=group, payment=payment, refund=decision.refund)
        return payment


def verification_fetch(*, reference: str) -> dict[str, Any]:
    """Paystack's verify answer for `reference`, for `payment_apply_verification`.

    Only a refusal that `decisions.verify_refusal_is_answer` calls an answer (Paystack does not
    know the reference: the attempt failed) is one. Everything else says nothing about the
    charge and propagates, so the attempt stays pending and the caller (the webhook task's
    retry, the re-verification sweep) asks again later: timeouts, 5xx, 408 and 429
    (`ProviderTimeout` / `ProviderUnavailable`, transient), and any other refusal such as our
    credentials being refused (401/403: `ProviderRejected`).
    """
    try:
        return get_client().verify(reference)
    except ProviderRejected as exc:
        if not decisions.verify_refusal_is_answer(http_status=exc.http_status):
            raise
        return {"status": "failed", "reference": reference, "message": exc.message}


def payment_verify(*, payment: Payment) -> Payment:
    """Ask Paystack about the attempt now and apply the answer (see `verification_fetch`)."""
    data = verification_fetch(reference=payment.reference)
    return payment_apply_verification(payment_id=payment.pk, data=data)


def _queue_refund_email(
    *, group: OrderGroup, payment: Payment, refund: decisions.RefundDue
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
            "amount": f"{refund.currency} {Decimal(refund.amount) / 100:,.2f}",
            "why": refund.tell_customer,
        },
        key=f"payment-refunded:{payment.pk}",
    )
