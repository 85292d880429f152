"""The order lifecycle in one place: allowed moves, their guards, and the group's derived state.

A shop's order moves `pending -> processing -> shipped -> completed` (delivery) or
`pending -> processing -> completed` (pickup); `pending` and `processing` may be cancelled;
`completed` and `cancelled` are final. Guards: a Paystack order is paid before `processing`; a
cash order has its cash collected before or at `completed`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from orders.models import FulfillmentMethod, Order, OrderGroup, OrderItem, PaymentMethod, Return

Status = Order.Status
GroupStatus = OrderGroup.Status
PaymentStatus = OrderGroup.PaymentStatus

# Every move the lifecycle knows, before guards. Order of the lists = order shown to clients.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.PENDING: (Status.PROCESSING, Status.CANCELLED),
    Status.PROCESSING: (Status.SHIPPED, Status.COMPLETED, Status.CANCELLED),
    Status.SHIPPED: (Status.COMPLETED,),
    Status.COMPLETED: (),
    Status.CANCELLED: (),
}
FINAL = frozenset({Status.COMPLETED, Status.CANCELLED})
PAYMENT_STATUS_RANK: dict[str, int] = {
    PaymentStatus.UNPAID: 0,
    PaymentStatus.PAID: 1,
    PaymentStatus.PARTIALLY_REFUNDED: 2,
    PaymentStatus.REFUNDED: 3,
}


def payment_status_forward(current: str, proposed: str) -> str:
    """The group's payment status after `proposed` is offered: it never moves back (`unpaid`,
    `paid`, `partially_refunded`, `refunded`), because orders and payments each see only part
    of the story and a later stage recorded by one must not be undone by the other."""
    return max(proposed, current, key=lambda status: PAYMENT_STATUS_RANK.get(status, 0))


@dataclass(frozen=True)
class MoveContext:
    """What the guards look at: the order's group terms and what the request brings along."""

    fulfillment_method: str
    payment_method: str
    is_paid: bool
    cash_collected: bool


def _blocked_reason(current: str, target: str, ctx: MoveContext) -> str | None:
    """Why an otherwise listed move is not possible for this order now (None when it is)."""
    delivery = ctx.fulfillment_method == FulfillmentMethod.DELIVERY
    if target == Status.SHIPPED and not delivery:
        return "Pickup orders are never shipped."
    if current == Status.PROCESSING and target == Status.COMPLETED and delivery:
        return "Delivery orders are shipped before they are completed."
    paystack = ctx.payment_method == PaymentMethod.PAYSTACK
    if target == Status.PROCESSING and paystack and not ctx.is_paid:
        return "This order is not paid yet."
    cash = ctx.payment_method == PaymentMethod.CASH
    if target == Status.COMPLETED and cash and not ctx.cash_collected:
        return "Collect the cash (cash_collected) before completing a cash order."
    return None


def allowed_moves(current: str, ctx: MoveContext) -> list[str]:
    """The statuses this order may move to next, guards included, counting the moves a request
    can make possible by itself: `completed` of a cash order is allowed with `cash_collected`
    sent along, so it is listed (the `allowed` of an `invalid_transition`)."""
    with_request_fields = replace(ctx, cash_collected=True)
    return [
        t
        for t in TRANSITIONS.get(current, ())
        if _blocked_reason(current, t, with_request_fields) is None
    ]


def check_move(current: str, target: str, ctx: MoveContext) -> str | None:
    """None when `current -> target` is allowed now, else the reason it is not."""
    if target not in TRANSITIONS.get(current, ()):
        if current in FINAL:
            return f"A {current} order cannot change any more."
        return f"An order cannot go from {current} to {target}."
    return _blocked_reason(current, target, ctx)


def group_status(statuses: Iterable[str]) -> str:
    """The order group's status, derived from its orders' statuses."""
    values = list(statuses)
    if not values:
        return GroupStatus.PENDING
    cancelled = sum(1 for s in values if s == Status.CANCELLED)
    completed = sum(1 for s in values if s == Status.COMPLETED)
    still_open = len(values) - cancelled - completed
    if cancelled == len(values):
        return GroupStatus.CANCELLED
    if completed == len(values):
        return GroupStatus.FULFILLED
    if still_open == 0:
        return GroupStatus.FULFILLED_WITH_CANCELLATIONS
    if completed:
        return GroupStatus.PARTIALLY_FULFILLED
    if any(s in (Status.PROCESSING, Status.SHIPPED) for s in values):
        return GroupStatus.PROCESSING
    return GroupStatus.PENDING


def group_payment_status(orders: Iterable[Order], *, payment_method: str) -> str:
    """`unpaid`, `paid`, `partially_refunded` or `refunded` from the orders' paid/cancelled flags.

    A Paystack group stays `paid` when paid orders are cancelled: it becomes (partially)
    refunded only when Paystack confirms the refund (`payments.services.refunds`). Cash is
    handed back at once, so a cancelled order whose cash was collected counts as refunded, and
    so does what returns and partial refunds gave back of an order (`refunded_amount`): in part
    while a paid order keeps some of its money.
    """
    orders = list(orders)
    if payment_method == PaymentMethod.PAYSTACK:
        return PaymentStatus.PAID if any(o.is_paid for o in orders) else PaymentStatus.UNPAID
    active = [o for o in orders if o.status != Status.CANCELLED]
    refunded = [o for o in orders if o.status == Status.CANCELLED and o.is_paid]
    refunded += [o for o in active if o.refunded_amount > 0]
    if refunded:
        if any(o.is_paid and o.refunded_amount < o.total for o in active):
            return PaymentStatus.PARTIALLY_REFUNDED
        return PaymentStatus.REFUNDED
    if active and all(o.is_paid for o in active):
        return PaymentStatus.PAID
    return PaymentStatus.UNPAID


# --- Returns and partial refunds -----------------------------------------------------------------

ReturnStatus = Return.Status

# A return's moves. `rejected` releases the quantities it claimed; `refunded` is final.
RETURN_TRANSITIONS: dict[str, tuple[str, ...]] = {
    ReturnStatus.REQUESTED: (ReturnStatus.APPROVED, ReturnStatus.REJECTED),
    ReturnStatus.APPROVED: (ReturnStatus.RECEIVED, ReturnStatus.REJECTED),
    ReturnStatus.RECEIVED: (ReturnStatus.REFUNDED,),
    ReturnStatus.REJECTED: (),
    ReturnStatus.REFUNDED: (),
}
CENT = Decimal("0.01")


def return_allowed_moves(current: str) -> list[str]:
    return list(RETURN_TRANSITIONS.get(current, ()))


def return_window_open(*, completed_at: datetime | None, now: datetime, days: int) -> bool:
    """Whether a return may still be asked for: the order was completed at most `days` ago."""
    return completed_at is not None and now <= completed_at + timedelta(days=days)


@dataclass(frozen=True)
class LineTaken:
    """Units of one order line that a return or refund takes back, and what they are worth."""

    order_item_id: uuid.UUID
    quantity: int
    amount: Decimal


def lines_take(
    *, lines: Mapping[uuid.UUID, OrderItem], asked: Mapping[uuid.UUID, int]
) -> tuple[list[LineTaken], list[dict[str, object]]]:
    """What `asked` (order line id -> quantity) takes of the order's `lines`: each line's unit
    price (the order's snapshot) times the quantity, and the lines asked beyond what is left
    (`quantity - returned_quantity`) as `[{order_item_id, requested, available}]`."""
    taken: list[LineTaken] = []
    short: list[dict[str, object]] = []
    for item_id, quantity in asked.items():
        line = lines[item_id]
        available = line.quantity - line.returned_quantity
        if quantity > available:
            short.append(
                {"order_item_id": str(item_id), "requested": quantity, "available": available}
            )
            continue
        taken.append(LineTaken(item_id, quantity, line.unit_price * quantity))
    return taken, short


def commission_share(*, commission: Decimal, quantity: int, before: int, taking: int) -> Decimal:
    """The commission of `taking` more units of a line whose `commission` was taken on
    `quantity` units, after `before` units were already refunded.

    The difference of the commission of the cumulative quantities (each rounded half-up to the
    kobo), so the shares of any sequence of partial refunds add up to the line's commission
    exactly and never exceed it."""

    def upto(units: int) -> Decimal:
        return (commission * units / quantity).quantize(CENT, rounding=ROUND_HALF_UP)

    return upto(before + taking) - upto(before)
