from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q


class Payment(models.Model):
    """One initialisation attempt with Paystack, with its own unique reference."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCESS = "success"
        FAILED = "failed"
        AMOUNT_MISMATCH = "amount_mismatch"
        ABANDONED = "abandoned"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=100, unique=True)
    group = models.ForeignKey(
        "orders.OrderGroup", on_delete=models.PROTECT, related_name="payments"
    )
    provider = models.CharField(max_length=16, default="paystack")
    amount = models.PositiveBigIntegerField(help_text="In the currency's subunit (kobo).")
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    authorization_url = models.URLField(max_length=500, blank=True)
    access_code = models.CharField(max_length=100, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    # Paystack's numeric id of the transaction (from verification): `GET /refund` lists by it.
    provider_transaction_id = models.BigIntegerField(null=True, blank=True)
    # The last time Paystack was asked about the attempt, answered or not, and how many asks in
    # a row got no usable answer: the backoff of the sweeps.
    checked_at = models.DateTimeField(null=True, blank=True)
    check_failures = models.PositiveIntegerField(default=0)
    provider_response = models.JSONField(default=dict, blank=True)
    # `SETTLEMENT_MODE=split`: what Paystack was told to settle to each order's shop at payment
    # time (`{order id: kobo}`); the ledger records it as already settled.
    split_shares = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="payment_status_created"),
            # The admin's changelist, newest first.
            models.Index(fields=["-created_at", "-id"], name="payment_recent"),
        ]

    def __str__(self) -> str:
        return self.reference


class Refund(models.Model):
    """Money going back to a customer: through Paystack (a refund of a paid attempt, settled by
    its webhook), or handed back in cash for a cash order (recorded `processed` at once)."""

    class Status(models.TextChoices):
        PENDING = "pending"
        PROCESSING = "processing"
        PROCESSED = "processed"
        FAILED = "failed"
        NEEDS_ATTENTION = "needs_attention"

    class Method(models.TextChoices):
        PAYSTACK = "paystack"
        CASH = "cash"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    method = models.CharField(max_length=16, choices=Method.choices, default=Method.PAYSTACK)
    # The Paystack attempt refunded; none for cash.
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    # The return this refund settles (at most one refund a return).
    return_request = models.OneToOneField(
        "orders.Return", null=True, blank=True, on_delete=models.PROTECT, related_name="refund"
    )
    amount = models.PositiveBigIntegerField(help_text="In the currency's subunit (kobo).")
    # The part of `amount` that is the order's delivery fee (kobo).
    delivery_fee = models.PositiveBigIntegerField(default=0)
    # The commission of the refunded items (kobo): the platform gives it back to the shop.
    commission_reversed = models.PositiveBigIntegerField(
        default=0, help_text="In the currency's subunit (kobo)."
    )
    reason = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    provider_refund_id = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        # The admin's changelist, newest first.
        indexes = [models.Index(fields=["-created_at", "-id"], name="refund_recent")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(method="cash", payment__isnull=True)
                | models.Q(method="paystack", payment__isnull=False),
                name="refund_paystack_has_payment",
            )
        ]

    def __str__(self) -> str:
        return f"refund {self.amount} of {self.payment_id or self.method}"


class RefundItem(models.Model):
    """Units of one order line a partial refund or a return gives back."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="items")
    order_item = models.ForeignKey("orders.OrderItem", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    # The line's commission for these units (reversed for the shop).
    commission = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} of {self.order_item_id}"


class WebhookEvent(models.Model):
    """A Paystack event as received; `event_key` makes redelivery a no-op."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event_key = models.CharField(max_length=200, unique=True)
    event = models.CharField(max_length=64)
    payload = models.JSONField()
    # The attempt the event turned out to be about (set when it is processed).
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="webhook_events"
    )
    processed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        # The admin's changelist, newest first.
        indexes = [models.Index(fields=["-created_at", "-id"], name="webhook_event_recent")]

    def __str__(self) -> str:
        return self.event_key


class UnmatchedRefund(models.Model):
    """A refund Paystack reports on one of our transactions that we cannot tell for ours (made
    from Paystack's dashboard, or ambiguous): kept for a person, it changes none of our refunds."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="unmatched_refunds"
    )
    transaction_reference = models.CharField(max_length=100)
    event = models.CharField(max_length=64)
    status = models.CharField(max_length=32)
    amount = models.BigIntegerField(null=True, blank=True, help_text="In kobo, as reported.")
    currency = models.CharField(max_length=3, blank=True)
    refund_reference = models.CharField(max_length=100, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    reviewed = models.BooleanField(default=False)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.event} {self.amount} on {self.transaction_reference}"


class Dispute(models.Model):
    """A chargeback Paystack reports on one of our payments (``charge.dispute.*``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="disputes")
    provider_dispute_id = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=40)
    reason = models.CharField(max_length=255, blank=True)
    amount = models.BigIntegerField(null=True, blank=True, help_text="In kobo, as reported.")
    due_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"dispute {self.provider_dispute_id} on {self.payment_id}"


# --- Settlement: the shops' ledger, their payout accounts and payouts ----------------------------

LEDGER_MONEY = {"max_digits": 14, "decimal_places": 2}


class ShopBalance(models.Model):
    """A shop's stored balance (the sum of its ledger entries, kept with every entry written);
    its row is also the lock that serialises the shop's payouts. `check_ledger` compares it
    with the entries."""

    shop = models.OneToOneField(
        "shops.Shop", primary_key=True, on_delete=models.PROTECT, related_name="balance"
    )
    total = models.DecimalField(**LEDGER_MONEY, default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"balance of {self.shop_id}"


class LedgerEntry(models.Model):
    """One append-only line of a shop's earnings ledger. `key` names its cause (the order, the
    refund, the payout, the adjustment) so that no cause is ever recorded twice."""

    class Kind(models.TextChoices):
        SALE = "sale"
        COMMISSION = "commission"
        CASH_COLLECTED = "cash_collected"
        SPLIT_SETTLED = "split_settled"
        REFUND = "refund"
        COMMISSION_REVERSED = "commission_reversed"
        PAYOUT = "payout"
        PAYOUT_REVERSED = "payout_reversed"
        ADJUSTMENT = "adjustment"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="ledger_entries")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    amount = models.DecimalField(**LEDGER_MONEY, help_text="Signed: a credit is positive.")
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    refund = models.ForeignKey(
        Refund, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    payout = models.ForeignKey(
        "Payout", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    note = models.CharField(max_length=500, blank=True)
    key = models.CharField(max_length=100, unique=True)
    available_on = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "ledger entries"
        indexes = [
            # A shop's ledger, newest first, and the same filtered by kind
            # (`payments.selectors.ledger_for_shop`, `payments.filters.LedgerFilter`).
            models.Index(fields=["shop", "-created_at", "-id"], name="ledger_shop_recent"),
            models.Index(fields=["shop", "kind", "-created_at", "-id"], name="ledger_shop_kind"),
            models.Index(fields=["shop", "available_on"], name="ledger_shop_available"),
            # The admin's changelist, newest first.
            models.Index(fields=["-created_at", "-id"], name="ledger_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} ({self.shop_id})"


class PayoutAccount(models.Model):
    """Where a shop is paid: a Nigerian bank account Paystack resolved, and its transfer
    recipient."""

    shop = models.OneToOneField(
        "shops.Shop", primary_key=True, on_delete=models.PROTECT, related_name="payout_account"
    )
    bank_code = models.CharField(max_length=20)
    bank_name = models.CharField(max_length=120)
    account_number = models.CharField(max_length=10)
    account_name = models.CharField(max_length=200)
    recipient_code = models.CharField(max_length=64)
    verified_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.bank_name} ****{self.account_number[-4:]}"


class Payout(models.Model):
    """A transfer of a shop's available balance to its bank account."""

    class Status(models.TextChoices):
        PENDING = "pending"
        PROCESSING = "processing"
        PAID = "paid"
        FAILED = "failed"
        REVERSED = "reversed"
        NEEDS_ATTENTION = "needs_attention"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="payouts")
    # As wide as the ledger it pays out of.
    amount = models.DecimalField(**LEDGER_MONEY)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    reference = models.CharField(max_length=100, unique=True)
    recipient_code = models.CharField(max_length=64)
    transfer_code = models.CharField(max_length=64, blank=True)
    failure_reason = models.CharField(max_length=500, blank=True)
    # The shop's id while the payout is open, NULL once settled: the unique index allows one
    # open payout per shop on every engine (NULLs never collide).
    open_for_shop = models.CharField(max_length=36, null=True, blank=True, unique=True)
    attempts = models.PositiveIntegerField(default=0)
    checked_at = models.DateTimeField(null=True, blank=True)
    # When it was last claimed and sent to Paystack (NULL for one sent before this was kept).
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_response = models.JSONField(default=dict, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["shop", "-created_at"], name="payout_shop_created")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive")
        ]

    def __str__(self) -> str:
        return self.reference
