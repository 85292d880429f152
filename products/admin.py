"""Admin: categories, products (images inline, price and stock read-only) and the read-only
ledger.

Stock is changed only through `products.inventory` (the API's inventory endpoint), so that the
movement ledger always adds up; image uploads go through the API, which validates them. Every
change made here invalidates the public catalogue's cache (`core.catalogue_cache`).
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from core.admin import CatalogueChangeAdminMixin, titled
from core.catalogue_cache import catalogue_changed
from products.models import Category, InventoryMovement, Product, ProductImage


@admin.register(Category)
class CategoryAdmin(CatalogueChangeAdminMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "parent", "commission_percent", "created_at"]
    search_fields = ["name", "slug"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    prepopulated_fields = {"slug": ["name"]}


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    extra = 0
    fields = ["preview", "image", "position", "created_at"]
    readonly_fields = ["preview", "image", "created_at"]

    @admin.display(description="preview")
    def preview(self, obj: ProductImage) -> str:
        if not obj.image:
            return "-"
        return format_html('<img src="{}" style="max-height: 80px">', obj.image.url)

    def has_add_permission(self, request: HttpRequest, obj: Product | None = None) -> bool:
        return False


@admin.register(Product)
class ProductAdmin(CatalogueChangeAdminMixin, admin.ModelAdmin):
    list_display = ["name", "shop", "price", "stock", "is_active", "created_at"]
    list_filter = [
        "is_active",
        ("shop", admin.RelatedOnlyFieldListFilter),
        ("shop__is_active", titled(admin.BooleanFieldListFilter, "shop active")),
        "categories",
        "created_at",
    ]
    search_fields = ["name", "slug", "shop__name", "shop__code"]
    list_select_related = ["shop"]
    raw_id_fields = ["shop"]
    filter_horizontal = ["categories"]
    # The price is the shop's (set through the API, validated there); stock moves only through
    # the inventory ledger.
    readonly_fields = ["id", "price", "stock", "created_at", "updated_at"]
    fields = [
        "id",
        "shop",
        "name",
        "slug",
        "description",
        "price",
        "stock",
        "is_active",
        "categories",
        "created_at",
        "updated_at",
    ]
    inlines = [ProductImageInline]
    actions = ["deactivate"]

    @admin.action(description="Deactivate the selected products")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        queryset.update(is_active=False)
        catalogue_changed()


@admin.register(InventoryMovement)
class InventoryMovementAdmin(admin.ModelAdmin):
    list_display = ["created_at", "product", "delta", "reason", "stock_after", "actor", "order"]
    list_filter = ["reason", "created_at"]
    search_fields = ["product__name", "note"]
    list_select_related = ["product", "actor", "order"]
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request: HttpRequest, obj: InventoryMovement | None = None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: InventoryMovement | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: InventoryMovement | None = None
    ) -> bool:
        return False
