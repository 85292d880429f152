from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

MAX_CART_LINES = 100
MAX_LINE_QUANTITY = 1000


class Cart(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cart"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"cart of {self.user_id}"


class CartItem(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey("products.Product", on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "product"], name="cart_item_product_unique"),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1, quantity__lte=MAX_LINE_QUANTITY),
                name="cart_item_quantity_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_id}"


MAX_WISHLIST_ITEMS = 500


class WishlistItem(models.Model):
    """A product an account saved for later. Shops never see who saved their products."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wishlist_items"
    )
    product = models.ForeignKey("products.Product", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "product"], name="wishlist_product_unique")
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="wishlist_user_created")]

    def __str__(self) -> str:
        return f"{self.product_id} saved by {self.user_id}"
