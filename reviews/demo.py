"""Demo reviews for `python manage.py seed_demo` (runs after the orders): two shop owners buy
from each other's shops, their orders are completed, and they review what they received, all
through the real services, so every review is a verified purchase."""

from __future__ import annotations

from typing import Any

from carts.services import cart_clear, cart_item_add
from orders.checkout import checkout_create
from orders.services import order_status_change
from products.models import Product
from reviews.models import Review
from reviews.services import review_create, review_reply
from users.models import User

# buyer -> [(shop, product, rating, title, body)]
PURCHASES: dict[str, list[tuple[str, str, int, str, str]]] = {
    "ada@example.com": [
        (
            "Bola Books",
            "Half of a Yellow Sun",
            5,
            "A book everyone should read",
            "Arrived in perfect condition, well wrapped. Collected at the shop in minutes.",
        ),
        ("Bola Books", "Dear Ijeawele", 4, "Short and wise", "A lovely gift for my sister."),
    ],
    "bola@example.com": [
        (
            "Ada's Fabrics",
            "Gele head-tie",
            5,
            "Beautiful colours",
            "Stiff enough to tie well, and the colour is exactly as in the picture.",
        ),
        (
            "Lagos Gadgets",
            "USB-C fast charger",
            3,
            "Does the job",
            "Charges quickly, but the cable is shorter than I hoped.",
        ),
        ("Bola Books", "Half of a Yellow Sun", 4, "", "Re-read it for our book club."),
    ],
}
# (buyer, product) -> the shop's reply
REPLIES = {
    ("bola@example.com", "USB-C fast charger"): "Thank you! Longer cables are in stock now.",
}


def _product(shop_name: str, name: str) -> Product | None:
    return (
        Product.objects.select_related("shop__owner")
        .filter(shop__name=shop_name, name=name, is_active=True)
        .first()
    )


def seed_demo(stdout: Any) -> None:
    if Review.objects.exists():
        return
    for email, purchases in PURCHASES.items():
        buyer = User.objects.filter(email=email).first()
        products = [(_product(shop, name), *rest) for shop, name, *rest in purchases]
        if buyer is None or any(p is None or p.stock < 1 for p, *_ in products):
            continue
        cart_clear(user=buyer)
        for product, *_ in products:
            cart_item_add(user=buyer, product_id=product.id, quantity=1)
        group = checkout_create(user=buyer, fulfillment_method="pickup", payment_method="cash")
        for order in group.orders.select_related("shop__owner"):
            for status, collected in (("processing", None), ("completed", True)):
                order_status_change(
                    shop=order.shop,
                    order_id=order.id,
                    actor=order.shop.owner,
                    status=status,
                    cash_collected=collected,
                )
        for product, rating, title, body in products:
            review = review_create(
                user=buyer, product=product, rating=rating, title=title, body=body
            )
            reply = REPLIES.get((email, product.name))
            if reply:
                review_reply(user=product.shop.owner, review_id=review.id, body=reply)
        stdout.write(f"  {len(products)} verified reviews by {email}")
