"""The catalogue: categories, products, images and inventory.

Public reads are anonymous (and cached for anonymous callers: `core.catalogue_cache`); writes are
for members of the product's shop, found through a queryset scoped to the caller's shops
(`product_for_member`), so other tenants get 404.
"""

from __future__ import annotations

import uuid

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
from products.filters import CategoryFilter, ProductFilter, ProductFilterBackend
from products.inventory import stock_adjust
from products.models import Category, Product, ProductImage
from products.selectors import (
    attach_catalogue_relations,
    categories_list,
    category_get,
    movements_for_product,
    product_for_member,
    product_for_representation,
    product_get_visible,
    products_of_shop,
    products_public,
)
from products.serializers import (
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
        page = self.paginate_queryset(self.filter_queryset(products.select_related("shop")))
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
        description="Add, remove or set the stock; each change is a movement.",
        request=InventoryAdjustSerializer,
        responses=StockLevelSerializer,
    )
    @raises(stock_adjust)
    def post(self, request: Request, product_id: uuid.UUID) -> Response:
        product, _ = product_for_member(user=request.user, product_id=product_id)
        body = InventoryAdjustSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        product = stock_adjust(product_id=product.id, actor=request.user, **body.validated_data)
        data = {"product_id": product.id, "stock": product.stock}
        return ok(StockLevelSerializer(data).data, "Stock updated.")
