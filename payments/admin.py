"""Admin: payment attempts with their refunds and webhook events; money is never edited here."""

from __future__ import annotations

from django.contrib import admin

from payments.models import (
    Dispute,
    Payment,
    Refund,
    RefundItem,
    UnmatchedRefund,
    WebhookEvent,
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
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["reference", "group", "status", "amount", "currency", "paid_at", "created_at"]
    list_filter = ["status", "provider", "currency"]
    search_fields = ["reference", "group__number", "group__customer_email"]
    list_select_related = ["group"]
    date_hierarchy = "created_at"
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
class RefundAdmin(admin.ModelAdmin):
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
    inlines = [RefundItemInline]
    readonly_fields = [
        "id",
        "method",
        "payment",
        "order",
        "return_request",
        "amount",
        "delivery_fee",
        "reason",
        "created_by",
        "provider_refund_id",
        "attempts",
        "last_error",
        "created_at",
        "updated_at",
    ]
    fields = ["status", *readonly_fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["event", "event_key", "payment", "processed_at", "created_at"]
    list_filter = ["event"]
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
