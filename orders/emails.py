"""The order e-mails, queued after the surrounding transaction commits.

Each message has a stable key, so a retried task or a repeated call never sends it twice.
Contexts hold strings only (they travel through Celery as JSON).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Prefetch, Q
from django.utils import timezone

from core.emails import CLAIM_STALE_AFTER, queue_email, queue_emails
from core.models import SentEmail
from orders.models import Order, OrderGroup, OrderItem, Return
from shops.models import Shop

# Checkout e-mails not on record this long after the order was placed are queued again (their
# task was lost with the broker, or failed for good), up to this age.
CHECKOUT_EMAILS_GRACE = timedelta(minutes=10)
CHECKOUT_EMAILS_HORIZON = timedelta(hours=6)


def _digest(values: Iterable[str]) -> str:
    return hashlib.sha256(",".join(sorted(values)).encode()).hexdigest()[:24]


def _money(amount: Decimal, currency: str) -> str:
    return f"{currency} {amount:,.2f}"


def _item_name(item: OrderItem) -> str:
    """The product's name, with the variant's options when it has some."""
    options = ", ".join(f"{name}: {value}" for name, value in (item.options or {}).items())
    return f"{item.product_name} ({options})" if options else item.product_name


def _items(items: Sequence[OrderItem], currency: str) -> list[dict[str, str]]:
    return [
        {
            "name": _item_name(item),
            "quantity": str(item.quantity),
            "line_total": _money(item.line_total, currency),
        }
        for item in items
    ]


def queue_checkout_emails(
    *, group: OrderGroup, orders: Sequence[Order], items: dict[object, list[OrderItem]]
) -> None:
    """Confirmation to the customer and a new-order notice to each shop owner, in one task.

    `items` maps an order id to its items; shops come from `order.shop` (with `owner`).
    """
    currency = group.currency
    messages: list[dict[str, object]] = []
    if group.customer_email:
        messages.append(
            dict(
                to=group.customer_email,
                subject=f"Order {group.number} confirmed",
                template="order_confirmation",
                context={
                    "customer_name": group.customer_name,
                    "number": group.number,
                    "group_id": str(group.id),
                    "payment_method": group.payment_method,
                    "fulfillment_method": group.fulfillment_method,
                    "total": _money(group.total, currency),
                    "orders": [
                        {
                            "number": order.number,
                            "shop_name": order.shop.name,
                            "total": _money(order.total, currency),
                            "items": _items(items.get(order.id, []), currency),
                        }
                        for order in orders
                    ],
                    "expires_at": (
                        group.expires_at.strftime("%Y-%m-%d %H:%M UTC") if group.expires_at else ""
                    ),
                },
                key=f"order-confirmation:{group.id}",
            )
        )
    for order in orders:
        owner_email = order.shop.owner.email
        if not owner_email:
            continue
        messages.append(
            dict(
                to=owner_email,
                subject=f"New order {order.number}",
                template="order_new",
                context={
                    "shop_name": order.shop.name,
                    "shop_id": str(order.shop_id),
                    "order_id": str(order.id),
                    "number": order.number,
                    "payment_method": group.payment_method,
                    "fulfillment_method": group.fulfillment_method,
                    "total": _money(order.total, currency),
                    "items": _items(items.get(order.id, []), currency),
                },
                key=f"order-new:{order.id}",
            )
        )
    queue_emails(messages)


def checkout_emails_requeue_missing(*, now: datetime | None = None, limit: int = 200) -> int:
    """Queue again the checkout e-mails of recent order groups with one of them neither sent nor
    being sent (never claimed, or its claim abandoned); each key is still sent once. Returns how
    many groups."""
    now = now or timezone.now()
    rows = Order.objects.filter(
        group__created_at__lte=now - CHECKOUT_EMAILS_GRACE,
        group__created_at__gt=now - CHECKOUT_EMAILS_HORIZON,
    ).values_list("group_id", "id", "group__customer_email", "shop__owner__email")
    expected: dict[object, set[str]] = {}
    for group_id, order_id, customer_email, owner_email in rows:
        keys = expected.setdefault(group_id, set())
        if customer_email:
            keys.add(f"order-confirmation:{group_id}")
        if owner_email:
            keys.add(f"order-new:{order_id}")
    wanted = set().union(*expected.values()) if expected else set()
    # Sent, or being sent (a claim abandoned by a dead worker is taken over when sent again).
    on_record = set(
        SentEmail.objects.filter(key__in=wanted)
        .filter(Q(sent_at__isnull=False) | Q(claimed_at__gt=now - CLAIM_STALE_AFTER))
        .values_list("key", flat=True)
    )
    missing = [group_id for group_id, keys in expected.items() if keys - on_record][:limit]
    groups = OrderGroup.objects.filter(id__in=missing).prefetch_related(
        Prefetch(
            "orders",
            queryset=Order.objects.select_related("shop__owner").prefetch_related("items"),
        )
    )
    for group in groups:
        orders = list(group.orders.all())
        items = {order.id: list(order.items.all()) for order in orders}
        queue_checkout_emails(group=group, orders=orders, items=items)
    return len(missing)


def queue_payment_received_email(*, group: OrderGroup) -> None:
    if not group.customer_email:
        return
    queue_email(
        to=group.customer_email,
        subject=f"Payment received for order {group.number}",
        template="order_payment_received",
        context={
            "customer_name": group.customer_name,
            "number": group.number,
            "group_id": str(group.id),
            "total": _money(group.total, group.currency),
        },
        key=f"order-paid:{group.id}",
    )


def queue_shipped_email(*, group: OrderGroup, order: Order, shop_name: str) -> None:
    if not group.customer_email:
        return
    estimate = order.estimated_delivery_date
    queue_email(
        to=group.customer_email,
        subject=f"Order {order.number} has shipped",
        template="order_shipped",
        context={
            "customer_name": group.customer_name,
            "number": order.number,
            "group_id": str(group.id),
            "shop_name": shop_name,
            "estimated_delivery_date": estimate.isoformat() if estimate else "",
        },
        key=f"order-shipped:{order.id}",
    )


def queue_cancelled_email(
    *,
    group: OrderGroup,
    orders: Sequence[Order],
    shop_names: Mapping[uuid.UUID, str],
    refund_started: bool,
    expired: bool = False,
) -> None:
    """One message per cancelling event; keyed by the orders it cancelled."""
    if not group.customer_email or not orders:
        return
    whole_group = group.status == OrderGroup.Status.CANCELLED
    refunded_total = sum((o.total for o in orders if o.is_paid), Decimal("0"))
    queue_email(
        to=group.customer_email,
        subject=(
            f"Order {group.number} expired"
            if expired
            else f"Order {group.number if whole_group else orders[0].number} cancelled"
        ),
        template="order_payment_expired" if expired else "order_cancelled",
        context={
            "customer_name": group.customer_name,
            "number": group.number,
            "group_id": str(group.id),
            "whole_group": whole_group,
            "orders": [
                {"number": o.number, "shop_name": shop_names.get(o.shop_id, "")} for o in orders
            ],
            "refund_started": refund_started,
            "refund_amount": _money(refunded_total, group.currency),
            "reason": group.cancel_reason,
        },
        key=f"order-cancelled:{group.id}:{_digest(str(o.id) for o in orders)}",
    )


_RETURN_NEWS = {
    "requested": "We have your request and passed it to {shop}.",
    "approved": "{shop} approved it: send the items back as {shop} tells you.",
    "rejected": "{shop} declined it.",
    "received": "{shop} received the items back.",
    "refunded": "{shop} refunded {amount}. It reaches you within a few working days.",
}


def queue_return_requested_email(
    *, ret: Return, group: OrderGroup, order: Order, shop: Shop
) -> None:
    """The new return request, to the shop's owner."""
    owner_email = shop.owner.email
    if not owner_email:
        return
    queue_email(
        to=owner_email,
        subject=f"Return requested for order {order.number}",
        template="return_requested",
        context={
            "shop_name": shop.name,
            "shop_id": str(shop.id),
            "return_id": str(ret.id),
            "number": order.number,
            "reason": ret.get_reason_display(),
            "note": ret.note,
            "amount": _money(ret.amount, group.currency),
        },
        key=f"return-requested:{ret.id}",
    )


def queue_return_update_email(
    *, ret: Return, group: OrderGroup, order: Order, shop_name: str
) -> None:
    """Where the customer's return stands, at each step (one message a step)."""
    if not group.customer_email:
        return
    news = _RETURN_NEWS[ret.status].format(
        shop=shop_name, amount=_money(ret.amount, group.currency)
    )
    queue_email(
        to=group.customer_email,
        subject=f"Your return for order {order.number}: {ret.status}",
        template="return_update",
        context={
            "customer_name": group.customer_name,
            "number": order.number,
            "return_id": str(ret.id),
            "status": ret.status,
            "news": news,
        },
        key=f"return:{ret.id}:{ret.status}",
    )


def queue_order_refunded_email(
    *,
    group: OrderGroup,
    order: Order,
    shop_name: str,
    due_id: uuid.UUID,
    amount: Decimal,
    reason: str,
) -> None:
    """A partial refund without a return, to the customer."""
    if not group.customer_email:
        return
    queue_email(
        to=group.customer_email,
        subject=f"Refund for order {order.number}",
        template="order_refunded",
        context={
            "customer_name": group.customer_name,
            "number": order.number,
            "group_id": str(group.id),
            "shop_name": shop_name,
            "amount": _money(amount, group.currency),
            "reason": reason,
        },
        key=f"order-refund:{due_id}",
    )
