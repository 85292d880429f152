"""Reads of order groups and orders, scoped to who asks, in a fixed number of queries."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal

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


def group_detail_from_memory(
    *,
    group: OrderGroup,
    orders: Sequence[Order],
    items: Iterable[OrderItem],
    events: Iterable[OrderEvent],
) -> OrderGroup:
    """A group just written (checkout), made ready for its representation from the objects in
    hand, as `group_detail` would load it but without reading it back: orders by number, items
    by product name, events by time. Every order's `shop` (and every event's `actor`) must be
    set."""
    items_of: dict[uuid.UUID, list[OrderItem]] = {order.id: [] for order in orders}
    events_of: dict[uuid.UUID, list[OrderEvent]] = {order.id: [] for order in orders}
    for item in items:
        items_of[item.order_id].append(item)
    for event in events:
        events_of[event.order_id].append(event)
    for order in orders:
        order._prefetched_objects_cache = {
            "items": _evaluated(
                order.items.order_by("product_name", "id"),
                sorted(items_of[order.id], key=lambda i: (i.product_name, i.id)),
            ),
            "events": _evaluated(
                order.events.select_related("actor").order_by("created_at", "id"),
                sorted(events_of[order.id], key=lambda e: (e.created_at, e.id)),
            ),
        }
    group._prefetched_objects_cache = {
        "orders": _evaluated(
            group.orders.select_related("shop").order_by(*ORDER_NUMBER_ORDERING),
            sorted(orders, key=_order_number_key),
        )
    }
    return group


def _evaluated(queryset: QuerySet, objects: list) -> QuerySet:
    """`queryset` as if it had been run and returned `objects` (as prefetching leaves it)."""
    queryset._result_cache = objects
    queryset._prefetch_done = True
    return queryset


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
