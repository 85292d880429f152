"""Admin: shops with their staff inline (staff accounts are created through the API)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from core.admin import CatalogueChangeAdminMixin
from core.catalogue_cache import catalogue_changed
from shops.models import Shop
from users.models import User


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


@admin.register(Shop)
class ShopAdmin(CatalogueChangeAdminMixin, admin.ModelAdmin):
    list_display = ["name", "owner", "code", "delivery_fee", "is_active", "created_at"]
    list_filter = ["is_active", "created_at"]
    search_fields = ["name", "code", "owner__email"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    # The delivery fee is the owner's, set through the API (validated there).
    readonly_fields = ["id", "code", "delivery_fee", "created_at", "updated_at"]
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
        "is_active",
        "created_at",
        "updated_at",
    ]
    inlines = [StaffInline]
    actions = ["deactivate", "activate"]

    @admin.action(description="Deactivate the selected shops")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Shop]) -> None:
        queryset.update(is_active=False)
        catalogue_changed()

    @admin.action(description="Activate the selected shops")
    def activate(self, request: HttpRequest, queryset: QuerySet[Shop]) -> None:
        queryset.update(is_active=True)
        catalogue_changed()
