"""Reads of order groups and orders, scoped to who asks, in a fixed number of queries."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Length

from core.errors import NotFound
from orders.models import (
    Order,
    OrderEvent,
    OrderGroup,
    OrderItem,
    Return,
    ReturnEvent,
    ReturnItem,
)
from shops.models import Shop
from shops.selectors import shops_for_member
from users.models import User


def _order_prefetches() -> list[Prefetch]:
    """An order's items (by product name) and events (by time), as `item_list` and
    `event_list`: what the order representations read."""
    return [
        Prefetch(
            "items", queryset=OrderItem.objects.order_by("product_name", "id"), to_attr="item_list"
        ),
        Prefetch(
            "events",
            queryset=OrderEvent.objects.select_related("actor").order_by("created_at", "id"),
            to_attr="event_list",
        ),
    ]


# A group's orders are numbered `<group number>-<n>`: shorter numbers first puts "-2" before
# "-10" (plain text order would not).
ORDER_NUMBER_ORDERING = (Length("number"), "number")


def _order_number_key(order: Order) -> tuple[int, str]:
    return len(order.number), order.number


def _groups_with_details() -> QuerySet[OrderGroup]:
    """Groups with their orders (in number order) as `order_list`, each order with its shop,
    `item_list` and `event_list`: 4 queries however many groups."""
    orders = (
        Order.objects.select_related("shop")
        .prefetch_related(*_order_prefetches())
        .order_by(*ORDER_NUMBER_ORDERING)
    )
    return OrderGroup.objects.prefetch_related(
        Prefetch("orders", queryset=orders, to_attr="order_list")
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


def group_check_for_customer(*, user: User, group_id: uuid.UUID) -> None:
    """404 unless the caller may see the group: endpoints look it up before they validate
    their body, so an unknown id is a 404 whatever the body."""
    if not groups_for_customer(user=user).filter(id=group_id).exists():
        raise NotFound("Order group not found.")


def group_detail(*, group_id: uuid.UUID) -> OrderGroup:
    """One group with everything its representation shows (no scoping: callers scope first)."""
    return _groups_with_details().get(id=group_id)


def order_group_attach(
    group: OrderGroup,
    *,
    orders: Iterable[Order],
    items: Mapping[uuid.UUID, Iterable[OrderItem]],
    events: Mapping[uuid.UUID, Iterable[OrderEvent]],
) -> None:
    """Give a group just written (checkout) the `order_list`, `item_list` and `event_list`
    that `_groups_with_details` reads, from the rows in hand and in the same order, so its
    representation needs no query. Every order's `shop` (and every event's `actor`) must be
    set."""
    orders = list(orders)
    for order in orders:
        order.item_list = sorted(items.get(order.id, ()), key=lambda i: (i.product_name, i.id))
        order.event_list = sorted(events.get(order.id, ()), key=lambda e: (e.created_at, e.id))
    # The attribute `_groups_with_details` prefetches into (`to_attr`), unknown to the model.
    setattr(group, "order_list", sorted(orders, key=_order_number_key))  # noqa: B010


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


def order_check_for_shop(*, shop: Shop, order_id: uuid.UUID) -> None:
    """404 unless the order is the shop's (looked up before a body is validated)."""
    if not Order.objects.filter(shop=shop, id=order_id).exists():
        raise NotFound("Order not found.")


def order_group_amount_due(group: OrderGroup) -> Decimal:
    """What the customer still has to pay: the totals of the group's orders not cancelled."""
    totals = group.orders.exclude(status=Order.Status.CANCELLED).values_list("total", flat=True)
    return sum(totals, Decimal("0.00"))


# --- Returns ----------------------------------------------------------------------------------


def _return_prefetches() -> list[Prefetch]:
    """A return's items (with each order line) and events (with each actor), as `item_list`
    and `event_list`: what the return representation reads."""
    return [
        Prefetch(
            "items",
            queryset=ReturnItem.objects.select_related("order_item").order_by("id"),
            to_attr="item_list",
        ),
        Prefetch(
            "events",
            queryset=ReturnEvent.objects.select_related("actor").order_by("created_at", "id"),
            to_attr="event_list",
        ),
    ]


def _returns_with_details() -> QuerySet[Return]:
    """Returns with their order, items and events: 3 queries however many returns."""
    return Return.objects.select_related("order").prefetch_related(*_return_prefetches())


def returns_for_customer(*, user: User) -> QuerySet[Return]:
    """The caller's returns, newest first (everyone's for platform admins)."""
    returns = _returns_with_details()
    if not user.is_platform_admin:
        returns = returns.filter(customer=user)
    return returns.order_by("-created_at", "-id")


def returns_for_shop(*, shop: Shop) -> QuerySet[Return]:
    """A shop's returns, newest first."""
    return _returns_with_details().filter(shop=shop).order_by("-created_at", "-id")


def return_for_user(*, user: User, return_id: uuid.UUID) -> Return:
    """A return its customer, a member of its shop or an admin may see; 404 for anyone else."""
    returns = _returns_with_details().filter(id=return_id)
    if not user.is_platform_admin:
        returns = returns.filter(Q(customer=user) | Q(shop__in=shops_for_member(user=user)))
    found = returns.first()
    if found is None:
        raise NotFound("Return not found.")
    return found


def return_detail(*, return_id: uuid.UUID) -> Return:
    """One return with everything its representation shows (no scoping: callers scope first)."""
    return _returns_with_details().get(id=return_id)


def order_check_for_customer(*, user: User, order_id: uuid.UUID) -> None:
    """404 unless the order is one of the caller's own (looked up before a body is validated)."""
    if not Order.objects.filter(id=order_id, group__customer=user).exists():
        raise NotFound("Order not found.")


def return_check_for_shop(*, shop: Shop, return_id: uuid.UUID) -> None:
    """404 unless the return is the shop's (looked up before a body is validated)."""
    if not Return.objects.filter(shop=shop, id=return_id).exists():
        raise NotFound("Return not found.")
