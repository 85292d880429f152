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


MAX_OPTIONS = 3
MAX_CATEGORIES_PER_PRODUCT = 20
ACTIVE = models.Q(is_active=True)


class Product(RatingFields):
    """A shop's product: what is sold is one of its variants (`ProductVariant`), one per
    combination of its options' values; a product without options has one default variant.

    Price and stock live on the variants only (`price` and `stock` below sum them up). The
    rating fields are kept by `reviews.services`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="products")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220)
    description = models.TextField(blank=True)
    # [{"name": "Size", "values": ["S", "M"]}, ...]: at most MAX_OPTIONS, in display order.
    options = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    categories = models.ManyToManyField(Category, blank=True, related_name="products")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The lowest and highest price of the active variants (null when none is active), stored for
    # ordering the catalogue by price; kept by `products.variants.product_prices_refresh`,
    # which every write of a variant's price or active flag calls.
    price_min = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, editable=False
    )
    price_max = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, editable=False
    )

    # The highest commission rate among the product's categories, as checkout reads it (set by
    # `products.inventory.lock_variants` and `orders.checkout`).
    category_commission_percent: Decimal | None

    # A page's images, categories and variants as plain rows, set by
    # products.selectors.attach_catalogue_relations for the representation.
    image_list: list[Any]
    category_list: list[Any]
    variant_list: list[Any]
    price_low: Decimal | None
    price_high: Decimal | None
    stock_total: int

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "name"], name="product_name_per_shop_unique"),
        ]
        # Each catalogue list's filter and order (`products.filters`): the public list reads
        # active products only (partial indexes), a shop's catalogue starts from its shop.
        indexes = [
            models.Index(
                fields=["-created_at", "-id"], name="product_active_created_id", condition=ACTIVE
            ),
            # With `is_active` last, a deep page of the catalogue finds its ids from the index
            # alone (`core.pagination.CountLimitedPaginator.page`).
            models.Index(
                fields=["shop", "-created_at", "-id", "is_active"],
                name="product_shop_created_active",
            ),
            # An active product's shop from the index alone: the public list's check of each
            # product a category link or a variant condition leads to (`?category=`,
            # `?min_price=`, ...), which its count repeats for up to 10,000 products.
            models.Index(fields=["id", "shop"], name="product_active_id_shop", condition=ACTIVE),
            models.Index(fields=["name", "id"], name="product_active_name", condition=ACTIVE),
            models.Index(fields=["price_min", "id"], name="product_active_price", condition=ACTIVE),
            # `?ordering=rating` and `-rating` are served on PostgreSQL by two indexes with
            # NULLS LAST/FIRST (migration 0010 builds them there; 0019 keeps them out of the
            # models' state, so that SQLite, which cannot hold them, never rebuilds them).
        ]

    def __str__(self) -> str:
        return self.name

    # One query each; the catalogue reads the variants attached by
    # `products.selectors.attach_catalogue_relations` instead.
    @property
    def stock(self) -> int:
        """Units on sale: the stock of the active variants added up."""
        total = self.variants.filter(is_active=True).aggregate(total=models.Sum("stock"))
        return total["total"] or 0

    @property
    def price(self) -> Decimal | None:
        """The lowest price of the active variants (None when none is active)."""
        return self.variants.filter(is_active=True).aggregate(low=models.Min("price"))["low"]


def options_key(options: dict[str, str]) -> str:
    """A variant's options as one string (sorted by name), unique per product."""
    return "\n".join(f"{name}={value}" for name, value in sorted(options.items()))


class ProductVariant(models.Model):
    """What a customer buys: one combination of the product's option values, with its own SKU,
    price and stock. `stock` is changed only by `products.inventory` (with its ledger)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    # The product's shop, copied here for the per-shop SKU constraint.
    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="+")
    sku = models.CharField(max_length=64)
    sku_key = models.CharField(max_length=64, editable=False)  # `sku` lower-cased
    # {"Size": "M", "Colour": "Red"}; {} for the default variant of a product without options.
    options = models.JSONField(default=dict, blank=True)
    # Up to MAX_OPTIONS "name=value" pairs (names up to 50, values up to 100 characters).
    options_key = models.CharField(max_length=500, editable=False, default="")
    price = models.DecimalField(max_digits=12, decimal_places=2)
    stock = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Its product's, read with the lock (`products.inventory.lock_variants`, PostgreSQL).
    category_commission_percent: Decimal | None

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "sku_key"], name="variant_sku_per_shop_unique"),
            models.UniqueConstraint(
                fields=["product", "options_key"], name="variant_options_per_product_unique"
            ),
            models.CheckConstraint(condition=models.Q(stock__gte=0), name="variant_stock_gte_0"),
            models.CheckConstraint(condition=models.Q(price__gt=0), name="variant_price_gt_0"),
        ]
        # The catalogue's variant conditions (`products.selectors.variants_matching`), with the
        # options beside them on PostgreSQL (`INCLUDE`), so that `?option=` reads the index
        # alone. No index holds `stock` or `updated_at`, which every checkout writes: its
        # updates stay HOT (PostgreSQL, with the table's fillfactor of 80).
        indexes = [
            models.Index(
                fields=["product", "is_active", "price"],
                include=["options"],
                name="variant_product_filters",
            ),
            # A search by SKU in every shop (the unique constraint starts with the shop).
            models.Index(fields=["sku_key"], name="variant_sku_key"),
        ]

    def __str__(self) -> str:
        return self.sku

    def label(self, product: Product) -> str:
        """`Size: M, Colour: Red`, in the order of the product's options (empty for a default
        variant). The stored options' order is the database's (PostgreSQL sorts JSON keys)."""
        names = [option["name"] for option in product.options]
        return ", ".join(f"{name}: {self.options[name]}" for name in names if name in self.options)


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
    """One stock change of a variant. For every variant, the sum of `delta` equals its `stock`.
    `product` is the variant's, kept for the product's history."""

    class Reason(models.TextChoices):
        INITIAL = "initial"
        MANUAL_ADD = "manual_add"
        MANUAL_REMOVE = "manual_remove"
        MANUAL_SET = "manual_set"
        CHECKOUT = "checkout"
        ORDER_CANCELLED = "order_cancelled"
        PAYMENT_EXPIRED = "payment_expired"
        RETURN = "return"
        IMPORT = "import"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="movements")
    variant = models.ForeignKey(ProductVariant, on_delete=models.CASCADE, related_name="movements")
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
        indexes = [
            models.Index(fields=["product", "-created_at"], name="movement_product_created"),
            models.Index(fields=["variant", "-created_at"], name="movement_variant_created"),
            # The admin's changelist, newest first (the table only grows: rows are never
            # updated).
            models.Index(fields=["-created_at", "-id"], name="movement_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} {self.delta:+d} ({self.reason})"
