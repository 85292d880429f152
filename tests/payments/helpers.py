"""Builders and small helpers shared by the payment tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from devtools.fake_paystack import FakePaystack
from products.inventory import StockChange, stock_apply
from tests import factories

WEBHOOK_URL = "/api/v1/payments/paystack/webhook/"


def make_group(
    *,
    customer=None,
    shops: list | None = None,
    prices: list[Decimal] | None = None,
    quantity: int = 2,
    stock: int = 10,
    payment_method: str = "paystack",
    expires_in: timedelta | None = timedelta(minutes=30),
    delivery_fee: Decimal = Decimal("0.00"),
):
    """An order group as checkout leaves it: one order per shop, one line each, stock taken.

    Returns (group, orders, products).
    """
    customer = customer or factories.UserFactory()
    prices = prices or [Decimal("1500.00")]
    shops = shops or [factories.ShopFactory() for _ in prices]
    group = factories.OrderGroupFactory(
        customer=customer,
        payment_method=payment_method,
        subtotal=Decimal("0.00"),
        total=Decimal("0.00"),
        expires_at=(timezone.now() + expires_in) if expires_in is not None else None,
    )
    orders, products = [], []
    subtotal = Decimal("0.00")
    fees = Decimal("0.00")
    for index, (shop, price) in enumerate(zip(shops, prices, strict=True)):
        product = factories.ProductFactory(shop=shop, price=price, stock=stock)
        line_total = price * quantity
        order = factories.OrderFactory(
            group=group,
            shop=shop,
            number=f"{group.number}-{index + 1}",
            subtotal=line_total,
            delivery_fee=delivery_fee,
            total=line_total + delivery_fee,
        )
        factories.OrderItemFactory(order=order, product=product, quantity=quantity)
        variant = product.variants.get()
        stock_apply(
            changes=[StockChange(variant.id, -quantity)],
            reason="checkout",
            order_ids={variant.id: order.id},
        )
        product.refresh_from_db()
        orders.append(order)
        products.append(product)
        subtotal += line_total
        fees += delivery_fee
    group.subtotal = subtotal
    group.delivery_fee = fees
    group.total = subtotal + fees
    group.save()
    return group, orders, products


def post_event(client, fake: FakePaystack, event: str, data: dict[str, Any], signature=None):
    """POST a Paystack event to our webhook, signed like Paystack does (unless `signature`)."""
    body, good = fake.event_body(event, data)
    return client.generic(
        "POST",
        WEBHOOK_URL,
        body,
        content_type="application/json",
        HTTP_X_PAYSTACK_SIGNATURE=good if signature is None else signature,
    )


def wait_for(predicate: Callable[[], Any], *, timeout: float = 10.0, interval: float = 0.05):
    """Poll `predicate` until it returns something truthy, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)
