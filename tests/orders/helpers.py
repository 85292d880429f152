"""Shared helpers of the order tests."""

from __future__ import annotations

from carts.models import Cart
from tests.factories import CartFactory, CartItemFactory


def fill_cart(user, lines):
    """Put `[(product, quantity), ...]` in the user's cart, in that order."""
    cart = Cart.objects.filter(user=user).first() or CartFactory(user=user)
    for product, quantity in lines:
        CartItemFactory(cart=cart, product=product, quantity=quantity)
    return cart


def checkout(client, *, address=None, fulfillment="delivery", payment="paystack", **extra):
    body = {"fulfillment_method": fulfillment, "payment_method": payment}
    if address is not None:
        body["shipping_address_id"] = str(address.id)
    body.update(extra)
    headers = {}
    key = body.pop("idempotency_key", None)
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post("/api/v1/checkout/", body, format="json", **headers)


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["status"] == "error"
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    return body


def place_order(user, lines, *, fulfillment="delivery", payment="paystack"):
    """Check out `lines` for `user` through the service; returns the order group."""
    from orders.checkout import checkout_create
    from tests.factories import AddressFactory

    fill_cart(user, lines)
    address = AddressFactory(user=user) if fulfillment == "delivery" else None
    return checkout_create(
        user=user,
        fulfillment_method=fulfillment,
        payment_method=payment,
        shipping_address_id=address.id if address else None,
    )
