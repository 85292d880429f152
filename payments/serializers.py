from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from payments.models import Dispute, Payment, Refund


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
