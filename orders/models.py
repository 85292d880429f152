from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models

MONEY = {"max_digits": 12, "decimal_places": 2, "default": Decimal("0.00")}
# The largest amount the money columns hold: no order group may total more.
MAX_ORDER_TOTAL = Decimal("9999999999.99")


class FulfillmentMethod(models.TextChoices):
    DELIVERY = "delivery"
    PICKUP = "pickup"


class PaymentMethod(models.TextChoices):
    PAYSTACK = "paystack"
    CASH = "cash"


class OrderGroup(models.Model):
    """One checkout: the customer's view, split into one `Order` per shop."""

    class Status(models.TextChoices):
        PENDING = "pending"
        PROCESSING = "processing"
        PARTIALLY_FULFILLED = "partially_fulfilled"
        FULFILLED = "fulfilled"
        FULFILLED_WITH_CANCELLATIONS = "fulfilled_with_cancellations"
        CANCELLED = "cancelled"

    class PaymentStatus(models.TextChoices):
        UNPAID = "unpaid"
        PAID = "paid"
        PARTIALLY_REFUNDED = "partially_refunded"
        REFUNDED = "refunded"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.CharField(max_length=20, unique=True)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="order_groups"
    )
    # Snapshots: the order keeps who bought and where it goes even if the account is erased.
    customer_name = models.CharField(max_length=301, blank=True)
    customer_email = models.EmailField(blank=True)
    shipping_address = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.PENDING)
    payment_method = models.CharField(max_length=16, choices=PaymentMethod.choices)
    payment_status = models.CharField(
        max_length=24, choices=PaymentStatus.choices, default=PaymentStatus.UNPAID
    )
    fulfillment_method = models.CharField(max_length=16, choices=FulfillmentMethod.choices)
    currency = models.CharField(max_length=3)
    subtotal = models.DecimalField(**MONEY)
    delivery_fee = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    expires_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # A customer's groups, newest first (`orders.selectors.groups_for_customer`), and
            # the same filtered by status.
            models.Index(fields=["customer", "-created_at", "-id"], name="group_customer_recent"),
            models.Index(
                fields=["customer", "status", "-created_at", "-id"], name="group_customer_status"
            ),
            models.Index(fields=["payment_status", "expires_at"], name="group_unpaid_expiry"),
        ]

    def __str__(self) -> str:
        return self.number


def order_status_rank(status: str) -> int:
    """A status's place in an order's lifecycle (pending 0 … cancelled 4): what
    `?ordering=status` of a shop's orders sorts on, stored as `Order.status_rank`."""
    return Order.Status.values.index(status)


class OrderQuerySet(models.QuerySet["Order"]):
    """Every write of an order's `status` writes its `status_rank` with it (with `Order.save`):
    updates, bulk updates and bulk inserts."""

    def update(self, **kwargs: Any) -> int:
        if "status" in kwargs and "status_rank" not in kwargs:
            status = kwargs["status"]
            if not isinstance(status, str):
                raise TypeError("Set an order's status to a value, or its status_rank with it.")
            kwargs["status_rank"] = order_status_rank(status)
        return super().update(**kwargs)

    def bulk_update(self, objs: Iterable[Order], fields: Sequence[str], **kwargs: Any) -> int:
        objs = list(objs)
        if "status" in fields and "status_rank" not in fields:
            for order in objs:
                order.status_rank = order_status_rank(order.status)
            fields = [*fields, "status_rank"]
        return super().bulk_update(objs, fields, **kwargs)

    def bulk_create(self, objs: Iterable[Order], *args: Any, **kwargs: Any) -> list[Order]:
        objs = list(objs)
        for order in objs:
            order.status_rank = order_status_rank(order.status)
        return super().bulk_create(objs, *args, **kwargs)


class Order(models.Model):
    """One shop's part of an order group, with its own lifecycle."""

    class Status(models.TextChoices):
        PENDING = "pending"
        PROCESSING = "processing"
        SHIPPED = "shipped"
        COMPLETED = "completed"
        CANCELLED = "cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    group = models.ForeignKey(OrderGroup, on_delete=models.PROTECT, related_name="orders")
    number = models.CharField(max_length=24, unique=True)
    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # `order_status_rank(status)`, kept in step by `save` and `OrderQuerySet`, so that an index
    # serves the lifecycle order. Its default (in Python and in the database) is pending's rank:
    # an order inserted as checkout inserts it (pending, without `save`) is right too.
    status_rank = models.SmallIntegerField(default=0, db_default=0, editable=False)
    subtotal = models.DecimalField(**MONEY)
    delivery_fee = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    is_paid = models.BooleanField(default=False)
    cash_collected = models.BooleanField(default=False)
    # The platform's commission on the items (the sum of the lines' frozen amounts; never on
    # the delivery fee), and when the order was completed (its earnings count from then).
    commission_total = models.DecimalField(**MONEY)
    completed_at = models.DateTimeField(null=True, blank=True)
    estimated_delivery_date = models.DateField(null=True, blank=True)
    # Snapshots of the shop's delivery zone that priced a delivery (`shops.delivery`): its
    # name and estimate in days; blank and null for pickup and for a shop without zones.
    delivery_zone = models.CharField(max_length=80, blank=True)
    delivery_days_min = models.PositiveSmallIntegerField(null=True, blank=True)
    delivery_days_max = models.PositiveSmallIntegerField(null=True, blank=True)
    # Set, under the order's row lock, when cancellation or expiry gave the stock back.
    stock_restored = models.BooleanField(default=False)
    # What returns and partial refunds gave back of this order (items, and the delivery fee
    # once): written under the order's row lock, never more than the order's total.
    refunded_amount = models.DecimalField(**MONEY)
    delivery_fee_refunded = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrderQuerySet.as_manager()

    # Items and events as the representation reads them (set by orders.selectors).
    item_list: list[OrderItem]
    event_list: list[OrderEvent]

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # A shop's orders, newest first, and the same filtered by status
            # (`orders.selectors.orders_for_shop`, `orders.filters.ShopOrderFilter`).
            models.Index(fields=["shop", "-created_at", "-id"], name="order_shop_recent"),
            models.Index(fields=["shop", "status", "-created_at", "-id"], name="order_shop_status"),
            # `?ordering=status` and `-status` (the lifecycle, then newest first).
            models.Index(
                fields=["shop", "status_rank", "-created_at", "-id"], name="order_shop_lifecycle"
            ),
            models.Index(
                fields=["shop", "-status_rank", "-created_at", "-id"],
                name="order_shop_lifecycle_desc",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(refunded_amount__lte=models.F("total")),
                name="order_refunded_within_total",
            )
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args: Any, **kwargs: Any) -> None:
        if "status" not in self.get_deferred_fields():
            self.status_rank = order_status_rank(self.status)
            update_fields = kwargs.get("update_fields")
            if update_fields is not None and "status" in update_fields:
                kwargs["update_fields"] = {*update_fields, "status_rank"}
        super().save(*args, **kwargs)

    @property
    def shop_earnings(self) -> Decimal:
        """What the shop earns on the order: its total less the platform's commission."""
        return self.total - self.commission_total


class OrderItem(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    # PROTECT: a product that was ever ordered is deactivated, never deleted.
    product = models.ForeignKey("products.Product", on_delete=models.PROTECT, related_name="+")
    # PROTECT too: an ordered variant is deactivated, never deleted. `sku` and `options` are
    # snapshots, like the name and the price.
    variant = models.ForeignKey(
        "products.ProductVariant", on_delete=models.PROTECT, related_name="+"
    )
    product_name = models.CharField(max_length=200)
    sku = models.CharField(max_length=64, blank=True)
    options = models.JSONField(default=dict, blank=True)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    quantity = models.PositiveIntegerField()
    line_total = models.DecimalField(max_digits=12, decimal_places=2)
    # Frozen at checkout: the rate (percent) that applied and its amount, rounded half-up.
    commission_rate = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0.00"))
    commission_amount = models.DecimalField(**MONEY)
    # Units taken back by returns not rejected, and by refunds without a return: what a new
    # return or refund may still ask for is `quantity - returned_quantity`.
    returned_quantity = models.PositiveIntegerField(default=0)
    # Units whose money went back (or is on its way): the commission reversed so far is that of
    # this many units. Both counters move under the order's row lock.
    refunded_quantity = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["product_name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(returned_quantity__lte=models.F("quantity")),
                name="item_returned_within_quantity",
            ),
            models.CheckConstraint(
                condition=models.Q(refunded_quantity__lte=models.F("returned_quantity")),
                name="item_refunded_within_returned",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_name}"


class OrderEvent(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=16, choices=Order.Status.choices)
    note = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.order_id} -> {self.status}"


class Return(models.Model):
    """A customer's request to send back some lines of a completed order, and its progress."""

    class Status(models.TextChoices):
        REQUESTED = "requested"
        APPROVED = "approved"
        REJECTED = "rejected"
        RECEIVED = "received"
        REFUNDED = "refunded"

    class Reason(models.TextChoices):
        DAMAGED = "damaged"
        WRONG_ITEM = "wrong_item"
        NOT_AS_DESCRIBED = "not_as_described"
        CHANGED_MIND = "changed_mind"
        OTHER = "other"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="returns")
    # The order's shop and customer, kept here so that each side's list is one indexed query.
    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="returns")
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="returns"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    note = models.CharField(max_length=1000, blank=True)
    # The lines' unit prices (order snapshots) times the quantities returned.
    amount = models.DecimalField(**MONEY)
    restocked = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Items and events as the representation reads them (set by orders.selectors).
    item_list: list[ReturnItem]
    event_list: list[ReturnEvent]

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # Each side's list, newest first, and the same filtered by status.
            models.Index(fields=["shop", "-created_at", "-id"], name="return_shop_recent"),
            models.Index(
                fields=["shop", "status", "-created_at", "-id"], name="return_shop_status"
            ),
            models.Index(fields=["customer", "-created_at", "-id"], name="return_customer_recent"),
            models.Index(
                fields=["customer", "status", "-created_at", "-id"], name="return_customer_status"
            ),
        ]

    def __str__(self) -> str:
        return f"return {self.id} of {self.order_id}"


class ReturnItem(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    return_request = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="items")
    order_item = models.ForeignKey(OrderItem, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["return_request", "order_item"], name="return_item_once"
            ),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="return_item_some"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} of {self.order_item_id}"


class ReturnEvent(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    return_request = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=16, choices=Return.Status.choices)
    note = models.CharField(max_length=1000, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.return_request_id} -> {self.status}"
