"""Reads of order groups and orders, scoped to who asks, in a fixed number of queries."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Prefetch, QuerySet
from django.db.models.functions import Length

from core.errors import NotFound
from orders.models import Order, OrderEvent, OrderGroup, OrderItem
from shops.models import Shop
from users.models import User


def _order_prefetches(prefix: str = "") -> list[Prefetch]:
    return [
        Prefetch(f"{prefix}items", queryset=OrderItem.objects.order_by("product_name", "id")),
        Prefetch(
            f"{prefix}events",
            queryset=OrderEvent.objects.select_related("actor").order_by("created_at", "id"),
        ),
    ]


# A group's orders are numbered `<group number>-<n>`: shorter numbers first puts "-2" before
# "-10" (plain text order would not).
ORDER_NUMBER_ORDERING = (Length("number"), "number")


def _order_number_key(order: Order) -> tuple[int, str]:
    return len(order.number), order.number


def _groups_with_details() -> QuerySet[OrderGroup]:
    orders = Order.objects.select_related("shop").order_by(*ORDER_NUMBER_ORDERING)
    return OrderGroup.objects.prefetch_related(
        Prefetch("orders", queryset=orders), *_order_prefetches("orders__")
    )


def groups_for_customer(*, user: User, status: str | None = None) -> QuerySet[OrderGroup]:
    """The caller's order groups, newest first (every group for platform admins)."""
    groups = _groups_with_details()
    if not user.is_platform_admin:
        groups = groups.filter(customer=user)
    if status:
        groups = groups.filter(status=status)
    return groups.order_by("-created_at", "-id")


def group_for_customer(*, user: User, group_id: uuid.UUID) -> OrderGroup:
    group = groups_for_customer(user=user).filter(id=group_id).first()
    if group is None:
        raise NotFound("Order group not found.")
    return group


def group_detail(*, group_id: uuid.UUID) -> OrderGroup:
    """One group with everything its representation shows (no scoping: callers scope first)."""
    return _groups_with_details().get(id=group_id)


class OrderDetail(NamedTuple):
    """An order with its items (by product name) and events (by time), as a group's
    representation lists them."""

    order: Order
    items: Sequence[OrderItem]
    events: Sequence[OrderEvent]


def order_details(group: OrderGroup) -> list[OrderDetail]:
    """A group's orders with their items and events, from what `_groups_with_details` loaded
    (no query)."""
    return [OrderDetail(o, o.items.all(), o.events.all()) for o in group.orders.all()]


def order_details_from_memory(
    *,
    orders: Iterable[Order],
    items: Mapping[uuid.UUID, Iterable[OrderItem]],
    events: Mapping[uuid.UUID, Iterable[OrderEvent]],
) -> list[OrderDetail]:
    """Orders just written (checkout), with their items and events by order id, in the order
    `order_details` gives them: without reading them back. Every order's `shop` (and every
    event's `actor`) must be set."""
    return [
        OrderDetail(
            order,
            sorted(items.get(order.id, ()), key=lambda i: (i.product_name, i.id)),
            sorted(events.get(order.id, ()), key=lambda e: (e.created_at, e.id)),
        )
        for order in sorted(orders, key=_order_number_key)
    ]


def orders_for_shop(*, shop: Shop) -> QuerySet[Order]:
    """A shop's orders with their group, items and events, newest first."""
    return (
        Order.objects.filter(shop=shop)
        .select_related("group", "shop")
        .prefetch_related(*_order_prefetches())
        .order_by("-created_at", "-id")
    )


def order_for_shop(*, shop: Shop, order_id: uuid.UUID) -> Order:
    order = orders_for_shop(shop=shop).filter(id=order_id).first()
    if order is None:
        raise NotFound("Order not found.")
    return order


def order_group_amount_due(group: OrderGroup) -> Decimal:
    """What the customer still has to pay: the totals of the group's orders not cancelled."""
    totals = group.orders.exclude(status=Order.Status.CANCELLED).values_list("total", flat=True)
    return sum(totals, Decimal("0.00"))
