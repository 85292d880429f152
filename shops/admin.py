"""Admin: shops with their staff (created through the API) and delivery zones inline."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from core.admin import CatalogueChangeAdminMixin
from core.catalogue_cache import catalogue_changed
from core.errors import InvalidInput, InvalidTransition
from shops.delivery import zone_states_clean
from shops.models import DeliveryZone, Shop, ShopStatus, ShopStatusEvent
from shops.services import shop_status_change
from users.models import User


class StatusEventInline(admin.TabularInline):
    model = ShopStatusEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "from_status", "to_status", "note", "actor"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Shop | None = None) -> bool:
        return False


class StaffInline(admin.TabularInline):
    model = User
    fk_name = "shop"
    verbose_name = "staff member"
    verbose_name_plural = "staff"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["handle", "first_name", "last_name", "is_active", "last_login", "date_joined"]
    readonly_fields = ["handle", "last_login", "date_joined"]

    def has_add_permission(self, request: HttpRequest, obj: Shop | None = None) -> bool:
        # A staff account needs a validated password: the owner creates it through the API.
        return False


class DeliveryZoneForm(forms.ModelForm):
    """The API's checks of a zone's own fields: its states (codes or names of its country's,
    or `*` alone) and its days in order. Which zone covers a state when two of a shop's name it
    is settled by `shops.delivery` (the cheaper)."""

    class Meta:
        model = DeliveryZone
        exclude: list[str] = []

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("country") and isinstance(data.get("states"), list):
            try:
                data["states"] = zone_states_clean(country=data["country"], states=data["states"])
            except InvalidInput as refused:
                self.add_error("states", refused.errors["states"])
        days_min, days_max = data.get("days_min"), data.get("days_max")
        if days_min is not None and days_max is not None and days_min > days_max:
            self.add_error("days_max", "Must not be less than days min.")
        return data


class DeliveryZoneInline(admin.TabularInline):
    model = DeliveryZone
    form = DeliveryZoneForm
    extra = 0
    fields = ["name", "country", "states", "fee", "free_over", "days_min", "days_max"]


@admin.register(Shop)
class ShopAdmin(CatalogueChangeAdminMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "owner",
        "code",
        "status",
        "rating_average",
        "rating_count",
        "delivery_fee",
        "is_active",
        "created_at",
    ]
    list_filter = ["status", "is_active", "payouts_paused", "created_at"]
    search_fields = ["name", "code", "owner__email"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    # The delivery fee is the owner's, set through the API (validated there). The status moves
    # through the actions below (each one e-mails the owner); the ratings are kept by the reviews.
    readonly_fields = [
        "id",
        "code",
        "delivery_fee",
        "status",
        "status_note",
        "rating_average",
        "rating_count",
        "created_at",
        "updated_at",
    ]
    fields = [
        "id",
        "name",
        "owner",
        "code",
        "description",
        "logo",
        "delivery_fee",
        "low_stock_threshold",
        "paystack_subaccount_code",
        "commission_percent",
        "payouts_paused",
        "is_active",
        "status",
        "status_note",
        "rating_average",
        "rating_count",
        "created_at",
        "updated_at",
    ]
    inlines = [StatusEventInline, StaffInline, DeliveryZoneInline]
    actions = ["approve", "reject", "suspend", "reinstate", "deactivate", "activate"]

    def _move(self, request: HttpRequest, queryset: QuerySet[Shop], status: str) -> None:
        moved, refused = 0, []
        for shop in queryset:
            try:
                shop_status_change(shop_id=shop.id, status=status, actor=request.user)
                moved += 1
            except InvalidTransition:
                refused.append(shop.name)
        if moved:
            self.message_user(request, f"{moved} shop(s) now {status}; their owners are e-mailed.")
        if refused:
            self.message_user(
                request,
                f"Not moved to {status} (not allowed from their status): {', '.join(refused)}.",
                messages.WARNING,
            )

    @admin.action(description="Approve the selected pending (or rejected) shops")
    def approve(self, request: HttpRequest, queryset: QuerySet[Shop]) -> None:
        self._move(request, queryset, ShopStatus.APPROVED)

    @admin.action(description="Reject the selected pending shops")
    def reject(self, request: HttpRequest, queryset: QuerySet[Shop]) -> None:
        self._move(request, queryset, ShopStatus.REJECTED)

    @admin.action(description="Suspend the selected shops")
    def suspend(self, request: HttpRequest, queryset: QuerySet[Shop]) -> None:
        self._move(request, queryset, ShopStatus.SUSPENDED)

    @admin.action(description="Reinstate the selected suspended shops")
    def reinstate(self, request: HttpRequest, queryset: QuerySet[Shop]) -> None:
        self._move(request, queryset, ShopStatus.APPROVED)

    @admin.action(description="Deactivate the selected shops")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Shop]) -> None:
        queryset.update(is_active=False)
        catalogue_changed()

    @admin.action(description="Activate the selected shops")
    def activate(self, request: HttpRequest, queryset: QuerySet[Shop]) -> None:
        queryset.update(is_active=True)
        catalogue_changed()
