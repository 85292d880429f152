from __future__ import annotations

import secrets
import string
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower

CODE_ALPHABET = string.ascii_uppercase + string.digits
CODE_LENGTH = 8


def generate_shop_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class ShopStatus(models.TextChoices):
    """Where a shop stands with the platform (§15). Only an approved, active shop is public."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


class RatingFields(models.Model):
    """The review summary of a product or a shop, kept by `reviews.services` under the row's
    lock: the number of visible reviews, the sum of their ratings, and the average shown."""

    rating_count = models.PositiveIntegerField(default=0)
    rating_total = models.PositiveIntegerField(default=0)
    rating_average = models.DecimalField(max_digits=2, decimal_places=1, null=True, blank=True)

    class Meta:
        abstract = True


class Shop(RatingFields):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="shops_owned"
    )
    # `unique` is case-insensitive on MariaDB (ci collation); the Lower() constraint makes it so
    # on PostgreSQL and SQLite (MariaDB has no expression indexes and skips it).
    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    logo = models.ImageField(upload_to="shops/logos/", null=True, blank=True)
    delivery_fee = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("0.00"), validators=[MinValueValidator(0)]
    )
    low_stock_threshold = models.PositiveIntegerField(default=5)
    paystack_subaccount_code = models.CharField(max_length=64, blank=True)
    # Settlement (set by admins only): the shop's commission rate, overriding its categories'
    # and the platform's (null: not set), and whether its payouts are held back.
    commission_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    payouts_paused = models.BooleanField(default=False)
    code = models.CharField(max_length=CODE_LENGTH, unique=True, default=generate_shop_code)
    is_active = models.BooleanField(default=True)
    # Existing shops (and every new one while SHOP_APPROVAL_REQUIRED is off) are approved.
    status = models.CharField(
        max_length=12, choices=ShopStatus.choices, default=ShopStatus.APPROVED, db_index=True
    )
    status_note = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="shop_name_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(delivery_fee__gte=0), name="shop_delivery_fee_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        """Listed, and its active products in the catalogue and for sale."""
        return self.is_active and self.status == ShopStatus.APPROVED


def public_shop_q(prefix: str = "") -> models.Q:
    """The condition `Shop.is_public` as a filter; `prefix` is the path to the shop
    (`"shop__"` from a product)."""
    return models.Q(**{f"{prefix}is_active": True, f"{prefix}status": ShopStatus.APPROVED})


class ShopStatusEvent(models.Model):
    """One move of a shop's status by an admin (the owner is e-mailed once per event)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="status_events")
    from_status = models.CharField(max_length=12, choices=ShopStatus.choices)
    to_status = models.CharField(max_length=12, choices=ShopStatus.choices)
    note = models.CharField(max_length=1000, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.shop_id}: {self.from_status} -> {self.to_status}"


MAX_DELIVERY_DAYS = 365
EVERYWHERE = "*"


class DeliveryZone(models.Model):
    """Where a shop delivers, for how much and how soon: states of one country (ISO 3166-2
    codes), or `["*"]` for the rest of the country. The rule that picks a shop's zone for an
    address is `shops.delivery.delivery_quote`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="delivery_zones")
    name = models.CharField(max_length=80)
    country = models.CharField(max_length=2, default="NG")
    states = models.JSONField(default=list)
    fee = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    # The shop's subtotal from which delivery to this zone is free; never free when null.
    free_over = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    days_min = models.PositiveSmallIntegerField()
    days_max = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "name"], name="delivery_zone_shop_name_unique"),
            models.CheckConstraint(
                condition=models.Q(fee__gte=0), name="delivery_zone_fee_non_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(free_over__isnull=True) | models.Q(free_over__gte=0),
                name="delivery_zone_free_over_non_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(days_min__lte=models.F("days_max")),
                name="delivery_zone_days_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shop_id}: {self.name}"
