from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from core.serializers import PlannedSerializer
from orders.models import (
    FulfillmentMethod,
    Order,
    OrderEvent,
    OrderGroup,
    PaymentMethod,
    Return,
)


def _money() -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)


# --- Input ----------------------------------------------------------------------------------


class CheckoutSerializer(serializers.Serializer):
    fulfillment_method = serializers.ChoiceField(choices=FulfillmentMethod.choices)
    shipping_address_id = serializers.UUIDField(
        required=False, allow_null=True, help_text="One of your addresses; required for delivery."
    )
    payment_method = serializers.ChoiceField(choices=PaymentMethod.choices)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        delivery = attrs["fulfillment_method"] == FulfillmentMethod.DELIVERY
        if delivery and not attrs.get("shipping_address_id"):
            raise serializers.ValidationError(
                {"shipping_address_id": ["A shipping address is required for delivery."]}
            )
        if not delivery:
            attrs["shipping_address_id"] = None
        return attrs


class OrderGroupCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")


class OrderStatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Order.Status.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")
    cash_collected = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Cash orders only."
    )
    estimated_delivery_date = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="With `shipped` only; not past."
    )

    def validate_estimated_delivery_date(self, value: Any) -> Any:
        if value is not None and value < timezone.localdate():
            raise serializers.ValidationError("The estimated delivery date is in the past.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("estimated_delivery_date") and attrs["status"] != Order.Status.SHIPPED:
            raise serializers.ValidationError(
                {"estimated_delivery_date": ["Only sent with the status `shipped`."]}
            )
        return attrs


# --- Output ---------------------------------------------------------------------------------


class OrderShopSerializer(PlannedSerializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)


class OrderItemSerializer(PlannedSerializer):
    id = serializers.UUIDField(read_only=True)
    product_id = serializers.UUIDField(read_only=True)
    product_name = serializers.CharField(read_only=True)
    unit_price = _money()
    quantity = serializers.IntegerField(read_only=True)
    line_total = _money()
    variant_id = serializers.UUIDField(read_only=True)
    sku = serializers.CharField(read_only=True)
    options = serializers.DictField(
        child=serializers.CharField(), read_only=True, help_text="The variant's, when ordered."
    )


class ShopOrderItemSerializer(OrderItemSerializer):
    """An order line as its shop (and admins) see it: with the commission frozen at checkout."""

    commission_rate = serializers.DecimalField(max_digits=5, decimal_places=2, read_only=True)
    commission_amount = _money()


class OrderEventSerializer(PlannedSerializer):
    status = serializers.ChoiceField(choices=Order.Status.choices, read_only=True)
    note = serializers.CharField(read_only=True)
    actor = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)

    @extend_schema_field(
        inline_serializer(
            "OrderEventActor",
            {"id": serializers.UUIDField(), "name": serializers.CharField()},
            allow_null=True,
        )
    )
    def get_actor(self, event: OrderEvent) -> dict[str, str] | None:
        actor = event.actor
        if actor is None:
            return None
        name = actor.full_name or actor.email or actor.handle or ""
        return {"id": str(actor.id), "name": name}


class OrderSerializer(PlannedSerializer):
    """One shop's order as its customer sees it (inside the order group)."""

    # Reads the `item_list` and `event_list` that `orders.selectors` prefetch.

    id = serializers.UUIDField(read_only=True)
    group_id = serializers.UUIDField(read_only=True)
    number = serializers.CharField(read_only=True)
    shop = OrderShopSerializer(read_only=True)
    status = serializers.ChoiceField(choices=Order.Status.choices, read_only=True)
    items = OrderItemSerializer(many=True, read_only=True, source="item_list")
    subtotal = _money()
    delivery_fee = _money()
    total = _money()
    is_paid = serializers.BooleanField(read_only=True)
    cash_collected = serializers.BooleanField(read_only=True)
    estimated_delivery_date = serializers.DateField(read_only=True, allow_null=True)
    delivery_zone = serializers.SerializerMethodField()
    estimated_delivery = serializers.SerializerMethodField()
    events = OrderEventSerializer(many=True, read_only=True, source="event_list")
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    @extend_schema_field(
        serializers.CharField(
            allow_null=True,
            help_text="The delivery zone at checkout; null for pickup or a shop without zones.",
        )
    )
    def get_delivery_zone(self, order: Order) -> str | None:
        return order.delivery_zone or None

    @extend_schema_field(
        inline_serializer(
            "OrderEstimatedDelivery",
            {"days_min": serializers.IntegerField(), "days_max": serializers.IntegerField()},
            allow_null=True,
            help_text="Days, from the delivery zone at checkout.",
        )
    )
    def get_estimated_delivery(self, order: Order) -> dict[str, int] | None:
        if order.delivery_days_min is None or order.delivery_days_max is None:
            return None
        return {"days_min": order.delivery_days_min, "days_max": order.delivery_days_max}


class ShopOrderSerializer(OrderSerializer):
    """A shop's order as the shop sees it: with the customer, the address, the terms and the
    commission."""

    items = ShopOrderItemSerializer(many=True, read_only=True, source="item_list")
    commission_total = _money()
    shop_earnings = _money()
    completed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    customer = serializers.SerializerMethodField()
    shipping_address = serializers.JSONField(source="group.shipping_address", read_only=True)
    payment_method = serializers.CharField(source="group.payment_method", read_only=True)
    fulfillment_method = serializers.CharField(source="group.fulfillment_method", read_only=True)
    group_number = serializers.CharField(source="group.number", read_only=True)

    @extend_schema_field(
        inline_serializer(
            "OrderCustomer",
            {"name": serializers.CharField(), "email": serializers.EmailField()},
        )
    )
    def get_customer(self, order: Order) -> dict[str, str]:
        return {"name": order.group.customer_name, "email": order.group.customer_email}


# Reads the `order_list` that `orders.selectors` prefetch (or checkout attaches).
class OrderGroupSerializer(PlannedSerializer):
    id = serializers.UUIDField(read_only=True)
    number = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=OrderGroup.Status.choices, read_only=True)
    payment_method = serializers.ChoiceField(choices=PaymentMethod.choices, read_only=True)
    payment_status = serializers.ChoiceField(
        choices=OrderGroup.PaymentStatus.choices, read_only=True
    )
    fulfillment_method = serializers.ChoiceField(choices=FulfillmentMethod.choices, read_only=True)
    currency = serializers.CharField(read_only=True)
    subtotal = _money()
    delivery_fee = _money()
    total = _money()
    shipping_address = serializers.JSONField(read_only=True, allow_null=True)
    orders = OrderSerializer(many=True, read_only=True, source="order_list")
    expires_at = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_expires_at(self, group: OrderGroup) -> str | None:
        """The payment deadline of an unpaid Paystack group; null otherwise."""
        unpaid_paystack = (
            group.payment_method == PaymentMethod.PAYSTACK
            and group.payment_status == OrderGroup.PaymentStatus.UNPAID
            and group.status != OrderGroup.Status.CANCELLED
        )
        if not unpaid_paystack or group.expires_at is None:
            return None
        return serializers.DateTimeField().to_representation(group.expires_at)


# One group serializer for the process: binding its nested fields (a deep copy of every declared
# field) costs a checkout more than walking them, and it reads nothing from a request.
order_group_data = OrderGroupSerializer().to_representation


# --- Returns ----------------------------------------------------------------------------------


class OrderLineQuantitySerializer(serializers.Serializer):
    order_item_id = serializers.UUIDField()
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)


class ReturnCreateSerializer(serializers.Serializer):
    items = OrderLineQuantitySerializer(many=True, allow_empty=False, max_length=100)
    reason = serializers.ChoiceField(choices=Return.Reason.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


class ReturnStatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Return.Status.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")
    restock = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="With `received` only: put the units back in stock (default true).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        received = attrs["status"] == Return.Status.RECEIVED
        if attrs.get("restock") is not None and not received:
            raise serializers.ValidationError(
                {"restock": ["Only sent with the status `received`."]}
            )
        attrs["restock"] = attrs.get("restock") is not False
        return attrs


class ReturnItemSerializer(serializers.Serializer):
    order_item_id = serializers.UUIDField(read_only=True)
    product_name = serializers.CharField(source="order_item.product_name", read_only=True)
    quantity = serializers.IntegerField(read_only=True)
    amount = _money()


class ReturnEventSerializer(OrderEventSerializer):
    status = serializers.ChoiceField(choices=Return.Status.choices, read_only=True)


class ReturnSerializer(serializers.Serializer):
    """A return; reads the `item_list` and `event_list` that `orders.selectors` prefetch."""

    id = serializers.UUIDField(read_only=True)
    order_id = serializers.UUIDField(read_only=True)
    order_number = serializers.CharField(source="order.number", read_only=True)
    shop_id = serializers.UUIDField(read_only=True)
    status = serializers.ChoiceField(choices=Return.Status.choices, read_only=True)
    reason = serializers.ChoiceField(choices=Return.Reason.choices, read_only=True)
    note = serializers.CharField(read_only=True)
    items = ReturnItemSerializer(many=True, read_only=True, source="item_list")
    amount = _money()
    restocked = serializers.BooleanField(read_only=True)
    events = ReturnEventSerializer(many=True, read_only=True, source="event_list")
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
