"""The catalogue: categories, products, images and inventory.

Public reads are anonymous (and cached for anonymous callers: `core.catalogue_cache`); writes are
for members of the product's shop, found through a queryset scoped to the caller's shops
(`product_for_member`), so other tenants get 404.
"""

from __future__ import annotations

import uuid

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.catalogue_cache import PublicCatalogueCacheMixin
from core.errors import NotFound, raises
from core.parsers import MultiPartParser
from core.permissions import IsPlatformAdmin
from core.responses import created, no_content, ok
from core.serializers import represent
from products.catalogue_csv import MAX_FILE_BYTES, MAX_ROWS, catalogue_import, export_csv
from products.filters import CategoryFilter, ProductFilter, ProductFilterBackend
from products.inventory import stock_adjust, variant_stock_adjust
from products.models import Category, Product, ProductImage, ProductVariant
from products.selectors import (
    attach_catalogue_relations,
    categories_list,
    category_get,
    movements_for_product,
    movements_for_variant,
    product_for_member,
    product_for_representation,
    product_get_visible,
    products_of_shop,
    products_public,
    variant_for_member,
)
from products.serializers import (
    CatalogueImportResultSerializer,
    CatalogueImportSerializer,
    CategoryCreateSerializer,
    CategorySerializer,
    CategoryUpdateSerializer,
    InventoryAdjustSerializer,
    InventorySerializer,
    ProductImageSerializer,
    ProductImageUploadSerializer,
    ProductSerializer,
    ProductUpdateSerializer,
    ProductWriteSerializer,
    StockLevelSerializer,
    VariantCreateSerializer,
    VariantInventorySerializer,
    VariantSerializer,
    VariantStockLevelSerializer,
    VariantUpdateSerializer,
)
from products.services import (
    category_create,
    category_delete,
    category_update,
    product_create,
    product_delete,
    product_image_add,
    product_image_delete,
    product_update,
)
from products.variants import variant_create, variant_delete, variant_update
from shops.selectors import shop_membership

INCLUDE_INACTIVE_PARAM = OpenApiParameter(
    "include_inactive",
    OpenApiTypes.STR,
    enum=["true", "false"],
    description="Members of the shop only: also list inactive products.",
)


# --- Categories ------------------------------------------------------------------------------


class CategoryListCreateView(GenericAPIView):
    queryset = Category.objects.all()
    serializer_class = CategorySerializer
    filterset_class = CategoryFilter

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method == "POST":
            return [IsPlatformAdmin()]
        return [AllowAny()]

    def get_queryset(self):
        return categories_list()

    @extend_schema(
        tags=["categories"], summary="List categories", responses=CategorySerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        response = self.get_paginated_response(self.get_serializer(page, many=True).data)
        response.message = "Categories."
        return response

    @extend_schema(
        tags=["categories"],
        summary="Create a category (admin)",
        request=CategoryCreateSerializer,
        responses={201: CategorySerializer},
    )
    @raises(category_create)
    def post(self, request: Request) -> Response:
        body = CategoryCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        category = category_create(**body.validated_data)
        return created(self.get_serializer(category).data, "Category created.")


class CategoryDetailView(GenericAPIView):
    queryset = Category.objects.all()
    serializer_class = CategorySerializer

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method == "GET":
            return [AllowAny()]
        return [IsPlatformAdmin()]

    @extend_schema(tags=["categories"], summary="Show a category")
    def get(self, request: Request, category_id: uuid.UUID) -> Response:
        return ok(self.get_serializer(category_get(category_id=category_id)).data, "Category.")

    @extend_schema(
        tags=["categories"],
        summary="Update a category (admin)",
        description="Rename, re-slug or move it under another parent.",
        request=CategoryUpdateSerializer,
        responses=CategorySerializer,
    )
    @raises(category_update)
    def patch(self, request: Request, category_id: uuid.UUID) -> Response:
        category = category_get(category_id=category_id)
        body = CategoryUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        category = category_update(category=category, data=body.validated_data)
        return ok(self.get_serializer(category).data, "Category updated.")

    @extend_schema(
        tags=["categories"],
        summary="Delete a category (admin)",
        description="`409 conflict` while it has sub-categories or products.",
        request=None,
        responses={204: OpenApiResponse(description="Deleted.")},
    )
    @raises(category_delete)
    def delete(self, request: Request, category_id: uuid.UUID) -> Response:
        category_delete(category=category_get(category_id=category_id))
        return no_content()


# --- Products --------------------------------------------------------------------------------


class ProductListView(PublicCatalogueCacheMixin, GenericAPIView):
    signed_in_reads_cache = signed_in_fills_cache = True  # the same list for everyone
    # Keyset pages (`?cursor=`) follow the list's default order (`ProductFilter.default_order`):
    # scrolling a category deep costs what its first page does.
    cursor_ordering = ("-created_at", "-id")
    queryset = Product.objects.all()
    serializer_class = ProductSerializer
    filterset_class = ProductFilter
    filter_backends = [ProductFilterBackend]
    permission_classes = [AllowAny]

    def get_queryset(self):
        return products_public().select_related("shop")

    @extend_schema(
        tags=["products"], summary="List products", responses=ProductSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        attach_catalogue_relations(page)
        response = self.get_paginated_response(
            represent(ProductSerializer, page, request=request, many=True)
        )
        response.message = "Products."
        return response


class IncludeInactiveSerializer(serializers.Serializer):
    include_inactive = serializers.ChoiceField(choices=("true", "false"), required=False)


class ShopProductListCreateView(PublicCatalogueCacheMixin, GenericAPIView):
    # Keyset pages (`?cursor=`) follow the list's default order (`ProductFilter.default_order`).
    cursor_ordering = ("-created_at", "-id")
    queryset = Product.objects.all()
    serializer_class = ProductSerializer
    filterset_class = ProductFilter
    filter_backends = [ProductFilterBackend]

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method == "POST":
            return [IsAuthenticated()]
        return [AllowAny()]

    @extend_schema(
        tags=["products"],
        summary="List a shop's products",
        parameters=[INCLUDE_INACTIVE_PARAM],
        responses=ProductSerializer(many=True),
    )
    def get(self, request: Request, shop_id: uuid.UUID) -> Response:
        query = IncludeInactiveSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        include_inactive = query.validated_data.get("include_inactive") == "true"
        _, products = products_of_shop(
            user=request.user, shop_id=shop_id, include_inactive=include_inactive
        )
        products = products.select_related("shop")
        page = self.paginate_queryset(self.filter_queryset(products))
        attach_catalogue_relations(page)
        response = self.get_paginated_response(
            represent(ProductSerializer, page, request=request, many=True)
        )
        response.message = "Products."
        return response

    @extend_schema(
        tags=["products"],
        summary="Create a product (shop members)",
        request=ProductWriteSerializer,
        responses={201: ProductSerializer},
    )
    @raises(product_create)
    def post(self, request: Request, shop_id: uuid.UUID) -> Response:
        shop = shop_membership(user=request.user, shop_id=shop_id).shop
        body = ProductWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        product = product_create(shop=shop, actor=request.user, **body.validated_data)
        return created(
            self.get_serializer(product_for_representation(product_id=product.id)).data,
            "Product created.",
        )


class ProductDetailView(PublicCatalogueCacheMixin, GenericAPIView):
    signed_in_reads_cache = True  # a stored answer is a public product's, the same for members
    queryset = Product.objects.all()
    serializer_class = ProductSerializer

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method == "GET":
            return [AllowAny()]
        return [IsAuthenticated()]

    @extend_schema(tags=["products"], summary="Show a product")
    def get(self, request: Request, product_id: uuid.UUID) -> Response:
        product = product_get_visible(user=request.user, product_id=product_id)
        return ok(represent(ProductSerializer, product, request=request), "Product.")

    @extend_schema(
        tags=["products"],
        summary="Update a product (shop members)",
        request=ProductUpdateSerializer,
        responses=ProductSerializer,
    )
    @raises(product_update)
    def patch(self, request: Request, product_id: uuid.UUID) -> Response:
        product, _ = product_for_member(user=request.user, product_id=product_id)
        body = ProductUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        product = product_update(product=product, data=body.validated_data)
        return ok(
            self.get_serializer(product_for_representation(product_id=product.id)).data,
            "Product updated.",
        )

    @extend_schema(
        tags=["products"],
        summary="Delete a product (shop members)",
        description="A product that was ever ordered is deactivated instead.",
        request=None,
        responses={204: OpenApiResponse(description="Deleted or deactivated.")},
    )
    def delete(self, request: Request, product_id: uuid.UUID) -> Response:
        product, _ = product_for_member(user=request.user, product_id=product_id)
        product_delete(product=product)
        return no_content()


# --- Images ----------------------------------------------------------------------------------


class ProductImageListView(GenericAPIView):
    queryset = ProductImage.objects.all()
    serializer_class = ProductImageSerializer
    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=["products"],
        summary="Upload a product image (shop members)",
        request={"multipart/form-data": ProductImageUploadSerializer},
        responses={201: ProductImageSerializer},
    )
    @raises(product_image_add)
    def post(self, request: Request, product_id: uuid.UUID) -> Response:
        product, _ = product_for_member(user=request.user, product_id=product_id)
        body = ProductImageUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        image = product_image_add(product=product, upload=body.validated_data["image"])
        return created(self.get_serializer(image).data, "Image added.")


class ProductImageDetailView(GenericAPIView):
    queryset = ProductImage.objects.all()
    serializer_class = ProductImageSerializer

    @extend_schema(
        tags=["products"],
        summary="Delete a product image (shop members)",
        request=None,
        responses={204: OpenApiResponse(description="Deleted.")},
    )
    def delete(self, request: Request, product_id: uuid.UUID, image_id: uuid.UUID) -> Response:
        product, _ = product_for_member(user=request.user, product_id=product_id)
        image = ProductImage.objects.filter(product=product, id=image_id).first()
        if image is None:
            raise NotFound("Image not found.")
        product_image_delete(image=image)
        return no_content()


# --- Inventory -------------------------------------------------------------------------------


class ProductInventoryView(GenericAPIView):
    queryset = Product.objects.all()
    serializer_class = InventorySerializer

    @extend_schema(
        tags=["inventory"],
        summary="Show a product's stock (shop members)",
        description="The stock and the newest 50 movements.",
        responses=InventorySerializer,
    )
    def get(self, request: Request, product_id: uuid.UUID) -> Response:
        product, _ = product_for_member(user=request.user, product_id=product_id)
        data = {
            "product_id": product.id,
            "stock": product.stock,
            "movements": movements_for_product(product=product),
        }
        return ok(InventorySerializer(data).data, "Inventory.")

    @extend_schema(
        tags=["inventory"],
        summary="Adjust a product's stock (shop members)",
        description=(
            "Add, remove or set the stock; each change is a movement. A product with several "
            "variants: `409 conflict` (use the variant's inventory)."
        ),
        request=InventoryAdjustSerializer,
        responses=StockLevelSerializer,
    )
    @raises(stock_adjust)
    def post(self, request: Request, product_id: uuid.UUID) -> Response:
        product, _ = product_for_member(user=request.user, product_id=product_id)
        body = InventoryAdjustSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        variant = stock_adjust(product_id=product.id, actor=request.user, **body.validated_data)
        data = {"product_id": product.id, "stock": variant.stock}
        return ok(StockLevelSerializer(data).data, "Stock updated.")


# --- Variants --------------------------------------------------------------------------------


class ProductVariantListView(GenericAPIView):
    queryset = ProductVariant.objects.all()
    serializer_class = VariantSerializer

    @extend_schema(
        tags=["products"],
        summary="Add a variant to a product with options (shop members)",
        description="SKU taken in the shop (ignoring case), or options already on sale: 409.",
        request=VariantCreateSerializer,
        responses={201: VariantSerializer},
    )
    @raises(variant_create)
    def post(self, request: Request, product_id: uuid.UUID) -> Response:
        product, _ = product_for_member(user=request.user, product_id=product_id)
        body = VariantCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        variant = variant_create(product=product, actor=request.user, **body.validated_data)
        return created(VariantSerializer(variant).data, "Variant created.")


class ProductVariantDetailView(GenericAPIView):
    queryset = ProductVariant.objects.all()
    serializer_class = VariantSerializer

    @extend_schema(
        tags=["products"],
        summary="Change a variant's SKU, price or active flag (shop members)",
        request=VariantUpdateSerializer,
        responses=VariantSerializer,
    )
    @raises(variant_update)
    def patch(self, request: Request, product_id: uuid.UUID, variant_id: uuid.UUID) -> Response:
        variant = variant_for_member(
            user=request.user, variant_id=variant_id, product_id=product_id
        )
        body = VariantUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        variant = variant_update(variant=variant, data=body.validated_data)
        return ok(VariantSerializer(variant).data, "Variant updated.")

    @extend_schema(
        tags=["products"],
        summary="Delete a variant (shop members); deactivated instead once it was ordered",
        request=None,
        responses={204: OpenApiResponse(description="Deleted or deactivated.")},
    )
    @raises(variant_delete)
    def delete(self, request: Request, product_id: uuid.UUID, variant_id: uuid.UUID) -> Response:
        variant = variant_for_member(
            user=request.user, variant_id=variant_id, product_id=product_id
        )
        variant_delete(variant=variant)
        return no_content()


class VariantInventoryView(GenericAPIView):
    queryset = ProductVariant.objects.all()
    serializer_class = VariantInventorySerializer

    @extend_schema(
        tags=["inventory"],
        summary="A variant's stock and its newest 50 movements (shop members)",
        responses=VariantInventorySerializer,
    )
    def get(self, request: Request, variant_id: uuid.UUID) -> Response:
        variant = variant_for_member(user=request.user, variant_id=variant_id)
        data = {
            "variant_id": variant.id,
            "product_id": variant.product_id,
            "stock": variant.stock,
            "movements": movements_for_variant(variant=variant),
        }
        return ok(VariantInventorySerializer(data).data, "Inventory.")

    @extend_schema(
        tags=["inventory"],
        summary="Add, remove or set a variant's stock (shop members)",
        request=InventoryAdjustSerializer,
        responses=VariantStockLevelSerializer,
    )
    @raises(variant_stock_adjust)
    def post(self, request: Request, variant_id: uuid.UUID) -> Response:
        variant = variant_for_member(user=request.user, variant_id=variant_id)
        body = InventoryAdjustSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        variant = variant_stock_adjust(
            variant_id=variant.id, actor=request.user, **body.validated_data
        )
        data = {"variant_id": variant.id, "product_id": variant.product_id, "stock": variant.stock}
        return ok(VariantStockLevelSerializer(data).data, "Stock updated.")


# --- Catalogue files -------------------------------------------------------------------------


class CatalogueExportView(GenericAPIView):
    queryset = Product.objects.all()
    serializer_class = None

    @extend_schema(
        tags=["products"],
        summary="The shop's catalogue as CSV, one row a variant (shop members)",
        description=(
            "Columns: `product_name`, `description`, `category_slugs` (`|` between slugs), "
            "`option1_name`, `option1_value` ... `option3_value`, `sku`, `price`, `stock`, "
            "`is_active`. A cell that would start with `=`, `+`, `-`, `@` (or `'`) is written "
            "behind a `'`, so that a spreadsheet shows it as text."
        ),
        responses={(200, "text/csv"): OpenApiResponse(response=OpenApiTypes.STR)},
    )
    def get(self, request: Request, shop_id: uuid.UUID) -> HttpResponse:
        shop = shop_membership(user=request.user, shop_id=shop_id).shop
        response = HttpResponse(export_csv(shop=shop), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="catalogue-{shop.code}.csv"'
        return response


class CatalogueImportView(GenericAPIView):
    queryset = Product.objects.all()
    serializer_class = CatalogueImportResultSerializer
    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=["products"],
        summary="Create and update the shop's products and variants from a CSV file",
        description=(
            f"The columns of the export; at most {MAX_FILE_BYTES // 2**20} MB and {MAX_ROWS} "
            "rows, in UTF-8. Rows are matched by `sku` (ignoring case). All or nothing: any "
            "invalid row is `400 validation_error` with `errors.rows` = `[{row, field, "
            "message}]` (`row`: the line in the file, the header being 1) and nothing changes. "
            "A stock change writes an inventory movement with reason `import`. A cell starting "
            "with `=`, `+`, `-` or `@` must be written behind a `'` (as the export does)."
        ),
        request={"multipart/form-data": CatalogueImportSerializer},
        responses=CatalogueImportResultSerializer,
    )
    @raises(catalogue_import)
    def post(self, request: Request, shop_id: uuid.UUID) -> Response:
        shop = shop_membership(user=request.user, shop_id=shop_id).shop
        body = CatalogueImportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = catalogue_import(shop=shop, actor=request.user, upload=body.validated_data["file"])
        return ok(CatalogueImportResultSerializer(result).data, "Catalogue imported.")
