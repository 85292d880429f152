from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from orders.models import Order, OrderGroup
from payments.models import Payment, Refund


def to_kobo(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def refund_request(*, group: OrderGroup, orders: Sequence[Order], reason: str) -> Refund | None:
    """Record a refund of `orders`' totals against the group's successful payment.

    Called inside the cancelling transaction, with the group's row locked. Returns None when the
    group has no successful payment to refund.
    """
    payment = group.payments.filter(status=Payment.Status.SUCCESS).order_by("paid_at").first()
    if payment is None:
        return None
    amount = to_kobo(sum((order.total for order in orders), Decimal("0")))
    return Refund.objects.create(
        payment=payment, order=orders[0] if len(orders) == 1 else None, amount=amount, reason=reason
    )
