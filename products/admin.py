"""Admin: categories, products (variants and images inline, stock read-only) and the read-only
ledger.

Stock is changed only through `products.inventory` (the API's inventory endpoints), so that the
movement ledger always adds up: a variant added here starts with no stock. Image uploads go
through the API, which validates them. Every change made here invalidates the public
catalogue's cache (`core.catalogue_cache`).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import OuterRef, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from core.admin import CatalogueChangeAdminMixin, ExistsListFilter, GrowingTableAdmin, titled
from core.catalogue_cache import catalogue_changed
from products.models import (
    MAX_CATEGORIES_PER_PRODUCT,
    Category,
    InventoryMovement,
    Product,
    ProductImage,
    ProductVariant,
    options_key,
)
from products.variants import product_prices_refresh


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


class ProductVariantInline(admin.TabularInline):
    model = ProductVariant
    extra = 0
    fields = ["sku", "options", "price", "stock", "is_active", "created_at"]
    readonly_fields = ["stock", "created_at"]


class ProductCategoryFilter(ExistsListFilter):
    """Products in the chosen category (same query string as Django's filter on `categories`),
    by `EXISTS`: no join of the product table with its category links, so no `DISTINCT`."""

    title = "categories"
    parameter_name = "categories__id__exact"

    def choice_list(self) -> QuerySet:
        return Category.objects.order_by("name", "id").values_list("id", "name")

    def related(self, value: str) -> QuerySet:
        links = Product.categories.through.objects
        return links.filter(product_id=OuterRef("pk"), category_id=value)


class ProductAdminForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = ["categories"]  # and the others of `ProductAdmin.fields`

    def clean_categories(self) -> QuerySet[Category]:
        """At most as many categories as the API allows (their ids are stored on the product and
        indexed on PostgreSQL)."""
        categories = self.cleaned_data["categories"]
        if len(categories) > MAX_CATEGORIES_PER_PRODUCT:
            raise forms.ValidationError(
                f"A product can be in at most {MAX_CATEGORIES_PER_PRODUCT} categories."
            )
        return categories


@admin.register(Product)
class ProductAdmin(GrowingTableAdmin, CatalogueChangeAdminMixin, admin.ModelAdmin):
    form = ProductAdminForm
    list_display = ["name", "shop", "is_active", "created_at"]
    list_filter = [
        "is_active",
        # Choices from the shops, not from a scan of the products.
        "shop",
        ("shop__is_active", titled(admin.BooleanFieldListFilter, "shop active")),
        ProductCategoryFilter,
        "created_at",
    ]
    search_fields = ["name", "slug", "shop__name", "shop__code"]
    list_select_related = ["shop"]
    raw_id_fields = ["shop"]
    filter_horizontal = ["categories"]
    readonly_fields = ["id", "created_at", "updated_at"]
    fields = [
        "id",
        "shop",
        "name",
        "slug",
        "description",
        "options",
        "is_active",
        "categories",
        "created_at",
        "updated_at",
    ]
    inlines = [ProductVariantInline, ProductImageInline]
    actions = ["deactivate"]

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        """A variant's derived columns (its shop, its SKU's and options' keys) and its product's
        stored price range follow what was edited; its stock never comes from here (new variants
        start at 0)."""
        if formset.model is not ProductVariant:
            super().save_formset(request, form, formset, change)
            return
        variants = formset.save(commit=False)
        for variant in variants:
            variant.shop_id = form.instance.shop_id
            variant.sku_key = variant.sku.lower()
            variant.options_key = options_key(variant.options or {})
            variant.save()
        for variant in formset.deleted_objects:
            variant.delete()
        formset.save_m2m()
        product_prices_refresh([form.instance.id])

    @admin.action(description="Deactivate the selected products")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        queryset.update(is_active=False)
        catalogue_changed()


@admin.register(InventoryMovement)
class InventoryMovementAdmin(GrowingTableAdmin):
    list_display = [
        "created_at",
        "product",
        "variant",
        "delta",
        "reason",
        "stock_after",
        "actor",
        "order",
    ]
    list_filter = ["reason", "created_at"]
    search_fields = ["product__name", "variant__sku", "note"]
    list_select_related = ["product", "variant", "actor", "order"]
    # No `date_hierarchy`: its MIN/MAX and drill-down scan the table (the `created_at` filter
    # remains).

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
