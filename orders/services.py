"""Writes on order groups and orders: status changes, cancellation, payment and expiry hooks.

Locking order, everywhere: the group row, then its orders (primary-key order), then products
(through `products.inventory`, primary-key order). Holding the group row while changing any of
its orders also keeps the group's derived status consistent when two shops act at once.
Checkout itself lives in `orders.checkout`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from core.errors import InvalidInput, InvalidTransition, NotFound, raises
from orders import state
from orders.emails import (
    queue_cancelled_email,
    queue_payment_received_email,
    queue_shipped_email,
)
from orders.models import Order, OrderEvent, OrderGroup, OrderItem, PaymentMethod
from orders.signals import order_completed, paid_orders_cancelled
from products.inventory import StockChange, stock_apply
from products.models import InventoryMovement
from shops.models import Shop
from users.models import User

Status = Order.Status


# --- Locks ------------------------------------------------------------------------------------


def order_group_lock(*, group_id: uuid.UUID) -> OrderGroup:
    """Lock the group's row (call inside `transaction.atomic`); 404 when it does not exist."""
    group = OrderGroup.objects.select_for_update().filter(id=group_id).first()
    if group is None:
        raise NotFound("Order group not found.")
    return group


def _lock_orders(group: OrderGroup) -> list[Order]:
    """The group's orders, locked in primary-key order (the group's lock is held already)."""
    return list(Order.objects.select_for_update().filter(group_id=group.id).order_by("id"))


def _lock_group_with_orders(group_id: uuid.UUID) -> tuple[OrderGroup, list[Order]]:
    group = order_group_lock(group_id=group_id)
    return group, _lock_orders(group)


def order_group_payment_status_set(
    *, group: OrderGroup, status: str, paid_at: datetime | None = None, now: datetime | None = None
) -> bool:
    """The one writer of `OrderGroup.payment_status`; the caller holds the group's lock.

    The status never moves back (`state.payment_status_forward`). A group that becomes paid
    records `paid_at` (the given time, else now) and no longer has a payment deadline. Saves
    and returns True only when something changed.
    """
    now = now or timezone.now()
    before = (group.payment_status, group.paid_at, group.expires_at)
    group.payment_status = state.payment_status_forward(group.payment_status, status)
    if group.payment_status == OrderGroup.PaymentStatus.PAID and group.paid_at is None:
        group.paid_at = paid_at or now
    if group.payment_status != OrderGroup.PaymentStatus.UNPAID:
        group.expires_at = None
    if (group.payment_status, group.paid_at, group.expires_at) == before:
        return False
    group.updated_at = now
    group.save(update_fields=["payment_status", "paid_at", "expires_at", "updated_at"])
    return True


def _refresh_group(group: OrderGroup, orders: Sequence[Order], now: datetime) -> None:
    """Recompute the group's status and payment status from its (locked) orders and save."""
    order_group_payment_status_set(
        group=group,
        status=state.group_payment_status(orders, payment_method=group.payment_method),
        now=now,
    )
    group.status = state.group_status(o.status for o in orders)
    if group.status == OrderGroup.Status.CANCELLED:
        group.expires_at = None
    group.updated_at = now
    group.save(update_fields=["status", "expires_at", "cancel_reason", "updated_at"])


# --- Cancellation -----------------------------------------------------------------------------


def _cancel_orders(
    *,
    group: OrderGroup,
    orders: Sequence[Order],
    actor: User | None,
    note: str,
    stock_reason: str,
    now: datetime,
) -> None:
    """Cancel `orders` (their rows and the group's are locked by the caller).

    Stock comes back once per order: `stock_restored` is read and set under the order's lock,
    and all products go back in one `stock_apply` call (one ledger movement per product).
    """
    restore = [o for o in orders if not o.stock_restored]
    if restore:
        order_of_product: dict[uuid.UUID, uuid.UUID] = {}
        changes: list[StockChange] = []
        rows = OrderItem.objects.filter(order__in=restore).values_list(
            "order_id", "product_id", "quantity"
        )
        for order_id, product_id, quantity in rows:
            changes.append(StockChange(product_id, quantity))
            order_of_product[product_id] = order_id
        if changes:
            stock_apply(
                changes=changes,
                reason=stock_reason,
                actor=actor,
                order_ids=order_of_product,
                note=note[:255],
            )
    for order in orders:
        order.status = Status.CANCELLED
        order.stock_restored = True
        order.updated_at = now
    Order.objects.bulk_update(orders, ["status", "stock_restored", "updated_at"])
    OrderEvent.objects.bulk_create(
        [OrderEvent(order=o, status=Status.CANCELLED, note=note, actor=actor) for o in orders]
    )


def _request_refund(*, group: OrderGroup, orders: Sequence[Order], reason: str) -> bool:
    """Announce the paid ones among `orders` (payments refunds them); True when a refund was
    requested."""
    paid = [o for o in orders if o.is_paid and group.payment_method == PaymentMethod.PAYSTACK]
    if not paid:
        return False
    answers = paid_orders_cancelled.send(sender=OrderGroup, group=group, orders=paid, reason=reason)
    return any(started for _, started in answers)


def _transition_error(
    order: Order, target: str, ctx: state.MoveContext, why: str
) -> InvalidTransition:
    error = InvalidTransition(
        from_status=order.status, to_status=target, allowed=state.allowed_moves(order.status, ctx)
    )
    error.message = f"Cannot move order {order.number} from {order.status} to {target}: {why}"
    return error


@raises(InvalidTransition)
def order_group_cancel(*, user: User, group_id: uuid.UUID, reason: str = "") -> OrderGroup:
    """The customer (or an admin) cancels the whole group while every order is still pending."""
    from orders.selectors import groups_for_customer

    if not groups_for_customer(user=user).filter(id=group_id).exists():
        raise NotFound("Order group not found.")
    now = timezone.now()
    with transaction.atomic():
        group, orders = _lock_group_with_orders(group_id)
        # Orders a shop already cancelled stay as they are; every other one must be pending.
        still_open = [o for o in orders if o.status != Status.CANCELLED]
        if not still_open or any(o.status != Status.PENDING for o in still_open):
            error = InvalidTransition(
                from_status=group.status, to_status=OrderGroup.Status.CANCELLED, allowed=[]
            )
            error.message = "Only an order group whose orders are all pending can be cancelled."
            raise error
        by = "the customer" if group.customer_id == user.id else "an administrator"
        note = reason or f"Cancelled by {by}."
        _cancel_orders(
            group=group,
            orders=still_open,
            actor=user,
            note=note,
            stock_reason=InventoryMovement.Reason.ORDER_CANCELLED,
            now=now,
        )
        group.cancel_reason = reason[:255]
        _refresh_group(group, orders, now)
        refund_started = _request_refund(group=group, orders=still_open, reason=note[:255])
        shop_names = dict(Shop.objects.filter(orders__group=group).values_list("id", "name"))
        queue_cancelled_email(
            group=group, orders=still_open, shop_names=shop_names, refund_started=refund_started
        )
    return group


# --- Shop side status changes -------------------------------------------------------------------


@raises(InvalidTransition)
def order_status_change(
    *,
    shop: Shop,
    order_id: uuid.UUID,
    actor: User,
    status: str,
    note: str = "",
    cash_collected: bool | None = None,
    estimated_delivery_date: date | None = None,
) -> Order:
    """A shop member moves its order along the lifecycle (or cancels it)."""
    group_id = (
        Order.objects.filter(shop=shop, id=order_id).values_list("group_id", flat=True).first()
    )
    if group_id is None:
        raise NotFound("Order not found.")
    now = timezone.now()
    with transaction.atomic():
        group, orders = _lock_group_with_orders(group_id)
        order = next(o for o in orders if o.id == order_id)
        is_cash = group.payment_method == PaymentMethod.CASH
        if cash_collected is not None and not is_cash:
            raise InvalidInput({"cash_collected": ["Only cash orders collect cash."]})
        if cash_collected and status == Status.CANCELLED:
            raise InvalidInput({"cash_collected": ["A cancelled order collects no cash."]})
        if cash_collected is False and order.cash_collected:
            raise InvalidInput({"cash_collected": ["The cash was already collected."]})
        ctx = state.MoveContext(
            fulfillment_method=group.fulfillment_method,
            payment_method=group.payment_method,
            is_paid=order.is_paid,
            cash_collected=bool(cash_collected) or order.cash_collected,
        )
        why = state.check_move(order.status, status, ctx)
        if why is not None:
            raise _transition_error(order, status, ctx, why)

        if status == Status.CANCELLED:
            _cancel_orders(
                group=group,
                orders=[order],
                actor=actor,
                note=note or f"Cancelled by {shop.name}.",
                stock_reason=InventoryMovement.Reason.ORDER_CANCELLED,
                now=now,
            )
            _refresh_group(group, orders, now)
            refund_started = _request_refund(
                group=group, orders=[order], reason=(note or "Cancelled by the shop.")[:255]
            )
            queue_cancelled_email(
                group=group,
                orders=[order],
                shop_names={shop.id: shop.name},
                refund_started=refund_started,
            )
            return order

        order.status = status
        order.updated_at = now
        fields = ["status", "updated_at"]
        if cash_collected and not order.cash_collected:
            order.cash_collected = True
            order.is_paid = True
            fields += ["cash_collected", "is_paid"]
        if status == Status.SHIPPED:
            order.estimated_delivery_date = estimated_delivery_date
            fields.append("estimated_delivery_date")
        if status == Status.COMPLETED:
            order.completed_at = now
            fields.append("completed_at")
        order.save(update_fields=fields)
        OrderEvent.objects.create(order=order, status=status, note=note, actor=actor)
        _refresh_group(group, orders, now)
        if status == Status.COMPLETED:
            order_completed.send(sender=Order, order=order, group=group)
        if status == Status.SHIPPED:
            queue_shipped_email(group=group, order=order, shop_name=shop.name)
    return order


# --- Hooks for payments -----------------------------------------------------------------------


def order_group_awaiting_payment(group: OrderGroup) -> bool:
    """A Paystack group that is unpaid and not cancelled, whatever its deadline."""
    return (
        group.payment_method == PaymentMethod.PAYSTACK
        and group.payment_status == OrderGroup.PaymentStatus.UNPAID
        and group.status != OrderGroup.Status.CANCELLED
    )


def order_group_is_payable(group: OrderGroup) -> bool:
    """A Paystack group that is unpaid, not cancelled and not expired."""
    return order_group_awaiting_payment(group) and (
        group.expires_at is None or group.expires_at > timezone.now()
    )


def order_group_mark_paid(*, group: OrderGroup, paid_at: datetime) -> None:
    """Record the group's payment. The caller holds the group lock and checked payability."""
    now = timezone.now()
    Order.objects.filter(group_id=group.id).exclude(status=Status.CANCELLED).update(
        is_paid=True, updated_at=now
    )
    order_group_payment_status_set(
        group=group, status=OrderGroup.PaymentStatus.PAID, paid_at=paid_at, now=now
    )
    queue_payment_received_email(group=group)


def order_group_expire(*, group_id: uuid.UUID, now: datetime | None = None) -> bool:
    """Cancel an unpaid Paystack group past its payment deadline; True when it expired it.

    Safe to call for any group, any number of times: every condition is re-checked under the
    group's lock, and stock comes back once (reason `payment_expired`).
    """
    now = now or timezone.now()
    with transaction.atomic():
        group = OrderGroup.objects.select_for_update().filter(id=group_id).first()
        if (
            group is None
            or not order_group_awaiting_payment(group)
            or group.expires_at is None
            or group.expires_at > now
        ):
            return False
        orders = _lock_orders(group)
        still_open = [o for o in orders if o.status != Status.CANCELLED]
        if still_open:
            _cancel_orders(
                group=group,
                orders=still_open,
                actor=None,
                note="payment expired",
                stock_reason=InventoryMovement.Reason.PAYMENT_EXPIRED,
                now=now,
            )
        group.cancel_reason = "payment expired"
        _refresh_group(group, orders, now)
        queue_cancelled_email(
            group=group, orders=still_open, shop_names={}, refund_started=False, expired=True
        )
    return True
