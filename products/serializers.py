from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serializers import PlannedSerializer, absolute_url
from products.inventory import MAX_STOCK
from products.models import (
    MAX_CATEGORIES_PER_PRODUCT,
    MAX_OPTIONS,
    Category,
    InventoryMovement,
    Product,
    ProductImage,
)
from products.variants import VariantSpec
from shops.serializers import ShopRefSerializer

MAX_PRICE = Decimal("9999999999.99")


def _clean_name(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise serializers.ValidationError("This field may not be blank.")
    return value


# --- Categories ------------------------------------------------------------------------------


class CategorySerializer(serializers.ModelSerializer):
    """A category; `commission_percent` only for platform admins."""

    parent_id = serializers.UUIDField(read_only=True, allow_null=True)
    # Not read-only only so that the schema marks it optional: this is an output serializer.
    commission_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        allow_null=True,
        required=False,
        help_text="Admins only: the commission rate of the category's products (null: unset).",
    )

    class Meta:
        model = Category
        fields = ("id", "name", "slug", "parent_id", "commission_percent")
        read_only_fields = ("id", "name", "slug", "parent_id")

    def to_representation(self, instance: Category) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not getattr(request.user, "is_platform_admin", False):
            data.pop("commission_percent", None)
        return data


def _commission_field() -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        required=False,
        allow_null=True,
        help_text="The commission rate (percent) of the category's products; null: unset.",
    )


class CategoryCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    parent_id = serializers.UUIDField(required=False, allow_null=True, default=None)
    commission_percent = _commission_field()

    def validate_name(self, value: str) -> str:
        return _clean_name(value)


class CategoryUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    slug = serializers.SlugField(max_length=120, required=False)
    parent_id = serializers.UUIDField(required=False, allow_null=True)
    commission_percent = _commission_field()

    def validate_name(self, value: str) -> str:
        return _clean_name(value)

    def validate_slug(self, value: str) -> str:
        return value.lower()


class CategoryRefSerializer(PlannedSerializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    slug = serializers.CharField(read_only=True)


# --- Products --------------------------------------------------------------------------------


# A `ProductImage`, or the `ImageRef` of `products.selectors.attach_catalogue_relations` (`image`
# is then the file's name: a file field's `str()` is its name too).
class ProductImageSerializer(PlannedSerializer):
    id = serializers.UUIDField(read_only=True)
    url = serializers.SerializerMethodField()
    position = serializers.IntegerField(read_only=True)

    @extend_schema_field({"type": "string", "format": "uri"})
    def get_url(self, image: ProductImage) -> str | None:
        name = str(image.image)
        if not name:
            return None
        return absolute_url(self.context, _IMAGE_STORAGE.url(name))


_IMAGE_STORAGE = ProductImage._meta.get_field("image").storage


def _price(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True, **kwargs)


class OptionSerializer(PlannedSerializer):
    name = serializers.CharField(read_only=True)
    values = serializers.ListField(child=serializers.CharField(), read_only=True)


# A `ProductVariant`, or the `VariantRef` of `products.selectors.attach_variants`.
class VariantSerializer(PlannedSerializer):
    id = serializers.UUIDField(read_only=True)
    sku = serializers.CharField(read_only=True)
    options = serializers.DictField(
        child=serializers.CharField(), read_only=True, help_text='`{"Size": "M"}`'
    )
    price = _price()
    stock = serializers.IntegerField(read_only=True)
    in_stock = serializers.SerializerMethodField()
    is_active = serializers.BooleanField(read_only=True)

    def get_in_stock(self, variant: Any) -> bool:
        return variant.stock > 0


class ProductSerializer(PlannedSerializer):
    """Reads the relations `products.selectors.attach_catalogue_relations` sets (`image_list`,
    `category_list`, `variant_list` and the figures of `attach_variants`) and the product's
    `shop` (`select_related`)."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    slug = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    price = _price(source="price_low", allow_null=True, help_text="The lowest active variant's.")
    currency = serializers.SerializerMethodField()
    stock = serializers.IntegerField(
        source="stock_total", read_only=True, help_text="The active variants' stock added up."
    )
    in_stock = serializers.SerializerMethodField()
    is_active = serializers.BooleanField(read_only=True)
    shop = ShopRefSerializer(read_only=True)
    categories = CategoryRefSerializer(many=True, read_only=True, source="category_list")
    images = ProductImageSerializer(many=True, read_only=True, source="image_list")
    rating_average = serializers.DecimalField(
        max_digits=2, decimal_places=1, read_only=True, allow_null=True
    )
    rating_count = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    options = OptionSerializer(many=True, read_only=True)
    variants = VariantSerializer(many=True, read_only=True, source="variant_list")
    price_min = _price(source="price_low", allow_null=True)
    price_max = _price(source="price_high", allow_null=True)

    def get_currency(self, product: Product) -> str:
        return settings.CURRENCY

    def get_in_stock(self, product: Product) -> bool:
        return product.stock_total > 0


def _money_in(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0.01"), max_value=MAX_PRICE, **kwargs
    )


SKU_FIELD = {
    "max_length": 64,
    "regex": r"^[A-Za-z0-9][A-Za-z0-9._/-]*$",
    "help_text": "Unique in the shop, ignoring case: letters, digits, `.`, `_`, `/`, `-`.",
}
OPTION_VALUES = {"child": serializers.CharField(max_length=100), "max_length": 100}


class OptionInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    values = serializers.ListField(min_length=1, **OPTION_VALUES)


class VariantCreateSerializer(serializers.Serializer):
    sku = serializers.RegexField(required=False, **SKU_FIELD)
    options = serializers.DictField(
        child=serializers.CharField(max_length=100),
        help_text='One value for each of the product\'s options: `{"Size": "M"}`.',
    )
    price = _money_in()
    stock = serializers.IntegerField(
        min_value=0, max_value=MAX_STOCK, default=0, help_text="Initial stock."
    )
    is_active = serializers.BooleanField(default=True)

    def validate_options(self, value: dict[str, str]) -> dict[str, str]:
        if len(value) > MAX_OPTIONS:
            raise serializers.ValidationError(f"A product has at most {MAX_OPTIONS} options.")
        return value


class VariantUpdateSerializer(serializers.Serializer):
    """PATCH body: `stock` is changed only through the variant's inventory endpoint."""

    sku = serializers.RegexField(required=False, **SKU_FIELD)
    price = _money_in(required=False)
    is_active = serializers.BooleanField(required=False)


class ProductWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=10_000, allow_blank=True, default="")
    price = _money_in(required=False, help_text="Required for a product without options.")
    category_ids = serializers.ListField(
        child=serializers.UUIDField(), max_length=MAX_CATEGORIES_PER_PRODUCT, default=list
    )
    stock = serializers.IntegerField(
        min_value=0, max_value=MAX_STOCK, default=0, help_text="Initial stock."
    )
    is_active = serializers.BooleanField(default=True)
    sku = serializers.RegexField(required=False, **SKU_FIELD)
    options = OptionInputSerializer(
        many=True, required=False, help_text=f"At most {MAX_OPTIONS}: `[{{name, values}}]`."
    )
    variants = VariantCreateSerializer(
        many=True, required=False, help_text="With `options`: one per combination on sale."
    )

    def validate_name(self, value: str) -> str:
        return _clean_name(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("options"):
            if not attrs.get("variants"):
                raise serializers.ValidationError({"variants": ["Give at least one variant."]})
            if len(attrs["variants"]) > 100:
                raise serializers.ValidationError({"variants": ["At most 100 variants."]})
            attrs["variants"] = [VariantSpec(**variant) for variant in attrs["variants"]]
        elif attrs.get("variants"):
            raise serializers.ValidationError({"options": ["Variants need options."]})
        elif "price" not in attrs and not self.partial:
            raise serializers.ValidationError({"price": ["This field is required."]})
        return attrs


class ProductUpdateSerializer(ProductWriteSerializer):
    """PATCH body. `stock`, `shop`, `slug` and the like are not accepted here (ignored); nor
    are `sku`, `options` and `variants` (the variants' own endpoints change those)."""

    stock = None  # changed only through the inventory endpoint
    sku = None
    options = None
    variants = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


class ProductImageUploadSerializer(serializers.Serializer):
    image = serializers.FileField(help_text="JPEG, PNG or WebP, at most 5 MB.")


# --- Inventory -------------------------------------------------------------------------------


class ActorSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.SerializerMethodField()

    def get_name(self, user: Any) -> str:
        return user.full_name or user.handle or user.email or ""


class InventoryMovementSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    variant_id = serializers.UUIDField(read_only=True)
    delta = serializers.IntegerField(read_only=True)
    reason = serializers.ChoiceField(choices=InventoryMovement.Reason.choices, read_only=True)
    stock_after = serializers.IntegerField(read_only=True)
    actor = ActorSerializer(read_only=True, allow_null=True)
    order_id = serializers.UUIDField(read_only=True, allow_null=True)
    note = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class InventorySerializer(serializers.Serializer):
    product_id = serializers.UUIDField(read_only=True)
    stock = serializers.IntegerField(read_only=True)
    movements = InventoryMovementSerializer(many=True, read_only=True)


class StockLevelSerializer(serializers.Serializer):
    product_id = serializers.UUIDField(read_only=True)
    stock = serializers.IntegerField(read_only=True)


class VariantInventorySerializer(serializers.Serializer):
    variant_id = serializers.UUIDField(read_only=True)
    product_id = serializers.UUIDField(read_only=True)
    stock = serializers.IntegerField(read_only=True)
    movements = InventoryMovementSerializer(many=True, read_only=True)


class VariantStockLevelSerializer(serializers.Serializer):
    variant_id = serializers.UUIDField(read_only=True)
    product_id = serializers.UUIDField(read_only=True)
    stock = serializers.IntegerField(read_only=True)


class InventoryAdjustSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=("add", "remove", "set"))
    quantity = serializers.IntegerField(min_value=0, max_value=MAX_STOCK)
    note = serializers.CharField(max_length=255, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["action"] in ("add", "remove") and attrs["quantity"] == 0:
            raise serializers.ValidationError({"quantity": ["Must be greater than 0."]})
        return attrs


# --- Catalogue files -------------------------------------------------------------------------


class CatalogueImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A CSV file in UTF-8, at most 5 MB.")


class CatalogueImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField(read_only=True, help_text="Variants created.")
    updated = serializers.IntegerField(read_only=True, help_text="Rows that changed something.")
    unchanged = serializers.IntegerField(read_only=True)
    rows = serializers.IntegerField(read_only=True)
