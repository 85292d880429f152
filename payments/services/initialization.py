"""Starting a payment: the attempt, its reference, the amount and the split."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from core.errors import (
    AlreadyPaid,
    AmountBelowMinimum,
    Conflict,
    OrderNotPayable,
    PaymentProviderError,
    PaymentProviderTimeout,
    raises,
)
from orders.models import Order, OrderGroup, PaymentMethod
from orders.selectors import order_group_amount_due
from orders.services import order_group_is_payable
from payments import decisions
from payments.models import Payment
from payments.paystack import TRANSIENT_ERRORS, breaker_check, breaker_record, get_client
from payments.services.common import (
    MAX_ATTEMPTS_PER_GROUP,
    REFERENCE_PATTERN,
    GroupPaymentStatus,
    PaymentStatus,
    to_kobo,
)

logger = logging.getLogger(__name__)


def payment_reference_new(*, group: OrderGroup) -> str:
    """A new unique reference: the group's number (for humans) and 12 random hex digits."""
    number = re.sub(r"[^A-Za-z0-9]", "", group.number)[:40] or "GROUP"
    reference = f"PAY-{number}-{secrets.token_hex(6).upper()}"
    assert REFERENCE_PATTERN.match(reference)
    return reference


def split_shares(
    *, orders: Iterable[Order], commission_percent: Decimal | None = None
) -> dict[str, tuple[str, int]]:
    """Each order's share for its shop's subaccount: `{order id: (subaccount code, kobo)}`.

    Amounts are in kobo and exact: per order, the platform's commission is
    ``order total (kobo) x percent / 100`` rounded half-up to a whole kobo, and the shop's share
    is the order total minus that commission, so share + commission = order total exactly.
    Orders of shops without a subaccount code (settled to the main account) and cancelled
    orders have no share.
    """
    percent = Decimal(
        settings.PLATFORM_COMMISSION_PERCENT if commission_percent is None else commission_percent
    )
    shares: dict[str, tuple[str, int]] = {}
    for order in orders:
        if order.status == Order.Status.CANCELLED:
            continue
        code = (order.shop.paystack_subaccount_code or "").strip()
        if not code:
            continue
        total = to_kobo(order.total)
        commission = int(
            (Decimal(total) * percent / Decimal(100)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        )
        share = max(total - commission, 0)
        if share:
            shares[str(order.id)] = (code, share)
    return shares


def split_compute(
    *, orders: Iterable[Order], commission_percent: Decimal | None = None
) -> dict[str, Any] | None:
    """Paystack's dynamic split (`SETTLEMENT_MODE=split`): each shop with a subaccount gets its
    order total less commission (`split_shares`). Returns None when no shop has a subaccount
    (no split is sent)."""
    by_code: dict[str, int] = {}
    for code, share in split_shares(orders=orders, commission_percent=commission_percent).values():
        by_code[code] = by_code.get(code, 0) + share
    if not by_code:
        return None
    subaccounts = [{"subaccount": code, "share": share} for code, share in by_code.items()]
    return {"type": "flat", "bearer_type": "account", "subaccounts": subaccounts}


@raises(
    OrderNotPayable,
    AlreadyPaid,
    AmountBelowMinimum,
    Conflict,
    PaymentProviderError,
    PaymentProviderTimeout,
)
def payment_initialize(*, group: OrderGroup, email: str) -> Payment:
    """Start a Paystack payment for `group` (already scoped to its customer by the caller).

    A total below Paystack's minimum is refused before Paystack is called. The attempt is
    stored before Paystack is called, and the call is bounded by
    ``PAYSTACK_INITIALIZE_DEADLINE``; when it fails the attempt is marked `failed` (it does not
    count toward the cap) and the provider error (502 / 504) propagates. While the breaker is
    open (repeated failures) the answer is 502 / 504 at once, with no attempt stored.
    """
    if group.payment_method != PaymentMethod.PAYSTACK:
        raise OrderNotPayable("Cash orders are paid on delivery or pickup.")
    # Cancelled or expired comes first, whatever was paid before (API.md: order_not_payable).
    expired = group.expires_at is not None and group.expires_at <= timezone.now()
    if group.status == OrderGroup.Status.CANCELLED or expired:
        raise OrderNotPayable("This order was cancelled or its payment time ran out.")
    if group.payment_status != GroupPaymentStatus.UNPAID:
        raise AlreadyPaid()
    if not order_group_is_payable(group):
        raise OrderNotPayable("This order was cancelled or its payment time ran out.")
    # Attempts Paystack refused or never answered made no transaction: they do not count, so
    # retrying through an outage never leaves the order unpayable.
    made = group.payments.exclude(status=PaymentStatus.FAILED, authorization_url="")
    if made.count() >= MAX_ATTEMPTS_PER_GROUP:
        raise Conflict("Too many payment attempts for this order.")

    orders = list(group.orders.select_related("shop").order_by("number"))
    amount = to_kobo(order_group_amount_due(group))
    if amount <= 0:
        raise OrderNotPayable("Nothing is left to pay on this order.")
    if decisions.amount_below_minimum(amount=amount, currency=group.currency):
        minimum = Decimal(decisions.MINIMUM_CHARGE[group.currency.upper()]) / 100
        raise AmountBelowMinimum(
            f"Paystack cannot charge less than {group.currency} {minimum:,.2f}.",
            errors={"amount": amount, "minimum": int(minimum * 100)},
        )
    breaker_check()
    # In ledger mode the platform receives the whole payment; in split mode Paystack settles
    # each shop's share at once, and the attempt keeps what it was told for the ledger.
    shares = split_shares(orders=orders) if settings.SETTLEMENT_MODE == "split" else {}
    payment = Payment.objects.create(
        reference=payment_reference_new(group=group),
        group=group,
        amount=amount,
        currency=group.currency,
        status=PaymentStatus.PENDING,
        split_shares={order_id: share for order_id, (_, share) in shares.items()},
    )
    try:
        data = get_client().initialize(
            email=email,
            amount=amount,
            reference=payment.reference,
            currency=group.currency,
            callback_url=settings.PAYSTACK_CALLBACK_URL,
            metadata={
                "order_group_id": str(group.id),
                "order_group_number": group.number,
                "payment_id": str(payment.id),
            },
            split=split_compute(orders=orders) if shares else None,
            deadline=settings.PAYSTACK_INITIALIZE_DEADLINE,
        )
    except (PaymentProviderError, PaymentProviderTimeout) as exc:
        breaker_record(error=exc if isinstance(exc, TRANSIENT_ERRORS) else None)
        Payment.objects.filter(pk=payment.pk, status=PaymentStatus.PENDING).update(
            status=PaymentStatus.FAILED,
            provider_response={"error": exc.message},
            updated_at=timezone.now(),
        )
        raise
    breaker_record(error=None)
    payment.authorization_url = str(data.get("authorization_url") or "")[:500]
    payment.access_code = str(data.get("access_code") or "")[:100]
    payment.save(update_fields=["authorization_url", "access_code", "updated_at"])
    return payment
