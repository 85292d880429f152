"""Demo orders for `python manage.py seed_demo` (runs after the catalogue): the demo customer
gets two order groups, through the real services, and an empty cart to start the walkthrough
with."""

from __future__ import annotations

from typing import Any

from carts.services import cart_clear, cart_item_add
from orders.checkout import checkout_create
from orders.models import OrderGroup
from orders.services import order_status_change
from products.models import Product
from users.models import User

CUSTOMER_EMAIL = "chidi@example.com"


def _product(shop_name: str, name: str) -> Product | None:
    return Product.objects.filter(shop__name=shop_name, name=name, is_active=True).first()


def _fill(user: User, lines: list[tuple[Product | None, int]]) -> bool:
    cart_clear(user=user)
    for product, quantity in lines:
        if product is None or product.stock < quantity:
            return False
        cart_item_add(user=user, product_id=product.id, quantity=quantity)
    return True


def seed_demo(stdout: Any) -> None:
    customer = User.objects.filter(email=CUSTOMER_EMAIL).first()
    if customer is None or OrderGroup.objects.filter(customer=customer).exists():
        return
    address = customer.addresses.order_by("-is_default", "-created_at").first()

    # Delivery, cash on delivery, two shops; Ada's shop is already preparing its part.
    fabric = _product("Ada's Fabrics", "Ankara print, 6 yards")
    book = _product("Bola Books", "Things Fall Apart")
    if address is not None and _fill(customer, [(fabric, 2), (book, 1)]):
        group = checkout_create(
            user=customer,
            fulfillment_method="delivery",
            payment_method="cash",
            shipping_address_id=address.id,
        )
        order = group.orders.select_related("shop__owner").get(shop=fabric.shop)
        order_status_change(
            shop=order.shop,
            order_id=order.id,
            actor=order.shop.owner,
            status="processing",
            note="Cutting the fabric.",
        )
        stdout.write(f"  order group {group.number} (delivery, cash) for {CUSTOMER_EMAIL}")

    # Pickup, to be paid with Paystack (expires after PAYMENT_TIMEOUT_MINUTES if unpaid).
    charger = _product("Lagos Gadgets", "USB-C fast charger")
    if _fill(customer, [(charger, 1)]):
        group = checkout_create(
            user=customer, fulfillment_method="pickup", payment_method="paystack"
        )
        stdout.write(
            f"  order group {group.number} (pickup, Paystack, unpaid) for {CUSTOMER_EMAIL}"
        )

    # The README's walkthrough starts from an empty cart.
    cart_clear(user=customer)
