from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from orders.serializers import OrderLineQuantitySerializer
from payments.models import (
    Dispute,
    LedgerEntry,
    Payment,
    Payout,
    PayoutAccount,
    Refund,
    RefundItem,
)


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


# --- Settlement -------------------------------------------------------------------------------


def _money(**kwargs: object) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True, **kwargs)


class BalanceSerializer(serializers.Serializer):
    currency = serializers.CharField(read_only=True)
    pending = _money(help_text="Credited, not yet available (within the hold after completion).")
    available = _money(help_text="May be paid out now; negative when the shop owes the platform.")
    paid_out = _money(help_text="Sent to the shop's bank account, less failed transfers.")
    total = _money(help_text="pending + available.")


class LedgerEntrySerializer(serializers.ModelSerializer):
    amount = _money(help_text="Signed: a credit to the shop is positive.")
    order_id = serializers.UUIDField(read_only=True, allow_null=True)
    refund_id = serializers.UUIDField(read_only=True, allow_null=True)
    payout_id = serializers.UUIDField(read_only=True, allow_null=True)

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "kind",
            "amount",
            "order_id",
            "refund_id",
            "payout_id",
            "note",
            "available_on",
            "created_at",
        ]
        read_only_fields = fields


class AdjustmentInputSerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("-9999999999.99"),
        max_value=Decimal("9999999999.99"),
        help_text="Signed: positive credits the shop, negative debits it.",
    )
    note = serializers.CharField(max_length=500)

    def validate_amount(self, value: Decimal) -> Decimal:
        if value == 0:
            raise serializers.ValidationError("An adjustment of zero changes nothing.")
        return value


class StatementQuerySerializer(serializers.Serializer):
    month = serializers.RegexField(
        r"^\d{4}-(0[1-9]|1[0-2])$",
        required=False,
        help_text="YYYY-MM (UTC); default the current month.",
        error_messages={"invalid": "Use the form YYYY-MM."},
    )

    def validate_month(self, value: str) -> str:
        # The statement reads the month and the one after it as datetimes.
        if not 1970 <= int(value[:4]) <= 9998:
            raise serializers.ValidationError("The year must be between 1970 and 9998.")
        return value


class BankSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    code = serializers.CharField(read_only=True)
    slug = serializers.CharField(read_only=True)


class BankQuerySerializer(serializers.Serializer):
    country = serializers.ChoiceField(
        choices=["nigeria", "ghana", "kenya", "south africa"], default="nigeria"
    )


class PayoutAccountInputSerializer(serializers.Serializer):
    bank_code = serializers.RegexField(
        r"^[A-Za-z0-9]{2,20}$", max_length=20, error_messages={"invalid": "Enter a bank code."}
    )
    account_number = serializers.RegexField(
        r"^\d{10}$", error_messages={"invalid": "Enter the 10-digit account number (NUBAN)."}
    )


class PayoutAccountSerializer(serializers.ModelSerializer):
    account_number_last4 = serializers.SerializerMethodField()

    class Meta:
        model = PayoutAccount
        fields = [
            "bank_code",
            "bank_name",
            "account_name",
            "account_number_last4",
            "recipient_code",
            "verified_at",
        ]
        read_only_fields = fields

    def get_account_number_last4(self, account: PayoutAccount) -> str:
        return account.account_number[-4:]


class PayoutSerializer(serializers.ModelSerializer):
    shop_id = serializers.UUIDField(read_only=True)
    amount = _money()

    class Meta:
        model = Payout
        fields = [
            "id",
            "shop_id",
            "amount",
            "currency",
            "status",
            "reference",
            "transfer_code",
            "failure_reason",
            "created_at",
            "paid_at",
        ]
        read_only_fields = fields


class PayoutRunInputSerializer(serializers.Serializer):
    shop_id = serializers.UUIDField(required=False, allow_null=True, default=None)


class PayoutRunSerializer(serializers.Serializer):
    payouts = PayoutSerializer(many=True, read_only=True)
