from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from shops.models import RatingFields


class Category(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=120, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # The commission rate of products in this category (null: not set); a shop's own rate
    # comes first, and the highest rate among a product's categories applies.
    commission_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Product(RatingFields):
    """A shop's product. `stock` is the one stock row: changed only by `products.inventory`.
    The rating fields are kept by `reviews.services`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="products")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220)
    description = models.TextField(blank=True)
    price = models.DecimalField(max_digits=12, decimal_places=2)
    stock = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    categories = models.ManyToManyField(Category, blank=True, related_name="products")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The highest commission rate among the product's categories, as checkout reads it (set by
    # `products.inventory.lock_products` and `orders.checkout`).
    category_commission_percent: Decimal | None

    # A page's images and categories as plain rows, set by
    # products.selectors.attach_catalogue_relations for the representation.
    image_list: list[Any]
    category_list: list[Any]

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "name"], name="product_name_per_shop_unique"),
            models.CheckConstraint(condition=models.Q(stock__gte=0), name="product_stock_gte_0"),
            models.CheckConstraint(condition=models.Q(price__gt=0), name="product_price_gt_0"),
        ]
        indexes = [
            models.Index(fields=["is_active", "-created_at"], name="product_active_created"),
            models.Index(fields=["price"], name="product_price"),
            models.Index(fields=["rating_average"], name="product_rating"),
        ]

    def __str__(self) -> str:
        return self.name


class ProductImage(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(upload_to="products/")
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "created_at"]

    def __str__(self) -> str:
        return f"{self.product_id} #{self.position}"


class InventoryMovement(models.Model):
    """One stock change. For every product, the sum of `delta` equals `Product.stock`."""

    class Reason(models.TextChoices):
        INITIAL = "initial"
        MANUAL_ADD = "manual_add"
        MANUAL_REMOVE = "manual_remove"
        MANUAL_SET = "manual_set"
        CHECKOUT = "checkout"
        ORDER_CANCELLED = "order_cancelled"
        PAYMENT_EXPIRED = "payment_expired"
        RETURN = "return"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="movements")
    delta = models.IntegerField()
    reason = models.CharField(max_length=20, choices=Reason.choices)
    stock_after = models.PositiveIntegerField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["product", "-created_at"], name="movement_product_created")]

    def __str__(self) -> str:
        return f"{self.product_id} {self.delta:+d} ({self.reason})"
