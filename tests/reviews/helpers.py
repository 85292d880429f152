"""Verified buyers for the review tests."""

from __future__ import annotations

from orders.models import Order
from tests.factories import OrderFactory, OrderGroupFactory, OrderItemFactory, UserFactory


def bought(product, *, customer=None, status=Order.Status.COMPLETED):
    """A customer (new unless given) with an order of `status` containing `product`."""
    customer = customer or UserFactory()
    group = OrderGroupFactory(customer=customer)
    order = OrderFactory(group=group, shop=product.shop, status=status)
    OrderItemFactory(order=order, product=product)
    return customer


def reviews_url(product) -> str:
    return f"/api/v1/products/{product.id}/reviews/"


def review_url(review_id) -> str:
    return f"/api/v1/reviews/{review_id}/"
