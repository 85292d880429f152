from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from carts.models import MAX_LINE_QUANTITY
from carts.selectors import LineStatus
from core.serializers import PlannedSerializer, absolute_url
from products.models import ProductImage


def _money() -> serializers.DecimalField:
    # Computed from current prices, so not bounded by the money columns (a line of 1000 units
    # at the highest price has 13 digits); checkout refuses such totals.
    return serializers.DecimalField(max_digits=None, decimal_places=2, read_only=True)


# --- Input ----------------------------------------------------------------------------------


class CartItemAddSerializer(serializers.Serializer):
    product_id = serializers.UUIDField()
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY, default=1)


class CartQuerySerializer(serializers.Serializer):
    address_id = serializers.UUIDField(
        required=False, help_text="One of your addresses: price each shop's delivery to it."
    )


class CartItemUpdateSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(
        min_value=0, max_value=MAX_LINE_QUANTITY, help_text="0 removes the line."
    )


# --- Output ---------------------------------------------------------------------------------


class CartShopRefSerializer(PlannedSerializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)


class CartProductSerializer(PlannedSerializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    price = _money()
    image = serializers.SerializerMethodField()
    shop = CartShopRefSerializer(read_only=True)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_image(self, product: Any) -> str | None:
        name = product.first_image  # set by carts.selectors.cart_items
        if not name:
            return None
        url = ProductImage._meta.get_field("image").storage.url(name)
        return absolute_url(self.context, url)


class CartLineSerializer(PlannedSerializer):
    id = serializers.UUIDField(read_only=True)
    product = CartProductSerializer(read_only=True)
    quantity = serializers.IntegerField(read_only=True)
    unit_price = _money()
    line_total = _money()
    available_stock = serializers.IntegerField(read_only=True)
    status = serializers.ChoiceField(choices=LineStatus.choices, read_only=True)


class EstimatedDeliverySerializer(PlannedSerializer):
    days_min = serializers.IntegerField(read_only=True)
    days_max = serializers.IntegerField(read_only=True)


class CartShopSerializer(PlannedSerializer):
    shop_id = serializers.UUIDField(read_only=True)
    shop_name = serializers.CharField(read_only=True)
    subtotal = _money()
    delivery_fee = serializers.DecimalField(
        max_digits=None,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text=(
            "Without `address_id`: the shop's flat fee. With it: the fee to that address (zero "
            "from the zone's `free_over`), null when the shop does not deliver there."
        ),
    )
    deliverable = serializers.BooleanField(
        read_only=True, allow_null=True, help_text="Null without `address_id`."
    )
    delivery_zone = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="The shop's zone for the address; null for a shop without zones.",
    )
    estimated_delivery = EstimatedDeliverySerializer(
        read_only=True, allow_null=True, help_text="Days, from the zone; null without one."
    )


class CartSerializer(PlannedSerializer):
    id = serializers.UUIDField(read_only=True)
    items = CartLineSerializer(many=True, read_only=True)
    shops = CartShopSerializer(many=True, read_only=True)
    subtotal = _money()
    item_count = serializers.IntegerField(read_only=True, help_text="Number of units.")
    is_valid = serializers.BooleanField(
        read_only=True, help_text="True when the cart is not empty and every line is available."
    )
    updated_at = serializers.DateTimeField(read_only=True)
