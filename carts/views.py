from __future__ import annotations

import uuid

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from carts import services
from carts.models import Cart, WishlistItem
from carts.selectors import cart_item_check, cart_summary, cart_with_items, wishlist_entries
from carts.serializers import (
    CartItemAddSerializer,
    CartItemUpdateSerializer,
    CartQuerySerializer,
    CartSerializer,
)
from core.errors import NotFound, raises
from core.permissions import IsAccountWithEmail
from core.responses import created, no_content, ok
from core.serializers import represent
from products.selectors import attach_catalogue_relations, product_for_representation
from products.serializers import ProductSerializer
from users.selectors import address_get

TAGS = ["cart"]


def _cart_data(request: Request, cart: Cart) -> dict:
    return represent(CartSerializer, cart_summary(cart=cart), request=request)


class CartView(APIView):
    """The caller's cart (accounts with an e-mail; shop staff have none)."""

    permission_classes = [IsAccountWithEmail]

    @extend_schema(
        tags=TAGS,
        parameters=[
            OpenApiParameter(
                "address_id",
                OpenApiTypes.UUID,
                description=(
                    "One of your addresses: each shop's `delivery_fee`, `deliverable` and "
                    "`estimated_delivery` for it (another account's: `404`)."
                ),
            )
        ],
        responses={200: CartSerializer},
        summary="Show the cart",
    )
    @raises(NotFound)
    def get(self, request: Request) -> Response:
        query = CartQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        address_id = query.validated_data.get("address_id")
        address = (
            None if address_id is None else address_get(user=request.user, address_id=address_id)
        )
        cart, items = cart_with_items(user=request.user)
        if cart is None:
            cart = services.cart_get_or_create(user=request.user)
        summary = cart_summary(cart=cart, items=items, address=address)
        return ok(represent(CartSerializer, summary, request=request), "Cart.")

    @extend_schema(
        tags=TAGS,
        responses={204: OpenApiResponse(description="Cart emptied.")},
        summary="Empty the cart",
    )
    def delete(self, request: Request) -> Response:
        services.cart_clear(user=request.user)
        return no_content()


class CartItemsView(APIView):
    permission_classes = [IsAccountWithEmail]

    @extend_schema(
        tags=TAGS,
        request=CartItemAddSerializer,
        responses={201: CartSerializer},
        summary="Add a product to the cart",
        description=(
            "Adds to the line's quantity when the product is already in the cart. Above the "
            "available stock: `409 insufficient_stock`; inactive product or shop: "
            "`409 product_unavailable`; a 101st line or a line above 1000 units: `409 conflict`."
        ),
    )
    @raises(services.cart_item_add)
    def post(self, request: Request) -> Response:
        serializer = CartItemAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cart = services.cart_item_add(user=request.user, **serializer.validated_data)
        return created(_cart_data(request, cart), "Added to the cart.")


class CartItemDetailView(APIView):
    permission_classes = [IsAccountWithEmail]

    @extend_schema(
        tags=TAGS,
        request=CartItemUpdateSerializer,
        responses={200: CartSerializer},
        summary="Set a cart line's quantity",
        description="0 removes the line.",
    )
    @raises(services.cart_item_update)
    def patch(self, request: Request, item_id: uuid.UUID) -> Response:
        cart_item_check(user=request.user, item_id=item_id)
        serializer = CartItemUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cart = services.cart_item_update(
            user=request.user, item_id=item_id, quantity=serializer.validated_data["quantity"]
        )
        return ok(_cart_data(request, cart), "Cart updated.")

    @extend_schema(
        tags=TAGS,
        responses={204: OpenApiResponse(description="Line removed.")},
        summary="Remove a cart line",
    )
    def delete(self, request: Request, item_id: uuid.UUID) -> Response:
        services.cart_item_delete(user=request.user, item_id=item_id)
        return no_content()


class WishlistAddSerializer(serializers.Serializer):
    product_id = serializers.UUIDField()


class WishlistView(GenericAPIView):
    """The caller's wishlist (accounts with an e-mail; shop staff have none)."""

    permission_classes = [IsAccountWithEmail]
    queryset = WishlistItem.objects.none()
    serializer_class = ProductSerializer

    @extend_schema(
        tags=["wishlist"],
        responses={200: ProductSerializer(many=True)},
        summary="Saved products, newest first, with their current price and stock",
    )
    def get(self, request: Request) -> Response:
        entries = self.paginate_queryset(wishlist_entries(user=request.user))
        products = [entry.product for entry in entries]
        attach_catalogue_relations(products)
        response = self.get_paginated_response(
            represent(ProductSerializer, products, request=request, many=True)
        )
        response.message = "Wishlist."
        return response

    @extend_schema(
        tags=["wishlist"],
        request=WishlistAddSerializer,
        responses={201: ProductSerializer, 200: ProductSerializer},
        summary="Save a product (201; 200 when it is saved already)",
    )
    @raises(services.wishlist_add)
    def post(self, request: Request) -> Response:
        body = WishlistAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        product_id = body.validated_data["product_id"]
        added = services.wishlist_add(user=request.user, product_id=product_id)
        data = represent(
            ProductSerializer, product_for_representation(product_id=product_id), request=request
        )
        if added:
            return created(data, "Saved to your wishlist.")
        return ok(data, "Already in your wishlist.")


class WishlistItemView(APIView):
    permission_classes = [IsAccountWithEmail]

    @extend_schema(
        tags=["wishlist"],
        responses={204: OpenApiResponse(description="Removed.")},
        summary="Remove a product from the wishlist",
    )
    @raises(services.wishlist_remove)
    def delete(self, request: Request, product_id: uuid.UUID) -> Response:
        services.wishlist_remove(user=request.user, product_id=product_id)
        return no_content()
