"""Checkout: the cart becomes one order group with one order per shop, in one transaction.

Oversell-proof by construction: the cart row is locked (one checkout per cart at a time), then
every product row of the cart in primary-key order (`lock_products`), and availability is checked
on the locked rows only. The number of queries does not depend on the number of lines or shops:
everything is read in bulk and written with one multi-row INSERT a table (`core.db.insert_rows`)
and one `stock_apply` call.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from carts.models import Cart, CartItem
from core.db import delete_where, insert_rows
from core.errors import CartEmpty, Conflict, InsufficientStock, NotFound, ProductUnavailable
from orders.emails import queue_checkout_emails
from orders.models import (
    MAX_ORDER_TOTAL,
    FulfillmentMethod,
    Order,
    OrderEvent,
    OrderGroup,
    OrderItem,
    PaymentMethod,
)
from orders.selectors import group_detail_from_memory
from products.inventory import StockChange, lock_products, stock_apply
from products.models import InventoryMovement
from users.models import Address, User

# No 0/O, 1/I/L: easy to read out over the phone.
NUMBER_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
NUMBER_LENGTH = 8
NUMBER_PREFIX = "MKT-"
_NUMBER_ATTEMPTS = 5
ZERO = Decimal("0.00")


def generate_group_number() -> str:
    return NUMBER_PREFIX + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(NUMBER_LENGTH))


def address_snapshot(address: Address) -> dict[str, Any]:
    return {
        "full_name": address.full_name,
        "phone": address.phone,
        "line1": address.line1,
        "line2": address.line2,
        "city": address.city,
        "state": address.state,
        "postal_code": address.postal_code,
        "country": address.country,
    }


def checkout_create(
    *,
    user: User,
    fulfillment_method: str,
    payment_method: str,
    shipping_address_id: uuid.UUID | None = None,
) -> OrderGroup:
    """Turn the caller's cart into an order group; see the module docstring for the rules.

    The group number is random; in the rare case it is taken, the unique index refuses the
    insert, the whole transaction rolls back, and checkout runs again with a new number.
    """
    for attempt in range(_NUMBER_ATTEMPTS):
        number = generate_group_number()
        try:
            return _checkout(
                user=user,
                number=number,
                fulfillment_method=fulfillment_method,
                payment_method=payment_method,
                shipping_address_id=shipping_address_id,
            )
        except IntegrityError:
            last_attempt = attempt == _NUMBER_ATTEMPTS - 1
            if last_attempt or not OrderGroup.objects.filter(number=number).exists():
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _checkout(
    *,
    user: User,
    number: str,
    fulfillment_method: str,
    payment_method: str,
    shipping_address_id: uuid.UUID | None,
) -> OrderGroup:
    shipping_address = None
    if fulfillment_method == FulfillmentMethod.DELIVERY:
        try:
            address = Address.objects.get(user=user, id=shipping_address_id)
        except Address.DoesNotExist:
            raise NotFound("Address not found.") from None
        shipping_address = address_snapshot(address)

    with transaction.atomic():
        try:
            cart = Cart.objects.select_for_update().get(user=user)
        except Cart.DoesNotExist:
            raise CartEmpty() from None
        lines = list(CartItem.objects.filter(cart=cart).values_list("product_id", "quantity"))
        if not lines:
            raise CartEmpty()

        products = lock_products((product_id for product_id, _ in lines), with_shops=True)
        shops = {product.shop_id: product.shop for product in products.values()}
        unavailable = [
            {"product_id": str(product_id)}
            for product_id, _ in lines
            if product_id not in products
            or not products[product_id].is_active
            or not shops[products[product_id].shop_id].is_active
        ]
        if unavailable:
            raise ProductUnavailable(items=unavailable)
        shortages = [
            {
                "product_id": str(product_id),
                "requested": quantity,
                "available": products[product_id].stock,
            }
            for product_id, quantity in lines
            if quantity > products[product_id].stock
        ]
        if shortages:
            raise InsufficientStock(items=shortages)

        # One order per shop, in the order the shops first appear in the cart.
        lines_by_shop: dict[uuid.UUID, list[tuple[uuid.UUID, int]]] = {}
        for product_id, quantity in lines:
            lines_by_shop.setdefault(products[product_id].shop_id, []).append(
                (product_id, quantity)
            )

        now = timezone.now()
        delivery = fulfillment_method == FulfillmentMethod.DELIVERY
        group = OrderGroup(
            id=uuid.uuid4(),
            number=number,
            customer=user,
            customer_name=user.full_name,
            customer_email=user.email or "",
            shipping_address=shipping_address,
            payment_method=payment_method,
            fulfillment_method=fulfillment_method,
            currency=settings.CURRENCY,
            expires_at=(
                now + timedelta(minutes=settings.PAYMENT_TIMEOUT_MINUTES)
                if payment_method == PaymentMethod.PAYSTACK
                else None
            ),
        )
        orders: list[Order] = []
        items: list[OrderItem] = []
        items_by_order: dict[uuid.UUID, list[OrderItem]] = {}
        order_of_product: dict[uuid.UUID, uuid.UUID] = {}
        for position, (shop_id, shop_lines) in enumerate(lines_by_shop.items(), start=1):
            shop = shops[shop_id]
            order = Order(id=uuid.uuid4(), group=group, shop=shop)
            order_items = []
            for product_id, quantity in shop_lines:
                product = products[product_id]
                order_items.append(
                    OrderItem(
                        order=order,
                        product=product,
                        product_name=product.name,
                        unit_price=product.price,
                        quantity=quantity,
                        line_total=product.price * quantity,
                    )
                )
                order_of_product[product_id] = order.id
            order.position = position
            order.subtotal = sum((item.line_total for item in order_items), ZERO)
            order.delivery_fee = shop.delivery_fee if delivery else ZERO
            order.total = order.subtotal + order.delivery_fee
            orders.append(order)
            items.extend(order_items)
            items_by_order[order.id] = order_items
        group.subtotal = sum((o.subtotal for o in orders), ZERO)
        group.delivery_fee = sum((o.delivery_fee for o in orders), ZERO)
        group.total = group.subtotal + group.delivery_fee
        if group.total > MAX_ORDER_TOTAL:
            raise Conflict(f"The order total may not exceed {MAX_ORDER_TOTAL}.")

        for order in orders:
            order.number = f"{group.number}-{order.position}"
        placed = Order.Status.PENDING
        events = [
            OrderEvent(order=o, status=placed, note="Order placed.", actor=user) for o in orders
        ]
        for rows in ([group], orders, items, events):
            insert_rows(rows)
        stock_apply(
            changes=[StockChange(product_id, -quantity) for product_id, quantity in lines],
            reason=InventoryMovement.Reason.CHECKOUT,
            actor=user,
            order_ids=order_of_product,
            note=group.number,
            locked=products,
            low_stock_thresholds={shop.id: shop.low_stock_threshold for shop in shops.values()},
        )
        delete_where(CartItem, cart=cart.id)
        queue_checkout_emails(group=group, orders=orders, items=items_by_order)
    # The answer shows what was just written: no need to read it back.
    return group_detail_from_memory(group=group, orders=orders, items=items, events=events)
