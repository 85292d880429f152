"""Writes on the cart. Nothing is clamped: a request the stock cannot honour is refused.

Every change locks the cart row first, so two requests on the same cart (two tabs) apply one
after the other and the line limits hold. Stock is only read here; it is reserved at checkout.
Limits: `quantity` above `MAX_LINE_QUANTITY` in a request is a `400 validation_error` (the
serializer); a merge that would pass it, or a 101st line, is a `409 conflict`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction
from django.utils import timezone

from carts.models import (
    MAX_CART_LINES,
    MAX_LINE_QUANTITY,
    MAX_WISHLIST_ITEMS,
    Cart,
    CartItem,
    WishlistItem,
)
from core.errors import Conflict, InsufficientStock, NotFound, ProductUnavailable, raises
from products.models import Product
from products.selectors import products_public
from users.models import User


def cart_get_or_create(*, user: User) -> Cart:
    """The account's cart, created on first use (safe when two requests race to create it)."""
    cart, _ = Cart.objects.get_or_create(user=user)
    return cart


@contextmanager
def _cart_transaction(user: User) -> Iterator[Cart]:
    """A transaction holding the account's cart row lock.

    A missing cart is created first, in a transaction of its own: on MariaDB a transaction that
    lost the insert race keeps a shared lock on the winner's row, and two of them then asking
    for the row lock would deadlock each other.
    """
    cart = cart_get_or_create(user=user)
    with transaction.atomic():
        yield Cart.objects.select_for_update().get(id=cart.id)


def _check_can_hold(product: Product, quantity: int) -> None:
    if not product.is_active or not product.shop.is_public:
        raise ProductUnavailable(items=[{"product_id": str(product.id)}])
    if quantity > MAX_LINE_QUANTITY:
        raise Conflict(f"A cart line holds at most {MAX_LINE_QUANTITY} units.")
    if quantity > product.stock:
        raise InsufficientStock(
            items=[
                {"product_id": str(product.id), "requested": quantity, "available": product.stock}
            ]
        )


def _touch(cart: Cart) -> None:
    Cart.objects.filter(id=cart.id).update(updated_at=timezone.now())


@raises(NotFound, ProductUnavailable, InsufficientStock, Conflict)
def cart_item_add(*, user: User, product_id: uuid.UUID, quantity: int) -> Cart:
    """Add `quantity` of a product; merges with the line already holding that product."""
    with _cart_transaction(user) as cart:
        product = Product.objects.select_related("shop").filter(id=product_id).first()
        if product is None:
            raise NotFound("Product not found.")
        item = CartItem.objects.filter(cart=cart, product=product).first()
        if item is None and CartItem.objects.filter(cart=cart).count() >= MAX_CART_LINES:
            raise Conflict(f"A cart holds at most {MAX_CART_LINES} lines.")
        new_quantity = (item.quantity if item else 0) + quantity
        _check_can_hold(product, new_quantity)
        if item is None:
            CartItem.objects.create(cart=cart, product=product, quantity=new_quantity)
        else:
            item.quantity = new_quantity
            item.save(update_fields=["quantity"])
        _touch(cart)
    return cart


@raises(ProductUnavailable, InsufficientStock, Conflict)
def cart_item_update(*, user: User, item_id: uuid.UUID, quantity: int) -> Cart:
    """Set a line's quantity; 0 removes the line."""
    with _cart_transaction(user) as cart:
        item = (
            CartItem.objects.select_related("product__shop").filter(cart=cart, id=item_id).first()
        )
        if item is None:
            raise NotFound("Cart item not found.")
        if quantity == 0:
            item.delete()
        else:
            _check_can_hold(item.product, quantity)
            item.quantity = quantity
            item.save(update_fields=["quantity"])
        _touch(cart)
    return cart


def cart_item_delete(*, user: User, item_id: uuid.UUID) -> None:
    with _cart_transaction(user) as cart:
        deleted, _ = CartItem.objects.filter(cart=cart, id=item_id).delete()
        if not deleted:
            raise NotFound("Cart item not found.")
        _touch(cart)


def cart_clear(*, user: User) -> None:
    with _cart_transaction(user) as cart:
        CartItem.objects.filter(cart=cart).delete()
        _touch(cart)


def cart_delete_for_user(*, user: User) -> None:
    """The account is being closed: its cart and wishlist go with its personal data."""
    Cart.objects.filter(user=user).delete()
    WishlistItem.objects.filter(user=user).delete()


# --- Wishlist ---------------------------------------------------------------------------------


@raises(NotFound, Conflict)
def wishlist_add(*, user: User, product_id: uuid.UUID) -> bool:
    """Save a public product to the account's wishlist; True when it was added, False when it
    was there already (a no-op). The account's row is locked while the limit is checked, so
    two requests at once cannot pass `MAX_WISHLIST_ITEMS` together."""
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk").first()
        if not products_public().filter(id=product_id).exists():
            raise NotFound("Product not found.")
        if WishlistItem.objects.filter(user=user, product_id=product_id).exists():
            return False
        if WishlistItem.objects.filter(user=user).count() >= MAX_WISHLIST_ITEMS:
            raise Conflict(f"A wishlist holds at most {MAX_WISHLIST_ITEMS} products.")
        WishlistItem.objects.create(user=user, product_id=product_id)
    return True


@raises(NotFound)
def wishlist_remove(*, user: User, product_id: uuid.UUID) -> None:
    """Take a product off the account's wishlist; 404 when it is not on it."""
    if not WishlistItem.objects.filter(user=user, product_id=product_id).delete()[0]:
        raise NotFound("Product not found in your wishlist.")
