"""Trusting a charge only after Paystack's verify, and applying it once."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.emails import queue_email
from core.errors import PaymentProviderError, PaymentProviderTimeout, raises
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
from payments.services.notices import admin_emails, notice_queue
from payments.services.refunds import refund_create

logger = logging.getLogger(__name__)

# Marks the answer made up when Paystack still did not know the reference after the give-up
# period (it carries Paystack's message).
GAVE_UP = "unknown_reference_given_up"


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
        payment.verified_at = payment.checked_at = now
        payment.check_failures = 0
        fields = ["status", "verified_at", "checked_at", "check_failures", "updated_at"]
        transaction_id = decisions.transaction_id_read(data)
        if transaction_id is not None and payment.provider_transaction_id is None:
            payment.provider_transaction_id = transaction_id
            fields.append("provider_transaction_id")
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
        if changed and data.get(GAVE_UP):
            _gave_up_notice(group=group, payment=payment)
        if decision.pay_group:
            order_group_mark_paid(group=group, paid_at=payment.paid_at or now)
        if decision.refund is not None:
            refund_create(
                payment=payment, amount=decision.refund.amount, reason=decision.refund.reason
            )
            if decision.refund.tell_customer:
                _queue_refund_email(group=group, payment=payment, refund=decision.refund)
        return payment


def verification_fetch(*, payment: Payment) -> dict[str, Any] | None:
    """Paystack's verify answer for the attempt, for `payment_apply_verification`; None when
    Paystack does not know its reference yet (the failed check is recorded: ask again later).

    ``400 Transaction reference not found`` is no proof of failure
    (`decisions.verify_refusal_decide`): it becomes a `failed` answer only once the attempt is
    older than ``PAYMENT_VERIFY_GIVE_UP_HOURS``. Every other failure says nothing about the
    charge and propagates, so the attempt stays pending and the caller (the webhook task's
    retry, the sweeps) asks again later: timeouts, 5xx, 408 and 429 (`ProviderTimeout` /
    `ProviderUnavailable`, transient), and any other refusal such as our credentials being
    refused (401/403: `ProviderRejected`).
    """
    try:
        return get_client().verify(payment.reference)
    except ProviderRejected as exc:
        verdict = decisions.verify_refusal_decide(
            http_status=exc.http_status,
            attempt_created_at=payment.created_at,
            now=timezone.now(),
            give_up_after=timedelta(hours=settings.PAYMENT_VERIFY_GIVE_UP_HOURS),
        )
        if verdict == decisions.RefusalVerdict.FAILED:
            return {"status": "failed", "reference": payment.reference, GAVE_UP: exc.message}
        if exc.http_status in decisions.UNKNOWN_REFERENCE_STATUSES:
            payment_check_failed(payment=payment)
            return None
        raise


def payment_check_failed(*, payment: Payment) -> None:
    """Paystack gave no usable answer about the attempt: the sweeps wait longer before asking
    again (`decisions.check_backoff`)."""
    Payment.objects.filter(pk=payment.pk).update(
        checked_at=timezone.now(), check_failures=F("check_failures") + 1
    )


@raises(PaymentProviderError, PaymentProviderTimeout)
def payment_verify(*, payment: Payment) -> Payment:
    """Ask Paystack about the attempt now and apply the answer (see `verification_fetch`). An
    attempt Paystack gave no answer about stays as it is, its failed check recorded."""
    try:
        data = verification_fetch(payment=payment)
    except (PaymentProviderError, PaymentProviderTimeout):
        payment_check_failed(payment=payment)
        raise
    if data is None:
        payment.refresh_from_db()
        return payment
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


def _gave_up_notice(*, group: OrderGroup, payment: Payment) -> None:
    notice_queue(
        to=admin_emails(),
        subject=f"Payment {payment.reference} marked failed: unknown to Paystack",
        lines=[
            f"Paystack still answers 'Transaction reference not found' for payment "
            f"{payment.reference} (order {group.number}) "
            f"{settings.PAYMENT_VERIFY_GIVE_UP_HOURS} hours after it was started; it is now "
            "marked failed.",
            "Check Paystack's dashboard (and which secret key is configured) in case the "
            "customer was charged.",
        ],
        key=f"payment-gave-up:{payment.pk}",
    )
