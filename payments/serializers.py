from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from orders.serializers import OrderLineQuantitySerializer
from payments.models import Dispute, Payment, Refund, RefundItem


class PaymentInitializeInputSerializer(serializers.Serializer):
    provider = serializers.ChoiceField(choices=["paystack"], default="paystack")


class PaymentInitializeOutputSerializer(serializers.ModelSerializer):
    amount = serializers.IntegerField(help_text="In kobo (the currency's subunit).")

    class Meta:
        model = Payment
        fields = ["reference", "authorization_url", "access_code", "amount", "currency", "status"]
        read_only_fields = fields


class RefundSerializer(serializers.ModelSerializer):
    amount = serializers.IntegerField(help_text="In kobo (the currency's subunit).")

    class Meta:
        model = Refund
        fields = ["id", "amount", "status", "created_at"]
        read_only_fields = fields


class DisputeSerializer(serializers.ModelSerializer):
    amount = serializers.IntegerField(
        allow_null=True, help_text="In kobo (the currency's subunit), as Paystack reports it."
    )

    class Meta:
        model = Dispute
        fields = ["status", "reason", "amount", "due_at", "resolved_at"]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    amount = serializers.IntegerField(help_text="In kobo (the currency's subunit).")
    order_group_id = serializers.UUIDField(source="group_id", read_only=True)
    authorization_url = serializers.SerializerMethodField(
        help_text="Null when Paystack refused the attempt before giving one."
    )
    refunds = RefundSerializer(many=True, read_only=True)
    disputes = DisputeSerializer(many=True, read_only=True)

    class Meta:
        model = Payment
        fields = [
            "reference",
            "status",
            "amount",
            "currency",
            "provider",
            "order_group_id",
            "authorization_url",
            "paid_at",
            "refunds",
            "disputes",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_authorization_url(self, payment: Payment) -> str | None:
        return payment.authorization_url or None


class PaymentDetailQuerySerializer(serializers.Serializer):
    refresh = serializers.BooleanField(
        required=False, default=False, help_text="Ask Paystack now before answering."
    )


class OrderRefundCreateSerializer(serializers.Serializer):
    items = OrderLineQuantitySerializer(many=True, required=False, default=list, max_length=100)
    delivery_fee = serializers.BooleanField(
        required=False, default=False, help_text="Also refund the order's delivery fee (once)."
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs["items"] and not attrs["delivery_fee"]:
            raise serializers.ValidationError(
                {"non_field_errors": ["Name some `items`, or the `delivery_fee`, to refund."]}
            )
        return attrs


def _kobo_to_money(amount: int) -> str:
    return f"{Decimal(amount) / 100:.2f}"


class RefundItemSerializer(serializers.ModelSerializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)

    class Meta:
        model = RefundItem
        fields = ["order_item_id", "quantity", "amount"]
        read_only_fields = fields


class OrderRefundSerializer(serializers.ModelSerializer):
    """A refund of part of an order; its money as decimal strings, like the order's."""

    return_id = serializers.UUIDField(source="return_request_id", read_only=True, allow_null=True)
    amount = serializers.SerializerMethodField()
    delivery_fee = serializers.SerializerMethodField()
    currency = serializers.CharField(source="order.group.currency", read_only=True)
    items = RefundItemSerializer(many=True, read_only=True)

    class Meta:
        model = Refund
        fields = [
            "id",
            "order_id",
            "return_id",
            "method",
            "status",
            "amount",
            "delivery_fee",
            "currency",
            "items",
            "reason",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DecimalField(max_digits=12, decimal_places=2))
    def get_amount(self, refund: Refund) -> str:
        return _kobo_to_money(refund.amount)

    @extend_schema_field(serializers.DecimalField(max_digits=12, decimal_places=2))
    def get_delivery_fee(self, refund: Refund) -> str:
        return _kobo_to_money(refund.delivery_fee)
