"""Reads of order groups and orders, scoped to who asks, in a fixed number of queries."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db.models import Prefetch, QuerySet

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


def _groups_with_details() -> QuerySet[OrderGroup]:
    orders = Order.objects.select_related("shop").order_by("number")
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
