"""Admin: payment attempts with their refunds and webhook events, the shops' ledgers, balances,
payout accounts and payouts. Money is never edited here; the one write is an admin's ledger
adjustment, made through `payments.services.settlement.adjustment_create`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest

from core.admin import GrowingTableAdmin, fixed_choices_filter
from payments.models import (
    Dispute,
    LedgerEntry,
    Payment,
    Payout,
    PayoutAccount,
    Refund,
    RefundItem,
    ShopBalance,
    UnmatchedRefund,
    WebhookEvent,
)
from payments.payout_decisions import TRANSFER_EVENTS
from payments.services.settlement import adjustment_create
from payments.webhooks import CHARGE_SUCCESS, DISPUTE_EVENTS, REFUND_EVENTS

# The changelists of the tables that grow with every payment: a count exact up to 1,000 rows
# (`CountLimitedPaginator`) and no second count of the whole table, no `date_hierarchy` (its
# MIN/MAX and drill-down scan the table; a `created_at` list filter instead), filters whose
# choices are known rather than read with a `SELECT DISTINCT` over the table.


def _known(*values: str) -> list[tuple[str, str]]:
    return [(value, value) for value in sorted(set(values))]


ProviderFilter = fixed_choices_filter("provider", "provider", lambda: _known("paystack"))
CurrencyFilter = fixed_choices_filter(
    "currency", "currency", lambda: _known(settings.CURRENCY, "NGN")
)
EventFilter = fixed_choices_filter(
    "event",
    "event",
    lambda: _known(CHARGE_SUCCESS, *REFUND_EVENTS, *DISPUTE_EVENTS, *TRANSFER_EVENTS),
)


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    fields = [
        "id",
        "method",
        "order",
        "return_request",
        "amount",
        "status",
        "provider_refund_id",
        "attempts",
        "last_error",
        "reason",
        "created_at",
    ]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class DisputeInline(admin.TabularInline):
    model = Dispute
    extra = 0
    can_delete = False
    fields = ["provider_dispute_id", "status", "reason", "amount", "due_at", "resolved_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class WebhookEventInline(admin.TabularInline):
    model = WebhookEvent
    extra = 0
    can_delete = False
    fields = ["event", "event_key", "processed_at", "created_at"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class PaymentInline(admin.TabularInline):
    """Attempts of an order group; for the order group's admin page."""

    model = Payment
    extra = 0
    can_delete = False
    fields = ["reference", "status", "amount", "currency", "paid_at", "created_at"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(GrowingTableAdmin):
    list_display = ["reference", "group", "status", "amount", "currency", "paid_at", "created_at"]
    list_filter = ["status", ProviderFilter, CurrencyFilter, "created_at"]
    search_fields = ["reference", "group__number", "group__customer_email"]
    list_select_related = ["group"]
    readonly_fields = [
        "id",
        "reference",
        "group",
        "provider",
        "amount",
        "currency",
        "authorization_url",
        "access_code",
        "paid_at",
        "verified_at",
        "provider_response",
        "created_at",
        "updated_at",
    ]
    fields = ["status", *readonly_fields]
    inlines = [RefundInline, DisputeInline, WebhookEventInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class RefundItemInline(admin.TabularInline):
    model = RefundItem
    extra = 0
    can_delete = False
    fields = ["order_item", "quantity", "amount", "commission"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Refund)
class RefundAdmin(GrowingTableAdmin):
    list_display = [
        "id",
        "method",
        "payment",
        "order",
        "amount",
        "status",
        "attempts",
        "created_at",
    ]
    list_filter = ["status", "method"]
    search_fields = ["payment__reference", "provider_refund_id", "order__number"]
    list_select_related = ["payment", "order"]
    ordering = ["-created_at"]
    inlines = [RefundItemInline]
    readonly_fields = [
        "id",
        "method",
        "payment",
        "order",
        "return_request",
        "amount",
        "delivery_fee",
        "commission_reversed",
        "reason",
        "created_by",
        "provider_refund_id",
        "attempts",
        "last_error",
        "created_at",
        "updated_at",
    ]
    fields = ["status", *readonly_fields]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # A cash refund was handed over in person: no sweep or webhook ever moves it, and a
        # status set here would only stall Paystack's sweeps.
        if obj is not None and obj.method == Refund.Method.CASH:
            return ["status", *self.readonly_fields]
        return list(self.readonly_fields)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookEvent)
class WebhookEventAdmin(GrowingTableAdmin):
    list_display = ["event", "event_key", "payment", "processed_at", "created_at"]
    list_filter = [EventFilter]
    search_fields = ["event_key", "payment__reference"]
    list_select_related = ["payment"]
    readonly_fields = [
        "id",
        "event_key",
        "event",
        "payload",
        "payment",
        "processed_at",
        "created_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(UnmatchedRefund)
class UnmatchedRefundAdmin(admin.ModelAdmin):
    """Refunds Paystack reported that we cannot tell for ours: a person checks them on
    Paystack's dashboard and marks them reviewed."""

    list_display = [
        "transaction_reference",
        "event",
        "status",
        "amount",
        "currency",
        "reviewed",
        "created_at",
    ]
    list_filter = ["reviewed", "status"]
    search_fields = ["transaction_reference", "refund_reference", "payment__reference"]
    list_select_related = ["payment"]
    readonly_fields = [
        "id",
        "payment",
        "transaction_reference",
        "event",
        "status",
        "amount",
        "currency",
        "refund_reference",
        "payload",
        "created_at",
    ]
    fields = ["reviewed", "note", *readonly_fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Dispute)
class DisputeAdmin(admin.ModelAdmin):
    list_display = ["provider_dispute_id", "payment", "status", "amount", "due_at", "resolved_at"]
    list_filter = ["status"]
    search_fields = ["provider_dispute_id", "payment__reference", "payment__group__number"]
    list_select_related = ["payment"]
    readonly_fields = [
        "id",
        "payment",
        "provider_dispute_id",
        "status",
        "reason",
        "amount",
        "due_at",
        "resolved_at",
        "payload",
        "created_at",
        "updated_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AdjustmentForm(forms.ModelForm):
    """An admin's adjustment: the shop, a signed amount, a note (required)."""

    class Meta:
        model = LedgerEntry
        fields = ["shop", "amount", "note"]

    def clean_amount(self) -> Any:
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError("An adjustment of zero changes nothing.")
        return amount

    def clean_note(self) -> str:
        note = self.cleaned_data["note"].strip()
        if not note:
            raise forms.ValidationError("Say why the balance is adjusted.")
        return note


@admin.register(LedgerEntry)
class LedgerEntryAdmin(GrowingTableAdmin):
    """The ledger is append-only: entries are never changed or deleted; "Add" records an
    adjustment."""

    list_display = ["created_at", "shop", "kind", "amount", "available_on", "order", "payout"]
    list_filter = ["kind", "created_at"]
    search_fields = ["shop__name", "shop__code", "order__number", "payout__reference", "key"]
    list_select_related = ["shop", "order", "payout"]
    raw_id_fields = ["shop"]

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = AdjustmentForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return ["shop", "amount", "note"]
        return [
            "id",
            "shop",
            "kind",
            "amount",
            "order",
            "refund",
            "payout",
            "note",
            "key",
            "available_on",
            "created_by",
            "created_at",
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [] if obj is None else self.get_fields(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        entry = adjustment_create(
            shop=form.cleaned_data["shop"],
            amount=form.cleaned_data["amount"],
            note=form.cleaned_data["note"],
            actor=request.user,
        )
        obj.pk = entry.pk

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ShopBalance)
class ShopBalanceAdmin(_ReadOnlyAdmin):
    list_display = ["shop", "total", "updated_at"]
    search_fields = ["shop__name", "shop__code"]
    list_select_related = ["shop"]


@admin.register(PayoutAccount)
class PayoutAccountAdmin(_ReadOnlyAdmin):
    list_display = ["shop", "bank_name", "account_name", "recipient_code", "verified_at"]
    search_fields = ["shop__name", "account_name", "recipient_code"]
    list_select_related = ["shop"]


@admin.register(Payout)
class PayoutAdmin(GrowingTableAdmin, _ReadOnlyAdmin):
    list_display = ["reference", "shop", "amount", "currency", "status", "created_at", "paid_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["reference", "transfer_code", "shop__name", "shop__code"]
    list_select_related = ["shop"]
