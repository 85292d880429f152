"""Writes for returns and partial refunds of completed orders.

Every change runs under the locks of `orders.services` (the group row, then its orders) and
re-reads the order's lines after them, so two requests for the same units never both get them:
`OrderItem.returned_quantity` (units claimed by returns not rejected and by refunds without a
return) and `OrderItem.refunded_quantity` (units whose money went back) only move under the
order's row lock, as do `Order.refunded_amount` and `Order.delivery_fee_refunded`.

Money is decided here from the order's snapshots (unit price x quantity, the delivery fee
once), never from the request, and handed to the app above that moves it: `order_refund_due`
for a return, or a direct call of `order_refund_take` by `payments` for a refund without one.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.errors import Conflict, InvalidInput, InvalidTransition, NotFound, raises
from orders import state
from orders.emails import (
    queue_order_refunded_email,
    queue_return_requested_email,
    queue_return_update_email,
)
from orders.models import Order, OrderEvent, OrderGroup, OrderItem, Return, ReturnEvent, ReturnItem
from orders.services import _lock_group_with_orders, _refresh_group
from orders.signals import order_refund_due
from products.inventory import StockChange, stock_apply
from products.models import InventoryMovement
from shops.models import Shop
from users.models import User

ReturnStatus = Return.Status


@dataclass(frozen=True)
class RefundLine:
    """Units of one order line given back, their price and their share of its commission."""

    order_item: OrderItem
    quantity: int
    amount: Decimal
    commission: Decimal


@dataclass(frozen=True)
class RefundDue:
    """Money to give back for part of a completed order, decided under the order's lock.

    `id` is the id the refund's record is to have (so that what is told about it, such as the
    customer's e-mail, names the same refund); `amount` = the lines' amounts + `delivery_fee`;
    `commission` = the lines' commission shares (§10: reversed for the shop).
    """

    id: uuid.UUID
    group: OrderGroup
    order: Order
    lines: Sequence[RefundLine]
    delivery_fee: Decimal
    amount: Decimal
    commission: Decimal
    reason: str
    actor: User | None
    return_request: Return | None = None


# --- Helpers ------------------------------------------------------------------------------------


def _lock_order(group_id: uuid.UUID, order_id: uuid.UUID) -> tuple[OrderGroup, list[Order], Order]:
    group, orders = _lock_group_with_orders(group_id)
    order = next(o for o in orders if o.id == order_id)
    return group, orders, order


def _lines(order: Order) -> dict[uuid.UUID, OrderItem]:
    """The order's lines, read after the order's lock (their counters move only under it)."""
    return {item.id: item for item in OrderItem.objects.filter(order=order).order_by("id")}


def _asked(
    items: Sequence[Mapping[str, object]], lines: Mapping[uuid.UUID, OrderItem]
) -> dict[uuid.UUID, int]:
    """`[{order_item_id, quantity}]` as line id -> quantity; lines of another order, or named
    twice, are a `400 validation_error` on `items`."""
    asked: dict[uuid.UUID, int] = {}
    problems: list[str] = []
    for item in items:
        item_id = item["order_item_id"]
        if not isinstance(item_id, uuid.UUID) or item_id not in lines:
            problems.append(f"{item_id} is not a line of this order.")
        elif item_id in asked:
            problems.append(f"{item_id} is listed twice.")
        else:
            asked[item_id] = int(str(item["quantity"]))
    if problems:
        raise InvalidInput({"items": problems})
    return asked


def _completed_at(order: Order) -> datetime | None:
    """When the order was completed: recorded on it since the settlement ledger exists, else
    (an order completed before) its `completed` event."""
    if order.completed_at is not None:
        return order.completed_at
    return (
        OrderEvent.objects.filter(order=order, status=Order.Status.COMPLETED)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )


def _require_completed(order: Order, action: str) -> None:
    if order.status != Order.Status.COMPLETED:
        raise Conflict(
            f"Only a completed order can be {action}; order {order.number} is {order.status}."
        )


def _take_lines(
    lines: Mapping[uuid.UUID, OrderItem], asked: Mapping[uuid.UUID, int]
) -> list[state.LineTaken]:
    taken, short = state.lines_take(lines=lines, asked=asked)
    if short:
        raise Conflict(
            "Some lines ask for more than was delivered and not yet returned or refunded.",
            errors={"items": short},
        )
    for line in taken:
        lines[line.order_item_id].returned_quantity += line.quantity
    return taken


def _refund_take(
    *,
    group: OrderGroup,
    orders: Sequence[Order],
    order: Order,
    lines: Mapping[uuid.UUID, OrderItem],
    taken: Sequence[state.LineTaken],
    delivery_fee: bool,
    reason: str,
    actor: User | None,
    return_request: Return | None,
    now: datetime,
) -> RefundDue:
    """Record on the order what goes back (counters, refunded amount, the group's payment status
    for cash) and say how much. The caller holds the locks and already claimed the units
    (`returned_quantity`)."""
    refund_lines: list[RefundLine] = []
    for line in taken:
        item = lines[line.order_item_id]
        commission = state.commission_share(
            commission=item.commission_amount,
            quantity=item.quantity,
            before=item.refunded_quantity,
            taking=line.quantity,
        )
        item.refunded_quantity += line.quantity
        refund_lines.append(RefundLine(item, line.quantity, line.amount, commission))
    fee = order.delivery_fee if delivery_fee else Decimal("0.00")
    amount = sum((line.amount for line in refund_lines), Decimal("0.00")) + fee
    if amount <= 0:
        raise Conflict("There is nothing to refund.")
    OrderItem.objects.bulk_update(lines.values(), ["returned_quantity", "refunded_quantity"])
    order.refunded_amount += amount
    order.delivery_fee_refunded = order.delivery_fee_refunded or delivery_fee
    order.updated_at = now
    order.save(update_fields=["refunded_amount", "delivery_fee_refunded", "updated_at"])
    _refresh_group(group, orders, now)
    return RefundDue(
        id=uuid.uuid4(),
        group=group,
        order=order,
        lines=refund_lines,
        delivery_fee=fee,
        amount=amount,
        commission=sum((line.commission for line in refund_lines), Decimal("0.00")),
        reason=reason[:255],
        actor=actor,
        return_request=return_request,
    )


# --- Partial refunds without a return ------------------------------------------------------------


@raises(Conflict)
def order_refund_take(
    *,
    shop: Shop,
    order_id: uuid.UUID,
    actor: User,
    items: Sequence[Mapping[str, object]],
    delivery_fee: bool,
    reason: str,
) -> RefundDue:
    """A shop member (or an admin) gives back part of a completed order the customer keeps:
    some units of some lines and/or the delivery fee (once).

    Call inside `transaction.atomic` and record the money in the same transaction (the
    `payments` app does both); everything here is undone with it if that fails.
    """
    group_id = (
        Order.objects.filter(shop=shop, id=order_id).values_list("group_id", flat=True).first()
    )
    if group_id is None:
        raise NotFound("Order not found.")
    now = timezone.now()
    group, orders, order = _lock_order(group_id, order_id)
    _require_completed(order, "refunded")
    if delivery_fee and order.delivery_fee_refunded:
        raise Conflict("The delivery fee of this order was already refunded.")
    lines = _lines(order)
    taken = _take_lines(lines, _asked(items, lines))
    due = _refund_take(
        group=group,
        orders=orders,
        order=order,
        lines=lines,
        taken=taken,
        delivery_fee=delivery_fee,
        reason=reason or "Partial refund.",
        actor=actor,
        return_request=None,
        now=now,
    )
    queue_order_refunded_email(
        group=group,
        order=order,
        shop_name=shop.name,
        due_id=due.id,
        amount=due.amount,
        reason=reason,
    )
    return due


# --- Returns -----------------------------------------------------------------------------------


@raises(Conflict)
def return_create(
    *,
    user: User,
    order_id: uuid.UUID,
    items: Sequence[Mapping[str, object]],
    reason: str,
    note: str = "",
) -> Return:
    """The customer asks to return some units of some lines of a completed order, within
    `RETURN_WINDOW_DAYS` of its completion; the units are claimed at once (a second request
    cannot ask for them again) and given back to the order if the return is rejected."""
    group_id = (
        Order.objects.filter(id=order_id, group__customer=user)
        .values_list("group_id", flat=True)
        .first()
    )
    if group_id is None:
        raise NotFound("Order not found.")
    now = timezone.now()
    with transaction.atomic():
        group, _orders, order = _lock_order(group_id, order_id)
        _require_completed(order, "returned")
        days = settings.RETURN_WINDOW_DAYS
        if not state.return_window_open(completed_at=_completed_at(order), now=now, days=days):
            raise Conflict(f"Returns are accepted within {days} days of completion.")
        lines = _lines(order)
        taken = _take_lines(lines, _asked(items, lines))
        OrderItem.objects.bulk_update(lines.values(), ["returned_quantity"])
        ret = Return.objects.create(
            order=order,
            shop_id=order.shop_id,
            customer=user,
            reason=reason,
            note=note,
            amount=sum((line.amount for line in taken), Decimal("0.00")),
        )
        ReturnItem.objects.bulk_create(
            [
                ReturnItem(
                    return_request=ret,
                    order_item_id=line.order_item_id,
                    quantity=line.quantity,
                    amount=line.amount,
                )
                for line in taken
            ]
        )
        ReturnEvent.objects.create(
            return_request=ret, status=ReturnStatus.REQUESTED, note=note, actor=user
        )
        shop = Shop.objects.select_related("owner").get(id=order.shop_id)
        queue_return_requested_email(ret=ret, group=group, order=order, shop=shop)
        queue_return_update_email(ret=ret, group=group, order=order, shop_name=shop.name)
    return ret


@raises(InvalidTransition, Conflict)
def return_status_change(
    *,
    shop: Shop,
    return_id: uuid.UUID,
    actor: User,
    status: str,
    note: str = "",
    restock: bool = True,
) -> Return:
    """A member of the return's shop (or an admin) moves it: `requested` -> `approved` or
    `rejected`; `approved` -> `received` (the units back in stock, reason `return`, unless
    `restock` is false) or `rejected`; `received` -> `refunded` (the money goes back through
    `order_refund_due`). A rejected return gives its units back to the order."""
    found = (
        Return.objects.filter(id=return_id, shop=shop)
        .values_list("order__group_id", "order_id")
        .first()
    )
    if found is None:
        raise NotFound("Return not found.")
    group_id, order_id = found
    now = timezone.now()
    with transaction.atomic():
        group, orders, order = _lock_order(group_id, order_id)
        ret = Return.objects.select_for_update().get(id=return_id)
        allowed = state.return_allowed_moves(ret.status)
        if status not in allowed:
            error = InvalidTransition(from_status=ret.status, to_status=status, allowed=allowed)
            error.message = f"A {ret.status} return cannot become {status}."
            raise error
        items = list(ret.items.order_by("id"))
        fields = ["status", "updated_at"]
        if status == ReturnStatus.REJECTED:
            lines = _lines(order)
            for item in items:
                lines[item.order_item_id].returned_quantity -= item.quantity
            OrderItem.objects.bulk_update(lines.values(), ["returned_quantity"])
        elif status == ReturnStatus.RECEIVED and restock:
            _restock(order=order, items=items, actor=actor, ret=ret)
            ret.restocked = True
            fields.append("restocked")
        elif status == ReturnStatus.REFUNDED:
            lines = _lines(order)
            taken = [
                state.LineTaken(item.order_item_id, item.quantity, item.amount) for item in items
            ]
            due = _refund_take(
                group=group,
                orders=orders,
                order=order,
                lines=lines,
                taken=taken,
                delivery_fee=False,
                reason=note or f"Return {ret.id}.",
                actor=actor,
                return_request=ret,
                now=now,
            )
            order_refund_due.send(sender=Return, due=due)
        ret.status = status
        ret.updated_at = now
        ret.save(update_fields=fields)
        ReturnEvent.objects.create(return_request=ret, status=status, note=note, actor=actor)
        queue_return_update_email(ret=ret, group=group, order=order, shop_name=shop.name)
    return ret


def _restock(*, order: Order, items: Sequence[ReturnItem], actor: User, ret: Return) -> None:
    """The returned units back in the variants sold, one movement per variant (reason
    `return`)."""
    variants = dict(
        OrderItem.objects.filter(id__in=[item.order_item_id for item in items]).values_list(
            "id", "variant_id"
        )
    )
    changes = [StockChange(variants[item.order_item_id], item.quantity) for item in items]
    stock_apply(
        changes=changes,
        reason=InventoryMovement.Reason.RETURN,
        actor=actor,
        order_ids={change.variant_id: order.id for change in changes},
        note=f"Return {ret.id}",
    )
