"""Orders in Django admin: read-mostly. Orders are created by checkout and moved by services
(stock, events and refunds stay consistent), so status and money fields are not editable here;
cancelling goes through an admin action that calls the service."""

from __future__ import annotations

import operator
from functools import reduce
from typing import Any

from django.contrib import admin, messages
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import smart_split, unescape_string_literal

from core.admin import ExistsListFilter, GrowingTableAdmin
from core.errors import ApiError
from orders.models import Order, OrderEvent, OrderGroup, OrderItem, Return, ReturnEvent, ReturnItem
from orders.returns import return_status_change
from orders.services import order_group_cancel
from shops.models import Shop

# The changelists of the tables that grow with every checkout: a count exact up to 1,000 rows
# (`CountLimitedPaginator`) and no second count of the whole table, no `date_hierarchy` (its
# MIN/MAX and year/month drill-down scan the table; the `created_at` list filter remains), filters
# whose choices come from small tables.


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OrderInline(ReadOnlyInline):
    model = Order
    fields = ["number", "shop", "status", "total", "is_paid", "cash_collected", "details"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Order]:
        return (
            super()
            .get_queryset(request)
            .select_related("shop")
            .prefetch_related("items", "events__actor")
        )

    @admin.display(description="Items and events")
    def details(self, order: Order) -> str:
        items = format_html_join(
            "",
            "<li>{} x {} at {} = {}</li>",
            ((i.quantity, i.product_name, i.unit_price, i.line_total) for i in order.items.all()),
        )
        events = format_html_join(
            "",
            "<li>{} {} by {}{}</li>",
            (
                (
                    e.created_at.strftime("%Y-%m-%d %H:%M"),
                    e.status,
                    e.actor or "system",
                    f": {e.note}" if e.note else "",
                )
                for e in order.events.all()
            ),
        )
        return format_html("<ul>{}</ul><ul>{}</ul>", items, events)


class OrderItemInline(ReadOnlyInline):
    model = OrderItem
    show_change_link = False
    fields = [
        "product",
        "product_name",
        "sku",
        "options",
        "unit_price",
        "quantity",
        "line_total",
        "commission_rate",
        "commission_amount",
        "returned_quantity",
        "refunded_quantity",
    ]
    readonly_fields = fields


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    show_change_link = False
    fields = ["created_at", "status", "note", "actor"]
    readonly_fields = fields


class GroupShopFilter(ExistsListFilter):
    """Groups with an order of the chosen shop (same query string as Django's filter on
    `orders__shop`), by `EXISTS`: a group is listed once however many of its orders match."""

    title = "shop"
    parameter_name = "orders__shop__id__exact"

    def choice_list(self) -> QuerySet:
        return Shop.objects.order_by("name", "id").values_list("id", "name")

    def related(self, value: str) -> QuerySet[Order]:
        return Order.objects.filter(group=OuterRef("pk"), shop_id=value)


@admin.register(OrderGroup)
class OrderGroupAdmin(GrowingTableAdmin):
    list_display = [
        "number",
        "customer_email",
        "status",
        "payment_status",
        "payment_method",
        "fulfillment_method",
        "total",
        "created_at",
    ]
    list_filter = [
        "status",
        "payment_status",
        "payment_method",
        "fulfillment_method",
        GroupShopFilter,
        "created_at",
    ]
    # And the number of one of its orders (`get_search_results`).
    search_fields = ["number", "customer_email", "customer__email"]
    ordering = ["-created_at"]
    readonly_fields = [
        "id",
        "number",
        "customer",
        "customer_name",
        "customer_email",
        "shipping_address",
        "status",
        "payment_method",
        "payment_status",
        "fulfillment_method",
        "currency",
        "subtotal",
        "delivery_fee",
        "total",
        "expires_at",
        "paid_at",
        "cancel_reason",
        "created_at",
        "updated_at",
    ]
    inlines = [OrderInline]
    actions = ["cancel_groups"]

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        # The shop filter's parameter spans a relation that Django only allows for its own
        # field filters.
        if lookup == GroupShopFilter.parameter_name:
            return True
        return super().lookup_allowed(lookup, value, request)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[OrderGroup], search_term: str
    ) -> tuple[QuerySet[OrderGroup], bool]:
        """Django's search (every word in one of the fields), where a word may also be in the
        number of one of the group's orders: tested with `EXISTS`, so that a group matching
        through several orders is listed once without a `DISTINCT` over the table."""
        for word in smart_split(search_term):
            if word.startswith(('"', "'")) and word[0] == word[-1]:
                word = unescape_string_literal(word)
            in_fields = reduce(
                operator.or_, (Q(**{f"{field}__icontains": word}) for field in self.search_fields)
            )
            in_orders = Exists(Order.objects.filter(group=OuterRef("pk"), number__icontains=word))
            queryset = queryset.filter(in_fields | Q(in_orders))
        return queryset, False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Cancel selected order groups (restores stock, refunds if paid)")
    def cancel_groups(self, request: HttpRequest, queryset: QuerySet[OrderGroup]) -> None:
        done, refused = 0, []
        for group in queryset:
            try:
                order_group_cancel(
                    user=request.user, group_id=group.id, reason="Cancelled by admin."
                )
                done += 1
            except ApiError as exc:
                refused.append(f"{group.number}: {exc.message}")
        if done:
            self.message_user(request, f"{done} order group(s) cancelled.", messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.WARNING)


@admin.register(Order)
class OrderAdmin(GrowingTableAdmin):
    list_display = ["number", "shop", "status", "total", "is_paid", "group_link", "created_at"]
    list_filter = ["status", "is_paid", "shop", "created_at"]
    search_fields = ["number", "group__number", "group__customer_email"]
    ordering = ["-created_at"]
    list_select_related = ["shop", "group"]
    readonly_fields = [
        "id",
        "group",
        "number",
        "shop",
        "status",
        "status_rank",
        "subtotal",
        "delivery_fee",
        "total",
        "is_paid",
        "cash_collected",
        "estimated_delivery_date",
        "commission_total",
        "completed_at",
        "estimated_delivery_date",
        "delivery_zone",
        "delivery_days_min",
        "delivery_days_max",
        "stock_restored",
        "refunded_amount",
        "delivery_fee_refunded",
        "created_at",
        "updated_at",
    ]
    inlines = [OrderItemInline, OrderEventInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Group", ordering="group__number")
    def group_link(self, order: Order) -> str:
        url = reverse("admin:orders_ordergroup_change", args=[order.group_id])
        return format_html('<a href="{}">{}</a>', url, order.group.number)


class ReturnItemInline(ReadOnlyInline):
    model = ReturnItem
    show_change_link = False
    fields = ["order_item", "quantity", "amount"]
    readonly_fields = fields


class ReturnEventInline(ReadOnlyInline):
    model = ReturnEvent
    show_change_link = False
    fields = ["created_at", "status", "note", "actor"]
    readonly_fields = fields


@admin.register(Return)
class ReturnAdmin(GrowingTableAdmin):
    """Returns with their state; moved only through the lifecycle's service (actions below),
    so stock, refunds and e-mails follow as they do through the API."""

    list_display = ["id", "order_link", "shop", "status", "reason", "amount", "created_at"]
    list_filter = ["status", "reason", "shop", "created_at"]
    search_fields = ["id", "order__number", "order__group__number", "customer__email"]
    ordering = ["-created_at"]
    list_select_related = ["order", "shop"]
    readonly_fields = [
        "id",
        "order",
        "shop",
        "customer",
        "status",
        "reason",
        "note",
        "amount",
        "restocked",
        "created_at",
        "updated_at",
    ]
    inlines = [ReturnItemInline, ReturnEventInline]
    actions = ["approve_returns", "reject_returns", "receive_returns", "refund_returns"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Order", ordering="order__number")
    def order_link(self, ret: Return) -> str:
        url = reverse("admin:orders_order_change", args=[ret.order_id])
        return format_html('<a href="{}">{}</a>', url, ret.order.number)

    def _move(self, request: HttpRequest, queryset: QuerySet[Return], status: str) -> None:
        done, refused = 0, []
        for ret in queryset.select_related("shop"):
            try:
                return_status_change(
                    shop=ret.shop,
                    return_id=ret.id,
                    actor=request.user,
                    status=status,
                    note="By an administrator.",
                )
                done += 1
            except ApiError as exc:
                refused.append(f"{ret.id}: {exc.message}")
        if done:
            self.message_user(request, f"{done} return(s) {status}.", messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.WARNING)

    @admin.action(description="Approve selected returns")
    def approve_returns(self, request: HttpRequest, queryset: QuerySet[Return]) -> None:
        self._move(request, queryset, Return.Status.APPROVED)

    @admin.action(description="Reject selected returns")
    def reject_returns(self, request: HttpRequest, queryset: QuerySet[Return]) -> None:
        self._move(request, queryset, Return.Status.REJECTED)

    @admin.action(description="Mark selected returns received (restocks the units)")
    def receive_returns(self, request: HttpRequest, queryset: QuerySet[Return]) -> None:
        self._move(request, queryset, Return.Status.RECEIVED)

    @admin.action(description="Refund selected returns (through Paystack, or recorded as cash)")
    def refund_returns(self, request: HttpRequest, queryset: QuerySet[Return]) -> None:
        self._move(request, queryset, Return.Status.REFUNDED)
