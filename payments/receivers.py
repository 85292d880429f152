"""How payments react to the apps below them (connected in `PaymentsConfig.ready()`)."""

from collections.abc import Sequence
from typing import Any

from orders.models import Order, OrderGroup
from orders.returns import RefundDue
from payments.services import refund_record, refund_request
from payments.services.settlement import order_completion_entries


def on_paid_orders_cancelled(
    sender: type, *, group: OrderGroup, orders: Sequence[Order], reason: str, **kwargs: Any
) -> bool:
    """Refund the cancelled orders' totals; True when a refund was started."""
    return refund_request(group=group, orders=orders, reason=reason) is not None


def on_order_completed(sender: type, *, order: Order, group: OrderGroup, **kwargs: Any) -> None:
    """Credit the shop's ledger, in the completing transaction."""
    order_completion_entries(order=order, group=group)


def on_order_refund_due(sender: type, *, due: RefundDue, **kwargs: Any) -> None:
    """Record the money a refunded return sends back (in the return's transaction)."""
    refund_record(due=due)
